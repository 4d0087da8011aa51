import { Stack, startEmbedded } from '../helpers/harness';

/** Rate limits and document limits, on a stack configured with small limits. */
describe('limits', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startEmbedded({
      RATE_LIMIT_PER_MINUTE: '40',
      AUTH_FAILURES_PER_MINUTE: '5',
      MAX_QUERY_DEPTH: '5',
      MAX_ALIASES: '3',
      MAX_QUERY_COST: '500',
      MAX_BATCH_SIZE: '3',
      MAX_BODY_SIZE: '4kb',
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  const post = (body: unknown, key: string | null = stack.apiKey) =>
    fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) }, body: JSON.stringify(body) });

  it('each document limit is a 400 that names it', async () => {
    const cases: [string, string][] = [
      ['{ partners { nodes { parent { parent { parent { parent { id } } } } } } }', 'MAX_QUERY_DEPTH'],
      ['{ a: partners { totalCount } b: partners { totalCount } c: partners { totalCount } d: partners { totalCount } }', 'MAX_ALIASES'],
      ['{ partners(first: 100) { nodes { id name email referralCode children(first: 100) { nodes { id } } } } }', 'MAX_QUERY_COST'],
    ];
    for (const [query, limit] of cases) {
      const res = await post({ query });
      expect(res.status).toBe(400);
      const body = (await res.json()) as any;
      expect(body.errors[0].message).toContain(limit);
      expect(body.errors[0].extensions.limit).toBe(limit);
    }
    const viaVariable = await post({ query: 'query($n: Int) { partners(first: $n) { nodes { id children(first: $n) { nodes { id } } } } }', variables: { n: 100 } });
    expect(viaVariable.status).toBe(400);
    expect(((await viaVariable.json()) as any).errors[0].extensions.limit).toBe('MAX_QUERY_COST');
    const batch = await post([{ query: '{ __typename }' }, { query: '{ __typename }' }, { query: '{ __typename }' }, { query: '{ __typename }' }]);
    expect(batch.status).toBe(400);
    expect(((await batch.json()) as any).errors[0].extensions.limit).toBe('MAX_BATCH_SIZE');
    const big = await post({ query: `{ partners(filter: { search: "${'x'.repeat(5000)}" }) { totalCount } }` });
    expect(big.status).toBe(400);
    expect(((await big.json()) as any).errors[0].extensions.limit).toBe('MAX_BODY_SIZE');
  });

  it('the rate limit answers 429 with Retry-After once the credential used its minute, bulk records counting each', async () => {
    const key = (await stack.admin('create-key', '--tenant', stack.tenantId, '--scopes', 'all')).key as string;
    // Windows are calendar minutes: start with enough of this one left that it cannot roll over mid-test.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 15_000) await new Promise((r) => setTimeout(r, left + 100));
    const records = Array.from({ length: 30 }, (_, i) => ({ customerId: `c${i}` }));
    const bulk = await post({ query: 'mutation($r: [ForexCustomerInput!]!) { upsertForexCustomers(records: $r) { accepted } }', variables: { r: records } }, key);
    expect(bulk.status).toBe(200);
    let limited: Response | null = null;
    let allowed = 0;
    for (let i = 0; i < 20 && !limited; i++) {
      const res = await post({ query: '{ __typename }' }, key);
      if (res.status === 429) limited = res;
      else allowed++;
    }
    // 31 units for the bulk call, so only 9 more requests fit in the minute's 40.
    expect(allowed).toBe(9);
    expect(limited!.status).toBe(429);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited!.json()) as any).errors[0].extensions.code).toBe('RATE_LIMITED');
    // Another credential has its own budget.
    expect((await post({ query: '{ __typename }' })).status).toBe(200);
  });

  it('automatic persisted queries work for clients that send hashes', async () => {
    const { createHash } = await import('node:crypto');
    const query = '{ partners(first: 1) { totalCount } }';
    const hash = createHash('sha256').update(query).digest('hex');
    const ext = { persistedQuery: { version: 1, sha256Hash: hash } };
    const miss = (await (await post({ extensions: ext })).json()) as any;
    expect(miss.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const register = (await (await post({ query, extensions: ext })).json()) as any;
    expect(typeof register.data.partners.totalCount).toBe('number');
    const hit = (await (await post({ extensions: ext })).json()) as any;
    expect(hit.data).toEqual(register.data);
  });
  // Last: it blocks this address for the rest of the minute, valid keys included.
  it('failed authentication attempts are limited per address', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await post({ query: '{ __typename }' }, `rgk_wrong_${i}_0000000000000000000000`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
  });

});

import { Stack, startEmbedded, waitFor } from '../helpers/harness';
import { collect, wsClient } from '../helpers/ws';

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
      expect(body.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', limit });
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

  it('an 870-byte document of fragments that each spread the next twice is refused at once, naming MAX_QUERY_COST', async () => {
    const parts = ['{ ...F0 }'];
    for (let i = 0; i < 21; i++) parts.push(`fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
    parts.push('fragment F21 on Query { __typename }');
    // It used to be measured by walking every spread again (2^22 times, twice), blocking every client for seconds.
    const res = await post({ query: parts.join('\n') });
    expect(res.status).toBe(400);
    const error = ((await res.json()) as any).errors[0];
    expect(error.extensions).toEqual({ code: 'BAD_USER_INPUT', limit: 'MAX_QUERY_COST' });
    expect(error.message).toContain('2097152 fields once its fragments are spread');
  }, 15_000);

  it('subscriptions over WebSocket get the same depth, alias and cost limits as HTTP', async () => {
    const { client } = wsClient(stack.gatewayUrl, { apiKey: stack.apiKey });
    const refusal = async (query: string, variables: Record<string, unknown> = {}) => {
      const sub = collect(client, query, variables);
      await waitFor('the refusal', async () => (sub.isDone() ? true : undefined), [], 10_000);
      expect(sub.messages).toEqual([]);
      return (sub.error() as { message: string; extensions: Record<string, unknown> }[]).map((e) => ({ limit: e.extensions.limit, code: e.extensions.code, message: e.message }));
    };
    try {
      // The report: 200 aliases nested 33 deep.
      const aliases = Array.from({ length: 200 }, (_, i) => `a${i}: id`).join(' ');
      const nested = `subscription { conversionRecorded { partner { ${'parent { '.repeat(30)}${aliases}${' }'.repeat(30)} } } }`;
      expect(await refusal(nested)).toEqual([
        { code: 'BAD_USER_INPUT', limit: 'MAX_QUERY_DEPTH', message: 'the query is 33 levels deep; at most 5 (MAX_QUERY_DEPTH) are allowed' },
        { code: 'BAD_USER_INPUT', limit: 'MAX_ALIASES', message: "the document uses 200 aliases (a fragment's count each time it is spread); at most 3 (MAX_ALIASES) are allowed" },
      ]);
      expect(await refusal('subscription { conversionRecorded { a: id b: id c: id d: id } }')).toMatchObject([{ code: 'BAD_USER_INPUT', limit: 'MAX_ALIASES' }]);
      const costly = 'subscription($n: Int) { conversionRecorded { partner { children(first: $n) { nodes { id name email referralCode externalId } } } } }';
      expect(await refusal(costly, { n: 100 })).toMatchObject([{ code: 'BAD_USER_INPUT', limit: 'MAX_QUERY_COST' }]);
    } finally {
      await client.dispose();
    }
  });

  it('the rate limit answers 429 with Retry-After once the credential used its minute of requests; a bulk call is one request', async () => {
    const key = (await stack.admin('create-key', '--tenant', stack.tenantId, '--scopes', 'all')).key as string;
    // Windows are calendar minutes: start with enough of this one left that it cannot roll over mid-test.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 15_000) await new Promise((r) => setTimeout(r, left + 100));
    const records = Array.from({ length: 30 }, (_, i) => ({ customerId: `c${i}` }));
    const bulk = await post({ query: 'mutation($r: [ForexCustomerInput!]!) { upsertForexCustomers(records: $r) { accepted } }', variables: { r: records } }, key);
    expect(bulk.status).toBe(200);
    let limited: Response | null = null;
    let allowed = 0;
    for (let i = 0; i < 50 && !limited; i++) {
      const res = await post({ query: '{ __typename }' }, key);
      if (res.status === 429) limited = res;
      else allowed++;
    }
    // The bulk call is one request (its records have a budget of their own), so 39 more fit in the minute's 40.
    expect(allowed).toBe(39);
    expect(limited!.status).toBe(429);
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    const error = ((await limited!.json()) as any).errors[0];
    expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'RATE_LIMIT_PER_MINUTE' });
    expect(error.message).toMatch(/^rate limit of 40 requests a minute \(RATE_LIMIT_PER_MINUTE\) reached; retry after \d+ s$/);
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
  it('unknown keys are limited per address (AUTH_FAILURES_PER_MINUTE), and a valid key from that address is still served', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await post({ query: '{ __typename }' }, `rgk_wrong_${i}_0000000000000000000000`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    // It used to block the address, valid keys included (behind a load balancer: everyone).
    expect((await post({ query: '{ __typename }' })).status).toBe(200);
  });

});

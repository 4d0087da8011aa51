import { Stack, startEmbedded } from '../helpers/harness';

/**
 * Limits on requests too large for the small-limits stack of limits.test.ts (MAX_BODY_SIZE 4kb):
 * full bulk batches against the rate limit, and documents nested 1,500 deep.
 *
 * Track360's rule: 1,000 requests a minute per token, and bulk endpoints take up to 1,000
 * records per request. Requests and records have budgets of their own, and a refused
 * request uses up neither.
 */
describe('bulk calls, the rate limit and deep documents', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startEmbedded({ RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_RECORDS_PER_MINUTE: '1500' });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  const post = (body: unknown, key: string) => fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(body) });
  const UPSERT = 'mutation($r: [TradingActivityInput!]!) { upsertTradingActivity(records: $r) { accepted rejected { index message } } }';
  // Each test draws on a key of its own (the demo key's requests go to setting up the demo).
  const newKey = async () => (await stack.admin('create-key', '--tenant', stack.tenantId, '--scopes', 'all')).key as string;
  const errorOf = async (res: Response) => ((await res.json()) as any).errors?.[0];

  it('a 1,000-record batch is one request; 1,001 records is BAD_USER_INPUT, not 429; a 429 uses up nothing', async () => {
    const key = await newKey();
    const customerId = `cust_bulk_${Date.now()}`;
    const customer = { customerId, signupDate: '2020-01-01T00:00:00Z', affiliateId: 'ib_bulk', trackingData: 'bulk' };
    const seeded = await post({ query: 'mutation($r: [ForexCustomerInput!]!) { upsertForexCustomers(records: $r) { accepted } }', variables: { r: [customer] } }, await newKey());
    expect(((await seeded.json()) as any).data.upsertForexCustomers.accepted).toBe(1);
    const days = (from: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({ date: new Date(Date.UTC(2020, 0, 1 + from + i)).toISOString().slice(0, 10), customerId, instrument: 'EURUSD', lotsTraded: '1.5', currency: 'USD' }));
    // Windows are calendar minutes: start with enough of this one left that it cannot roll over mid-test.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 10_000) await new Promise((r) => setTimeout(r, left + 100));

    // With 5 requests a minute, a full batch is accepted (it used to count 1,001 units).
    const full = await post({ query: UPSERT, variables: { r: days(0, 1000) } }, key);
    expect(full.status).toBe(200);
    expect(((await full.json()) as any).data.upsertTradingActivity).toEqual({ accepted: 1000, rejected: [] });

    // One record too many is the bulk limit, said at once and counted nowhere.
    const tooMany = await post({ query: UPSERT, variables: { r: days(0, 1001) } }, key);
    expect(tooMany.status).toBe(400);
    const tooManyError = await errorOf(tooMany);
    expect(tooManyError.extensions).toEqual({ code: 'BAD_USER_INPUT', param: 'records' });
    expect(tooManyError.message).toBe('records must hold at most 1000 items; got 1001');

    // Another full batch is over the minute's 1,500 records: 429 naming the records budget, as often as it is tried.
    for (let i = 0; i < 3; i++) {
      const refused = await post({ query: UPSERT, variables: { r: days(1000, 1000) } }, key);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      const error = await errorOf(refused);
      expect(error.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'RATE_LIMIT_RECORDS_PER_MINUTE' });
      expect(error.message).toMatch(/^rate limit of 1500 bulk records a minute \(RATE_LIMIT_RECORDS_PER_MINUTE\) reached: this request carries 1000 and 500 are left this minute; retry after \d+ s$/);
    }

    // The refused calls took nothing: the 500 records left, and 4 of the 5 requests, are all there.
    const rest = await post({ query: UPSERT, variables: { r: days(1000, 500) } }, key);
    expect(rest.status).toBe(200);
    expect(((await rest.json()) as any).data.upsertTradingActivity.accepted).toBe(500);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post({ query: '{ __typename }' }, key)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const spent = await post({ query: '{ __typename }' }, key);
    expect((await errorOf(spent)).extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'RATE_LIMIT_PER_MINUTE' });

    // With the budget spent, an oversized batch is still told what is wrong with it.
    const stillTooMany = await post({ query: UPSERT, variables: { r: days(0, 1001) } }, key);
    expect(stillTooMany.status).toBe(400);
    expect((await errorOf(stillTooMany)).extensions).toEqual({ code: 'BAD_USER_INPUT', param: 'records' });
  });

  it('selections nested 1,500 deep in inline fragments are a 400 naming MAX_NESTING, not a stack overflow in the query planner', async () => {
    const key = await newKey();
    const res = await post({ query: `{ ${'... on Query { '.repeat(1500)}__typename${' }'.repeat(1500)} }` }, key);
    expect(res.status).toBe(400);
    expect((await errorOf(res)).extensions).toEqual({ code: 'BAD_USER_INPUT', limit: 'MAX_NESTING' });
    const fine = await post({ query: `{ ${'... on Query { '.repeat(150)}__typename${' }'.repeat(150)} }` }, key);
    expect(await fine.json()).toEqual({ data: { __typename: 'Query' } });
  });
});

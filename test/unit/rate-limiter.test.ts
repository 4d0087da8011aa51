import { BlockedAddresses, MemoryRateLimiter } from '../../gateway/src/limits/rate-limiter';
import { credentialBudgets, rateLimitRefusal, requestUnits, unfitRequest } from '../../gateway/src/limits/request-cost';
import { admitsUnlessGuarded, awayFromWindowEdge, refusedRequestsCountNothing, refusedRequestsLeaveRecords } from '../helpers/rate-limiter-scenarios';

// The same scenarios run against Redis in test/integration/rate-limiter.test.ts.

describe('rate limiter (one process)', () => {
  it('admits a request by its credential budget unless its address is over its failures', async () => {
    const l = new MemoryRateLimiter();
    await admitsUnlessGuarded(l, l);
  });

  it('a full bulk call fits; a refused one counts against neither requests nor records', async () => {
    const l = new MemoryRateLimiter();
    await refusedRequestsCountNothing(l, l);
  });

  it('requests refused for want of requests leave the records budget alone', async () => {
    const l = new MemoryRateLimiter();
    await refusedRequestsLeaveRecords(l, l);
  });

  it('counts units per key within the minute and says how long to wait', async () => {
    const l = new MemoryRateLimiter();
    expect((await l.hit('a', 3, 5)).allowed).toBe(true);
    expect((await l.hit('a', 2, 5)).allowed).toBe(true);
    const over = await l.hit('a', 1, 5);
    expect(over.allowed).toBe(false);
    expect(over.retryAfter).toBeGreaterThanOrEqual(1);
    expect(over.retryAfter).toBeLessThanOrEqual(60);
    expect((await l.hit('b', 1, 5)).allowed).toBe(true);
  });

  it('remembers a blocked address until its window ends, and no longer', () => {
    const blocked = new BlockedAddresses(2);
    const t = 1_000_000;
    expect(blocked.retryAfter('1.2.3.4', t)).toBe(0);
    blocked.block('1.2.3.4', 30, t);
    expect(blocked.retryAfter('1.2.3.4', t)).toBe(30);
    expect(blocked.retryAfter('1.2.3.4', t + 29_500)).toBe(1);
    expect(blocked.retryAfter('5.6.7.8', t)).toBe(0);
    expect(blocked.retryAfter('1.2.3.4', t + 30_000)).toBe(0);
    // Bounded: a full table starts again.
    blocked.block('a', 60, t);
    blocked.block('b', 60, t);
    blocked.block('c', 60, t);
    expect([blocked.retryAfter('a', t), blocked.retryAfter('b', t), blocked.retryAfter('c', t)]).toEqual([0, 0, 60]);
  });
});

describe('what a request draws from its budgets', () => {
  const BULK = 'mutation($r: [TradingActivityInput!]!) { upsertTradingActivity(records: $r) { accepted } }';
  const records = (n: number) => Array.from({ length: n }, () => ({}));

  it('a request counts once, and its bulk records count each against their own budget', () => {
    expect(requestUnits({ query: '{ partners { totalCount } }' })).toEqual({ requests: 1, records: 0, largestBatch: 0 });
    expect(requestUnits({ query: BULK, variables: { r: records(1000) } })).toEqual({ requests: 1, records: 1000, largestBatch: 1000 });
    expect(requestUnits({ query: 'mutation { upsertTradingActivity(records: [{ date: "x" }, { date: "y" }]) { accepted } }' })).toEqual({ requests: 1, records: 2, largestBatch: 2 });
    // A single object given for the list is a list of one.
    expect(requestUnits({ query: BULK, variables: { r: {} } })).toEqual({ requests: 1, records: 1, largestBatch: 1 });
    // An HTTP batch: each operation is a request; two bulk fields of one operation are two calls.
    const two = 'mutation($a: [ForexCustomerInput!]!, $b: [ForexTransactionInput!]!) { upsertForexCustomers(records: $a) { accepted } upsertForexTransactions(records: $b) { accepted } }';
    expect(requestUnits([{ query: '{ a }' }, { query: two, variables: { a: records(600), b: records(700) } }])).toEqual({ requests: 2, records: 1300, largestBatch: 700 });
    expect(requestUnits({ query: 'mutation { upsertX(records: [ }' })).toEqual({ requests: 1, records: 0, largestBatch: 0 });
  });

  const budgets = { requestsPerMinute: 5, recordsPerMinute: 1500 };

  it('a batch over the bulk limit is a BAD_USER_INPUT on records, before anything is counted', () => {
    const err = unfitRequest(requestUnits({ query: BULK, variables: { r: records(1001) } }), budgets);
    expect(err?.message).toBe('records must hold at most 1000 items; got 1001');
    expect(err?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'records', http: { status: 400 } });
    expect(unfitRequest(requestUnits({ query: BULK, variables: { r: records(1000) } }), budgets)).toBeNull();
  });

  it('one request that needs more than a minute of either budget is a 400 naming the budget, not a 429 to retry for ever', () => {
    const bulk = { query: BULK, variables: { r: records(800) } };
    expect(unfitRequest(requestUnits([bulk, bulk]), budgets)?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'RATE_LIMIT_RECORDS_PER_MINUTE' });
    const batch = Array.from({ length: 6 }, () => ({ query: '{ __typename }' }));
    const err = unfitRequest(requestUnits(batch), budgets);
    expect(err?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'RATE_LIMIT_PER_MINUTE' });
    expect(err?.message).toContain('at most 5 a minute (RATE_LIMIT_PER_MINUTE)');
  });

  it('the 429 says which budget ran out', async () => {
    await awayFromWindowEdge();
    const l = new MemoryRateLimiter();
    const units = requestUnits({ query: BULK, variables: { r: records(1000) } });
    expect((await l.admit('authfail:x', 5, credentialBudgets('cred:x', units, budgets))).allowed).toBe(true);
    const refused = await l.admit('authfail:x', 5, credentialBudgets('cred:x', units, budgets));
    expect(rateLimitRefusal(refused, units, budgets)).toEqual({
      limit: 'RATE_LIMIT_RECORDS_PER_MINUTE',
      message: `rate limit of 1500 bulk records a minute (RATE_LIMIT_RECORDS_PER_MINUTE) reached: this request carries 1000 and 500 are left this minute; retry after ${refused.retryAfter} s`,
    });
    const plain = requestUnits({ query: '{ __typename }' });
    for (let i = 0; i < 4; i++) expect((await l.admit('authfail:x', 5, credentialBudgets('cred:x', plain, budgets))).allowed).toBe(true);
    const spent = await l.admit('authfail:x', 5, credentialBudgets('cred:x', plain, budgets));
    expect(rateLimitRefusal(spent, plain, budgets)).toEqual({ limit: 'RATE_LIMIT_PER_MINUTE', message: `rate limit of 5 requests a minute (RATE_LIMIT_PER_MINUTE) reached; retry after ${spent.retryAfter} s` });
  });
});

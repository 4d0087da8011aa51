import { Budget, RateLimiter } from '../../gateway/src/limits/rate-limiter';

/**
 * What every RateLimiter must do, run against two limiters that share their counts (one
 * in-process limiter twice, or two gateway replicas on one Redis). Windows are calendar
 * minutes, so each scenario starts with at least two seconds of its minute left.
 */
export async function awayFromWindowEdge(needMs = 2_000): Promise<void> {
  const left = 60_000 - (Date.now() % 60_000);
  if (left < needMs) await new Promise((r) => setTimeout(r, left + 50));
}

/** `admit` refuses an address over its failed sign-ins without touching the credential, else counts the credential. */
export async function admitsUnlessGuarded(one: RateLimiter, two: RateLimiter): Promise<void> {
  await awayFromWindowEdge();
  const requests = (limit: number): Budget[] => [{ key: 'cred:k', cost: 1, limit }];
  expect(await one.admit('authfail:ip1', 2, requests(3))).toMatchObject({ guarded: false, allowed: true, exhausted: null, remaining: [2] });
  await one.hit('authfail:ip1', 1, 2);
  expect(await two.admit('authfail:ip1', 2, requests(3))).toMatchObject({ guarded: false, allowed: true, remaining: [1] });
  await two.hit('authfail:ip1', 1, 2);
  // The address is at its limit: refused, and the credential's budget is not touched.
  expect(await one.admit('authfail:ip1', 2, requests(3))).toMatchObject({ guarded: true, allowed: false, exhausted: null });
  expect(await two.admit('authfail:ip2', 2, requests(3))).toMatchObject({ guarded: false, allowed: true, remaining: [0] });
  const over = await one.admit('authfail:ip2', 2, requests(3));
  expect(over).toMatchObject({ guarded: false, allowed: false, exhausted: 0, remaining: [0] });
  expect(over.retryAfter).toBeGreaterThanOrEqual(1);
  expect(over.retryAfter).toBeLessThanOrEqual(60);
}

/**
 * Requests and bulk records have budgets of their own (Track360: 1,000 requests a minute,
 * up to 1,000 records per request); a refused request counts against neither, so a client
 * that waits out Retry-After is not refused again for the attempts it was refused.
 */
export async function refusedRequestsCountNothing(one: RateLimiter, two: RateLimiter): Promise<void> {
  await awayFromWindowEdge();
  const budgets = (requests: number, records: number): Budget[] => [
    { key: 'cred:t360', cost: requests, limit: 3 },
    { key: 'cred:t360:records', cost: records, limit: 1500 },
  ];
  // A full bulk call is one request and 1,000 records.
  expect(await one.admit('authfail:t', 5, budgets(1, 1000))).toMatchObject({ allowed: true, exhausted: null, remaining: [2, 500] });
  // A second one does not fit the records: refused, naming the records budget, and neither budget moves, however often it is tried.
  for (let i = 0; i < 4; i++) {
    expect(await (i % 2 ? one : two).admit('authfail:t', 5, budgets(1, 1000))).toMatchObject({ guarded: false, allowed: false, exhausted: 1, remaining: [2, 500] });
  }
  // A request without records is not refused because the records ran low; it counts one request and no record.
  expect(await two.admit('authfail:t', 5, budgets(1, 0))).toMatchObject({ allowed: true, remaining: [1, 500] });
  // The 500 records the refused calls did not take are all there.
  expect(await one.admit('authfail:t', 5, budgets(1, 500))).toMatchObject({ allowed: true, remaining: [0, 0] });
  // Out of requests: refused naming the requests budget, whatever records it carries.
  expect(await two.admit('authfail:t', 5, budgets(1, 0))).toMatchObject({ allowed: false, exhausted: 0, remaining: [0, 0] });
}

/** Requests refused for want of requests leave the records budget alone. */
export async function refusedRequestsLeaveRecords(one: RateLimiter, two: RateLimiter): Promise<void> {
  await awayFromWindowEdge();
  const budgets = (records: number): Budget[] => [
    { key: 'cred:u', cost: 1, limit: 1 },
    { key: 'cred:u:records', cost: records, limit: 2000 },
  ];
  expect(await one.admit('authfail:u', 5, budgets(10))).toMatchObject({ allowed: true, remaining: [0, 1990] });
  for (let i = 0; i < 3; i++) expect(await (i % 2 ? one : two).admit('authfail:u', 5, budgets(1000))).toMatchObject({ allowed: false, exhausted: 0, remaining: [0, 1990] });
}

import Redis from 'ioredis';
import { BlockedAddresses, MemoryRateLimiter, RateLimiter, RedisRateLimiter } from '../../gateway/src/limits/rate-limiter';
import { requestCost } from '../../gateway/src/limits/request-cost';
import { describeWithRedis, redisUrl, uniquePrefix } from '../helpers/services';

/** `admit` against two limiters that share their counts (one, or two replicas on one Redis). */
async function admitsUnlessGuarded(one: RateLimiter, two: RateLimiter) {
  expect(await one.admit('authfail:ip1', 2, 'cred:k', 1, 3)).toMatchObject({ guarded: false, allowed: true, remaining: 2 });
  await one.hit('authfail:ip1', 1, 2);
  expect(await two.admit('authfail:ip1', 2, 'cred:k', 1, 3)).toMatchObject({ guarded: false, allowed: true, remaining: 1 });
  await two.hit('authfail:ip1', 1, 2);
  // The address is at its limit: refused, and the credential's budget is not touched.
  expect(await one.admit('authfail:ip1', 2, 'cred:k', 1, 3)).toMatchObject({ guarded: true, allowed: false, remaining: 0 });
  expect(await two.admit('authfail:ip2', 2, 'cred:k', 1, 3)).toMatchObject({ guarded: false, allowed: true, remaining: 0 });
  const over = await one.admit('authfail:ip2', 2, 'cred:k', 1, 3);
  expect(over).toMatchObject({ guarded: false, allowed: false, remaining: 0 });
  expect(over.retryAfter).toBeGreaterThanOrEqual(1);
  expect(over.retryAfter).toBeLessThanOrEqual(60);
}

describe('rate limiter (one process)', () => {
  it('admits a request by its credential budget unless its address is over its failures', async () => {
    const l = new MemoryRateLimiter();
    await admitsUnlessGuarded(l, l);
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

  it('bulk mutations cost one unit per record', () => {
    expect(requestCost({ query: '{ partners { totalCount } }' })).toBe(1);
    expect(requestCost({ query: 'mutation($r: [X!]!) { upsertForexCustomers(records: $r) { accepted } }', variables: { r: [1, 2, 3] } })).toBe(4);
    expect(requestCost({ query: 'mutation { upsertTradingActivity(records: [{ date: "x" }, { date: "y" }]) { accepted } }' })).toBe(3);
    expect(requestCost([{ query: '{ a }' }, { query: '{ b }' }])).toBe(2);
  });
});

describeWithRedis('rate limiter on Redis (every gateway replica shares it)', () => {
  const prefix = `${uniquePrefix('rl')}:`;
  const a = new Redis(redisUrl);
  const b = new Redis(redisUrl);
  afterAll(async () => {
    const keys = await a.keys(`${prefix}*`);
    if (keys.length) await a.del(...keys);
    await a.quit();
    await b.quit();
  });

  it('two replicas draw from one budget', async () => {
    const one = new RedisRateLimiter(a, prefix);
    const two = new RedisRateLimiter(b, prefix);
    expect((await one.hit('cred', 4, 6)).allowed).toBe(true);
    expect((await two.hit('cred', 2, 6)).allowed).toBe(true);
    expect((await one.hit('cred', 1, 6)).allowed).toBe(false);
  });

  it('admit checks the address and counts the credential in one step, across replicas', async () => {
    await admitsUnlessGuarded(new RedisRateLimiter(a, prefix), new RedisRateLimiter(b, prefix));
  });

  it('admit costs one Redis round trip', async () => {
    const c = new Redis(redisUrl);
    try {
      const limiter = new RedisRateLimiter(c, prefix);
      await limiter.admit('authfail:ip9', 5, 'cred:k9', 1, 10); // loads the script
      const sent: string[] = [];
      const original = c.sendCommand.bind(c);
      c.sendCommand = ((command: { name: string }) => {
        sent.push(command.name);
        return original(command as never);
      }) as typeof c.sendCommand;
      await limiter.admit('authfail:ip9', 5, 'cred:k9', 1, 10);
      expect(sent).toEqual(['evalsha']);
    } finally {
      c.disconnect();
    }
  });
});

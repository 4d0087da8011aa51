import Redis from 'ioredis';
import { MemoryRateLimiter, RedisRateLimiter } from '../../gateway/src/limits/rate-limiter';
import { requestCost } from '../../gateway/src/limits/request-cost';
import { describeWithRedis, redisUrl, uniquePrefix } from '../helpers/services';

describe('rate limiter (one process)', () => {
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
    expect((await two.over('cred', 6)).allowed).toBe(false);
    expect((await two.over('other', 6)).allowed).toBe(true);
  });
});

import Redis from 'ioredis';
import { RedisRateLimiter } from '../../gateway/src/limits/rate-limiter';
import { admitsUnlessGuarded, refusedRequestsCountNothing, refusedRequestsLeaveRecords } from '../helpers/rate-limiter-scenarios';
import { describeWithRedis, redisUrl, uniquePrefix } from '../helpers/services';

// The in-process limiter runs the same scenarios in test/unit/rate-limiter.test.ts.

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

  it('a full bulk call fits; a refused one counts against neither requests nor records, across replicas', async () => {
    await refusedRequestsCountNothing(new RedisRateLimiter(a, prefix), new RedisRateLimiter(b, prefix));
  });

  it('requests refused for want of requests leave the records budget alone', async () => {
    await refusedRequestsLeaveRecords(new RedisRateLimiter(a, prefix), new RedisRateLimiter(b, prefix));
  });

  it('admitted budgets expire with their window; refused ones create no key', async () => {
    const limiter = new RedisRateLimiter(a, prefix);
    await limiter.admit('authfail:ttl', 5, [
      { key: 'cred:ttl', cost: 1, limit: 5 },
      { key: 'cred:ttl:records', cost: 0, limit: 5 },
    ]);
    await limiter.admit('authfail:ttl', 5, [{ key: 'cred:never', cost: 6, limit: 5 }]);
    const keys = (await a.keys(`${prefix}rl:cred:*`)).filter((k) => /cred:(ttl|never)/.test(k));
    expect(keys.map((k) => k.replace(/:\d+$/, '').slice(prefix.length))).toEqual(['rl:cred:ttl']);
    const ttl = await a.pttl(keys[0]);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(120_000);
  });

  it('admit costs one Redis round trip, with both budgets', async () => {
    const c = new Redis(redisUrl);
    try {
      const limiter = new RedisRateLimiter(c, prefix);
      const budgets = [
        { key: 'cred:k9', cost: 1, limit: 10 },
        { key: 'cred:k9:records', cost: 1000, limit: 100_000 },
      ];
      await limiter.admit('authfail:ip9', 5, budgets); // loads the script
      const sent: string[] = [];
      const original = c.sendCommand.bind(c);
      c.sendCommand = ((command: { name: string }) => {
        sent.push(command.name);
        return original(command as never);
      }) as typeof c.sendCommand;
      expect(await limiter.admit('authfail:ip9', 5, budgets)).toMatchObject({ allowed: true, remaining: [8, 98_000] });
      expect(sent).toEqual(['evalsha']);
    } finally {
      c.disconnect();
    }
  });
});

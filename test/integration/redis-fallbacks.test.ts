import Redis from 'ioredis';
import { register } from 'prom-client';
import { FallbackRateLimiter } from '../../gateway/src/limits/fallback-limiter';
import { RedisRateLimiter } from '../../gateway/src/limits/rate-limiter';
import { Degradation, FAIL_FAST_REDIS } from '../../subgraphs/shared/src/degraded';
import { RedisReplayGuard } from '../../subgraphs/shared/src/principal';
import { FallbackReplayGuard, REPLAY_FALLBACK_WINDOW_MS } from '../../subgraphs/shared/src/replay-fallback';
import { startOwnRedis, OwnRedis } from '../helpers/own-redis';
import { describeWithRedis } from '../helpers/services';

/** The per-process fallbacks against a Redis server of this suite's own, stopped and started again empty. */
describeWithRedis('fallbacks while Redis is away (own redis-server, stopped and restarted)', () => {
  let server: OwnRedis;
  let redis: Redis;
  beforeAll(async () => {
    server = await startOwnRedis();
    redis = new Redis(server.url, { ...FAIL_FAST_REDIS, lazyConnect: true });
    redis.on('error', () => undefined);
    await redis.connect();
  });
  afterAll(async () => {
    redis?.disconnect();
    await server?.close();
  });
  const metric = async (name: string, feature: string) => (await register.getSingleMetric(name)!.get()).values.find((v) => v.labels.feature === feature)?.value;
  const reconnected = async () => {
    for (const deadline = Date.now() + 10_000; redis.status !== 'ready'; ) {
      if (Date.now() > deadline) throw new Error(`the client did not reconnect (${redis.status})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('replay protection: per process for a shorter lifetime while Redis is away, and a token first used then stays used after Redis comes back empty', async () => {
    const guard = new FallbackReplayGuard(new RedisReplayGuard(redis, 'fb:'), new Degradation('test', 'redis', 'replay_test', 'test'));
    const now = Date.now();
    expect(await guard.firstUse('a', now + 60_000, now)).toBe(true);
    expect(await guard.firstUse('a', now + 60_000, now)).toBe(false);

    await server.stop();
    const started = Date.now();
    expect(await guard.firstUse('b', Date.now() + 60_000, Date.now())).toBe(true);
    expect(await guard.firstUse('b', Date.now() + 60_000, Date.now())).toBe(false);
    // Signed longer ago than the fallback window: refused, although unexpired.
    expect(await guard.firstUse('old', Date.now() + 30_000, Date.now() - REPLAY_FALLBACK_WINDOW_MS - 1000)).toBe(false);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await metric('rgw_degraded', 'replay_test')).toBe(1);
    expect(await metric('rgw_degraded_operations_total', 'replay_test')).toBe(3);

    await server.start();
    await reconnected();
    expect(await guard.firstUse('b', Date.now() + 60_000, Date.now())).toBe(false);
    expect(await guard.firstUse('c', Date.now() + 60_000, Date.now())).toBe(true);
    expect(await guard.firstUse('c', Date.now() + 60_000, Date.now())).toBe(false);
    expect(await metric('rgw_degraded', 'replay_test')).toBe(0);
  });

  it('rate limits: counted per process while Redis is away, on Redis again once it answers', async () => {
    const limiter = new FallbackRateLimiter(new RedisRateLimiter(redis, 'fb:'));
    expect((await limiter.hit('cred', 2, 3)).allowed).toBe(true);
    await server.stop();
    // The process's own count starts afresh: 3 more fit, the 4th does not.
    for (let i = 0; i < 3; i++) expect((await limiter.hit('cred', 1, 3)).allowed).toBe(true);
    expect((await limiter.hit('cred', 1, 3)).allowed).toBe(false);
    expect(await metric('rgw_degraded', 'rate_limits')).toBe(1);
    await server.start();
    await reconnected();
    // Redis came back empty: its count starts again too.
    expect((await limiter.hit('cred', 3, 3)).allowed).toBe(true);
    expect((await limiter.hit('cred', 1, 3)).allowed).toBe(false);
    expect(await metric('rgw_degraded', 'rate_limits')).toBe(0);
  });
});

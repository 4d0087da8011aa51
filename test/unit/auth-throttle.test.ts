import type { IncomingMessage } from 'node:http';
import { EnvReader } from '../../subgraphs/shared/src';
import { readGatewayConfig } from '../../gateway/src/config';
import { addressOf, AuthThrottle, authThrottleMetrics, NO_GUARD } from '../../gateway/src/limits/auth-throttle';
import { MemoryRateLimiter } from '../../gateway/src/limits/rate-limiter';

/** A clock the test moves: windows are calendar minutes, so the test starts 10 s into one. */
function clock() {
  let t = Date.UTC(2025, 0, 1, 12, 0, 10);
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const counted = async (endpoint: string, per: string, metric = authThrottleMetrics.throttled) =>
  (await metric.get()).values.find((v) => v.labels.endpoint === endpoint && v.labels.counted_per === per)?.value ?? 0;

describe('failed attempts, counted per subject (limits/auth-throttle.ts)', () => {
  it('a client_id with N wrong secrets in a minute is locked until the minute ends, then open again; another client_id is not', async () => {
    const c = clock();
    const throttle = new AuthThrottle(new MemoryRateLimiter(c.now), 3, c.now);
    const client = { per: 'client_id', id: 'track360' } as const;
    const before = await counted('oauth_token', 'client_id');
    expect(await throttle.lockedFor(client, 'oauth_token')).toBe(0);
    // Failures 1..N are answered 401 (0); the subject is then locked, the right secret included.
    expect([await throttle.failed(client, 'oauth_token'), await throttle.failed(client, 'oauth_token'), await throttle.failed(client, 'oauth_token')]).toEqual([0, 0, 0]);
    expect(await throttle.lockedFor(client, 'oauth_token')).toBe(50);
    expect(await throttle.failed(client, 'oauth_token')).toBe(50);
    expect(await counted('oauth_token', 'client_id')).toBe(before + 2);
    // Another tenant's client_id has a count of its own.
    expect(await throttle.lockedFor({ per: 'client_id', id: 'other-tenant-client' }, 'oauth_token')).toBe(0);
    c.advance(49_000);
    expect(await throttle.lockedFor(client, 'oauth_token')).toBe(1);
    // The minute is over: open, and the count starts again.
    c.advance(1_000);
    expect(await throttle.lockedFor(client, 'oauth_token')).toBe(0);
    expect(await throttle.failed(client, 'oauth_token')).toBe(0);
  });

  it('subjects of different kinds never share a count: an address, a client_id and a requester with the same text', async () => {
    const c = clock();
    const throttle = new AuthThrottle(new MemoryRateLimiter(c.now), 1, c.now);
    expect(await throttle.failed({ per: 'address', id: 'x' }, 'graphql')).toBe(0);
    expect(await throttle.failed({ per: 'address', id: 'x' }, 'graphql')).toBeGreaterThan(0);
    expect(await throttle.lockedFor({ per: 'client_id', id: 'x' }, 'oauth_token')).toBe(0);
    expect(await throttle.lockedFor({ per: 'requester', id: 'x' }, 'partner_token')).toBe(0);
  });

  it('the requester guard refuses through admit() once the requester has N failures; NO_GUARD never refuses', async () => {
    const c = clock();
    const limiter = new MemoryRateLimiter(c.now);
    const throttle = new AuthThrottle(limiter, 2, c.now);
    const requester = { per: 'requester', id: 'key_1' } as const;
    const budget = [{ key: 'cred:key_1', cost: 1, limit: 100 }];
    const guard = throttle.guard(requester);
    expect((await limiter.admit(guard.key, guard.limit, budget)).allowed).toBe(true);
    await throttle.failed(requester, 'partner_token');
    await throttle.failed(requester, 'partner_token');
    expect(await limiter.admit(guard.key, guard.limit, budget)).toMatchObject({ allowed: false, guarded: true, retryAfter: 50 });
    // The same credential on /graphql (no guard) is not held back, nor are others' failures counted against it.
    for (let i = 0; i < 50; i++) await throttle.failed({ per: 'address', id: '127.0.0.1' }, 'graphql');
    expect((await limiter.admit(NO_GUARD.key, NO_GUARD.limit, budget)).allowed).toBe(true);
  });
});

describe('the client address (TRUSTED_PROXIES)', () => {
  const request = (remoteAddress: string, forwardedFor?: string | string[]) =>
    ({ socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

  it('by default nothing is trusted: the socket address, whatever X-Forwarded-For says', () => {
    const config = readGatewayConfig(new EnvReader({ PRINCIPAL_SECRET: 'p'.repeat(32) }));
    expect(config.trustedProxies).toEqual([]);
    expect(addressOf(request('127.0.0.1', '198.51.100.7'), config.trustedProxies)).toEqual({ per: 'address', id: '127.0.0.1' });
    expect(addressOf(request('::ffff:10.1.2.3', '198.51.100.7'), config.trustedProxies).id).toBe('10.1.2.3');
  });

  it('read right to left, skipping trusted hops: the first untrusted address is the client', () => {
    const trusted = ['10.0.0.0/8', '192.0.2.1'];
    expect(addressOf(request('10.0.0.5', '203.0.113.9'), trusted).id).toBe('203.0.113.9');
    // The client wrote a left-most entry itself: ignored, the load balancers' entries are believed.
    expect(addressOf(request('10.0.0.5', '1.1.1.1, 203.0.113.9, 192.0.2.1'), trusted).id).toBe('203.0.113.9');
    // Two X-Forwarded-For headers are one list.
    expect(addressOf(request('10.0.0.5', ['1.1.1.1', '203.0.113.9']), trusted).id).toBe('203.0.113.9');
    // From an address that is not a trusted proxy, the header is not believed.
    expect(addressOf(request('198.51.100.1', '203.0.113.9'), trusted).id).toBe('198.51.100.1');
  });

  it('a bad entry stops the start naming TRUSTED_PROXIES', () => {
    const env = new EnvReader({ PRINCIPAL_SECRET: 'p'.repeat(32), TRUSTED_PROXIES: '10.0.0.0/8, not-an-ip' });
    const config = readGatewayConfig(env);
    expect(config.trustedProxies).toEqual(['10.0.0.0/8', 'not-an-ip']);
    expect(env.problems.join('\n')).toMatch(/^TRUSTED_PROXIES must be IPs, CIDRs or loopback\/linklocal\/uniquelocal, comma-separated: /m);
  });
});

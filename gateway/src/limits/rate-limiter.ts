import Redis from 'ioredis';

export interface Hit {
  allowed: boolean;
  /** Seconds until the window resets (for Retry-After). */
  retryAfter: number;
  remaining: number;
}

/** An admitted request counted, or the reason it is refused. */
export interface Admission extends Hit {
  /** True when refused because `guardKey` had reached its limit (nothing was counted). */
  guarded: boolean;
}

/** Fixed one-minute windows per key; `cost` is how many units one request takes (bulk records count each). */
export interface RateLimiter {
  hit(key: string, cost: number, limit: number): Promise<Hit>;
  /**
   * In one step (one Redis round trip): refuses when `guardKey` has already reached
   * `guardLimit` in this window (an address with too many failed sign-ins), else counts
   * `cost` against `key` and says whether that is within `limit`.
   */
  admit(guardKey: string, guardLimit: number, key: string, cost: number, limit: number): Promise<Admission>;
}

const WINDOW_MS = 60_000;

function windowOf(now: number) {
  const start = Math.floor(now / WINDOW_MS) * WINDOW_MS;
  return { start, retryAfter: Math.max(1, Math.ceil((start + WINDOW_MS - now) / 1000)) };
}

/** One process (the embedded default). */
export class MemoryRateLimiter implements RateLimiter {
  private readonly counts = new Map<string, { start: number; count: number }>();

  private entry(key: string, now: number) {
    const { start } = windowOf(now);
    let e = this.counts.get(key);
    if (!e || e.start !== start) {
      if (this.counts.size > 100_000) this.counts.clear();
      e = { start, count: 0 };
      this.counts.set(key, e);
    }
    return e;
  }

  async hit(key: string, cost: number, limit: number): Promise<Hit> {
    const now = Date.now();
    const e = this.entry(key, now);
    e.count += cost;
    return { allowed: e.count <= limit, retryAfter: windowOf(now).retryAfter, remaining: Math.max(0, limit - e.count) };
  }

  async admit(guardKey: string, guardLimit: number, key: string, cost: number, limit: number): Promise<Admission> {
    const now = Date.now();
    const { retryAfter } = windowOf(now);
    const guard = this.entry(guardKey, now);
    if (guard.count >= guardLimit) return { guarded: true, allowed: false, retryAfter, remaining: 0 };
    const e = this.entry(key, now);
    e.count += cost;
    return { guarded: false, allowed: e.count <= limit, retryAfter, remaining: Math.max(0, limit - e.count) };
  }
}

/** KEYS: guard, counted; ARGV: guard limit, cost, expiry in ms. Returns [guarded 0/1, count]. */
const ADMIT_SCRIPT = `
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
if failures >= tonumber(ARGV[1]) then return {1, failures} end
local count = redis.call('INCRBY', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return {0, count}`;

type AdmitCommand = (guard: string, key: string, guardLimit: number, cost: number, ttlMs: number) => Promise<[number, number]>;

/** Shared by every gateway replica. */
export class RedisRateLimiter implements RateLimiter {
  private readonly admitCommand: AdmitCommand;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    // EVALSHA after the first call: the script is sent once per connection.
    if (!(redis as unknown as { rgwAdmit?: AdmitCommand }).rgwAdmit) redis.defineCommand('rgwAdmit', { numberOfKeys: 2, lua: ADMIT_SCRIPT });
    const r = redis as unknown as { rgwAdmit: AdmitCommand };
    this.admitCommand = (...args) => r.rgwAdmit(...args);
  }

  async hit(key: string, cost: number, limit: number): Promise<Hit> {
    const now = Date.now();
    const { start, retryAfter } = windowOf(now);
    const k = `${this.prefix}rl:${key}:${start}`;
    const [[, count]] = (await this.redis.multi().incrby(k, cost).pexpire(k, WINDOW_MS * 2).exec()) as [[Error | null, number]];
    return { allowed: count <= limit, retryAfter, remaining: Math.max(0, limit - count) };
  }

  async admit(guardKey: string, guardLimit: number, key: string, cost: number, limit: number): Promise<Admission> {
    const now = Date.now();
    const { start, retryAfter } = windowOf(now);
    const [guarded, count] = await this.admitCommand(`${this.prefix}rl:${guardKey}:${start}`, `${this.prefix}rl:${key}:${start}`, guardLimit, cost, WINDOW_MS * 2);
    if (guarded) return { guarded: true, allowed: false, retryAfter, remaining: 0 };
    return { guarded: false, allowed: count <= limit, retryAfter, remaining: Math.max(0, limit - count) };
  }
}

/**
 * Addresses this replica has seen go over their failed sign-ins, until their window ends:
 * refused without a credential lookup or a Redis round trip. Bounded: past `max`
 * addresses it starts again (the shared counters still block them).
 */
export class BlockedAddresses {
  private readonly until = new Map<string, number>();
  constructor(private readonly max = 10_000) {}

  block(address: string, retryAfterSeconds: number, now = Date.now()): void {
    if (this.until.size >= this.max) this.until.clear();
    this.until.set(address, now + retryAfterSeconds * 1000);
  }

  /** Seconds the address stays blocked; 0 when it is not. */
  retryAfter(address: string, now = Date.now()): number {
    const until = this.until.get(address);
    if (until === undefined) return 0;
    if (until <= now) {
      this.until.delete(address);
      return 0;
    }
    return Math.ceil((until - now) / 1000);
  }
}

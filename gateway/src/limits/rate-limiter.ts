import Redis from 'ioredis';

export interface Hit {
  allowed: boolean;
  /** Seconds until the window resets (for Retry-After). */
  retryAfter: number;
  remaining: number;
}

/** Fixed one-minute windows per key; `cost` is how many units one request takes (bulk records count each). */
export interface RateLimiter {
  hit(key: string, cost: number, limit: number): Promise<Hit>;
  /** Whether the key is already over `limit` in this window, without counting. */
  over(key: string, limit: number): Promise<Hit>;
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

  async over(key: string, limit: number): Promise<Hit> {
    const now = Date.now();
    const e = this.entry(key, now);
    return { allowed: e.count < limit, retryAfter: windowOf(now).retryAfter, remaining: Math.max(0, limit - e.count) };
  }
}

/** Shared by every gateway replica. */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async hit(key: string, cost: number, limit: number): Promise<Hit> {
    const now = Date.now();
    const { start, retryAfter } = windowOf(now);
    const k = `${this.prefix}rl:${key}:${start}`;
    const [[, count]] = (await this.redis.multi().incrby(k, cost).pexpire(k, WINDOW_MS * 2).exec()) as [[Error | null, number]];
    return { allowed: count <= limit, retryAfter, remaining: Math.max(0, limit - count) };
  }

  async over(key: string, limit: number): Promise<Hit> {
    const now = Date.now();
    const { start, retryAfter } = windowOf(now);
    const count = Number((await this.redis.get(`${this.prefix}rl:${key}:${start}`)) ?? 0);
    return { allowed: count < limit, retryAfter, remaining: Math.max(0, limit - count) };
  }
}

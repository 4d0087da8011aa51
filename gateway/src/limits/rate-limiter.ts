import Redis from 'ioredis';

export interface Hit {
  allowed: boolean;
  /** Seconds until the window resets (for Retry-After). */
  retryAfter: number;
  remaining: number;
}

/** One budget a request draws on: `cost` units against `limit` a minute under `key`. */
export interface Budget {
  key: string;
  cost: number;
  limit: number;
}

/** A request admitted (every budget charged), or the reason it is refused (nothing charged). */
export interface Admission {
  allowed: boolean;
  /** True when refused because `guardKey` had reached its limit. */
  guarded: boolean;
  /** Index of the first budget that could not take its cost; null unless refused by a budget. */
  exhausted: number | null;
  /** Seconds until the window resets (for Retry-After). */
  retryAfter: number;
  /** Units left in each budget after this request. */
  remaining: number[];
}

/** Fixed one-minute windows per key. */
export interface RateLimiter {
  /** Counts `cost` against `key` whatever the outcome (failed sign-ins: each one counts). */
  hit(key: string, cost: number, limit: number): Promise<Hit>;
  /**
   * In one step (one Redis round trip): refuses when `guardKey` has already reached
   * `guardLimit` in this window (an address with too many failed sign-ins), or when any
   * budget cannot take its cost; only a request that fits every budget is counted, so a
   * refused one uses up nothing and a client that waits out Retry-After gets through.
   * A budget of cost 0 is neither checked nor touched.
   */
  admit(guardKey: string, guardLimit: number, budgets: Budget[]): Promise<Admission>;
}

const WINDOW_MS = 60_000;

function windowOf(now: number) {
  const start = Math.floor(now / WINDOW_MS) * WINDOW_MS;
  return { start, retryAfter: Math.max(1, Math.ceil((start + WINDOW_MS - now) / 1000)) };
}

/** The first budget `counts` (this window's, before the request) leave no room for, or null. */
function exhaustedBudget(budgets: Budget[], counts: number[]): number | null {
  const i = budgets.findIndex((b, j) => b.cost > 0 && counts[j] + b.cost > b.limit);
  return i < 0 ? null : i;
}

/** One process (the embedded default). */
export class MemoryRateLimiter implements RateLimiter {
  private readonly counts = new Map<string, { start: number; count: number }>();

  /** `now` is injectable so tests can cross a window without waiting for it. */
  constructor(private readonly now: () => number = Date.now) {}

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
    const now = this.now();
    const e = this.entry(key, now);
    e.count += cost;
    return { allowed: e.count <= limit, retryAfter: windowOf(now).retryAfter, remaining: Math.max(0, limit - e.count) };
  }

  async admit(guardKey: string, guardLimit: number, budgets: Budget[]): Promise<Admission> {
    const now = this.now();
    const { retryAfter } = windowOf(now);
    const guard = this.entry(guardKey, now);
    if (guard.count >= guardLimit) return { guarded: true, allowed: false, exhausted: null, retryAfter, remaining: budgets.map(() => 0) };
    const entries = budgets.map((b) => this.entry(b.key, now));
    const exhausted = exhaustedBudget(budgets, entries.map((e) => e.count));
    if (exhausted === null) entries.forEach((e, i) => (e.count += budgets[i].cost));
    return { guarded: false, allowed: exhausted === null, exhausted, retryAfter, remaining: entries.map((e, i) => Math.max(0, budgets[i].limit - e.count)) };
  }
}

/**
 * KEYS: the guard, then one key per budget; ARGV: guard limit, expiry in ms, then cost and
 * limit of each budget. Returns [guarded 0/1, exhausted budget (1-based, 0 = none), count of
 * each budget]. Every budget is read before any is counted: a refused request counts nothing.
 */
const ADMIT_SCRIPT = `
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
if failures >= tonumber(ARGV[1]) then return {1, 0} end
local result = {0, 0}
for b = 1, #KEYS - 1 do
  local count = tonumber(redis.call('GET', KEYS[b + 1]) or '0')
  local cost = tonumber(ARGV[2 * b + 1])
  if result[2] == 0 and cost > 0 and count + cost > tonumber(ARGV[2 * b + 2]) then result[2] = b end
  result[b + 2] = count
end
if result[2] == 0 then
  for b = 1, #KEYS - 1 do
    local cost = tonumber(ARGV[2 * b + 1])
    if cost > 0 then
      result[b + 2] = redis.call('INCRBY', KEYS[b + 1], cost)
      redis.call('PEXPIRE', KEYS[b + 1], ARGV[2])
    end
  end
end
return result`;

type AdmitCommand = (numberOfKeys: number, ...args: (string | number)[]) => Promise<number[]>;

/** Shared by every gateway replica. */
export class RedisRateLimiter implements RateLimiter {
  private readonly admitCommand: AdmitCommand;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    // EVALSHA after the first call: the script is sent once per connection. The number of
    // keys (one per budget) is the command's first argument.
    if (!(redis as unknown as { rgwAdmitBudgets?: AdmitCommand }).rgwAdmitBudgets) redis.defineCommand('rgwAdmitBudgets', { lua: ADMIT_SCRIPT });
    const r = redis as unknown as { rgwAdmitBudgets: AdmitCommand };
    this.admitCommand = (...args) => r.rgwAdmitBudgets(...args);
  }

  async hit(key: string, cost: number, limit: number): Promise<Hit> {
    const now = Date.now();
    const { start, retryAfter } = windowOf(now);
    const k = `${this.prefix}rl:${key}:${start}`;
    const [[, count]] = (await this.redis.multi().incrby(k, cost).pexpire(k, WINDOW_MS * 2).exec()) as [[Error | null, number]];
    return { allowed: count <= limit, retryAfter, remaining: Math.max(0, limit - count) };
  }

  async admit(guardKey: string, guardLimit: number, budgets: Budget[]): Promise<Admission> {
    const now = Date.now();
    const { start, retryAfter } = windowOf(now);
    const keys = [guardKey, ...budgets.map((b) => b.key)].map((k) => `${this.prefix}rl:${k}:${start}`);
    const [guarded, exhausted, ...counts] = await this.admitCommand(keys.length, ...keys, guardLimit, WINDOW_MS * 2, ...budgets.flatMap((b) => [b.cost, b.limit]));
    if (guarded) return { guarded: true, allowed: false, exhausted: null, retryAfter, remaining: budgets.map(() => 0) };
    return {
      guarded: false,
      allowed: exhausted === 0,
      exhausted: exhausted === 0 ? null : exhausted - 1,
      retryAfter,
      remaining: budgets.map((b, i) => Math.max(0, b.limit - (counts[i] ?? 0))),
    };
  }
}

/**
 * Subjects (addresses, client_ids, requesters) this replica has seen go over their failed
 * sign-ins, until their window ends: refused without a Redis round trip. Bounded: past
 * `max` subjects it starts again (the shared counters still block them).
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

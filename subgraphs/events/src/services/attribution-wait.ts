import { randomBytes } from 'node:crypto';
import { Counter, Histogram, register } from 'prom-client';
import { logger, PubSub } from '../../../shared/src';
import { recheckSchedule } from '../domain/attribute';

/**
 * Waiting for a referral code that the events read model does not know yet.
 *
 * Codes reach the read model through the bus (`referral_code.changed`, `partner.changed`),
 * a little after links or kyc committed them. A request that names a code not known yet
 * waits, once and at most ATTRIBUTION_WAIT_MS, for the read-model consumer to apply it:
 * - the consumer wakes the waiters of its own process at once after its commit;
 * - it also broadcasts the codes on the pub/sub (Redis when configured), because a
 *   consumer group hands each fact to ONE events replica and the waiter may be on another;
 * - and the waiter looks at the table again on a short backoff schedule whatever happens,
 *   so a lost broadcast (Redis pub/sub drops messages while reconnecting) costs at most
 *   one step of the schedule, never the attribution.
 */

export const ATTRIBUTION_CHANNEL = 'attribution.codes';

interface CodesApplied {
  /** The replica that sent it: its own waiters were woken directly. */
  origin: string;
  tenantId: string;
  /** Lower-cased codes now resolvable; null for any code of the tenant (a partner's external id arrived). */
  codeKeys: string[] | null;
}

const SEP = '\u0000';

export class CodeWaiters {
  private readonly id = randomBytes(6).toString('hex');
  private readonly waiting = new Map<string, Set<() => void>>();
  private unsubscribe: (() => Promise<void>) | null = null;
  private readonly log = logger('events.attribution');

  constructor(private readonly pubsub: PubSub | null) {}

  async start(): Promise<void> {
    if (!this.pubsub) return;
    this.unsubscribe = await this.pubsub.subscribe(ATTRIBUTION_CHANNEL, (message) => {
      const m = message as CodesApplied;
      if (m?.origin !== this.id) this.wake(m.tenantId, m.codeKeys);
    });
  }

  async stop(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Called after a commit that made codes resolvable: wakes every replica's waiters for them. */
  applied(tenantId: string, codeKeys: string[] | null): void {
    this.wake(tenantId, codeKeys);
    if (!this.pubsub) return;
    const message: CodesApplied = { origin: this.id, tenantId, codeKeys };
    this.pubsub.publish(ATTRIBUTION_CHANNEL, message).catch((err) => this.log.warn({ err: (err as Error).message }, 'could not broadcast applied codes; waiters re-check on their schedule'));
  }

  /** Requests waiting right now (for tests and diagnostics). */
  get size(): number {
    let n = 0;
    for (const set of this.waiting.values()) n += set.size;
    return n;
  }

  /**
   * Resolves true as soon as `check` finds the code, false once `waitMs` has passed
   * without it. `check` runs at once, after each wake-up and on the backoff schedule.
   */
  async waitFor(tenantId: string, codeKey: string, waitMs: number, check: () => Promise<boolean>): Promise<boolean> {
    const key = tenantId + SEP + codeKey;
    let woken = false;
    let release: () => void = () => undefined;
    const listener = () => {
      woken = true;
      release();
    };
    let set = this.waiting.get(key);
    if (!set) this.waiting.set(key, (set = new Set()));
    set.add(listener);
    const start = Date.now();
    const timer = attributionWaitSeconds().startTimer();
    let found = false;
    try {
      // Registered before the first look, so a code applied in between still wakes us.
      found = await check();
      const schedule = recheckSchedule(waitMs);
      let next = 0;
      while (!found && next < schedule.length) {
        if (!woken) {
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, Math.max(0, start + schedule[next] - Date.now()));
            release = () => {
              clearTimeout(t);
              resolve();
            };
          });
        }
        woken = false;
        release = () => undefined;
        const elapsed = Date.now() - start;
        while (next < schedule.length && schedule[next] <= elapsed) next++;
        found = await check();
      }
      return found;
    } finally {
      set.delete(listener);
      if (!set.size && this.waiting.get(key) === set) this.waiting.delete(key);
      timer({ outcome: found ? 'found' : 'timeout' });
    }
  }

  private wake(tenantId: string, codeKeys: string[] | null): void {
    if (codeKeys) {
      for (const code of codeKeys) for (const listener of [...(this.waiting.get(tenantId + SEP + code) ?? [])]) listener();
      return;
    }
    for (const [key, set] of this.waiting) if (key.startsWith(tenantId + SEP)) for (const listener of [...set]) listener();
  }
}

/** Everything attribution-by-code needs besides the transaction: the waiters and the bound. */
export interface AttributionWait {
  waiters: CodeWaiters;
  /** ATTRIBUTION_WAIT_MS: the longest one request waits for an unknown code (0: never waits). */
  waitMs: number;
}

/** Thrown inside recordEvent's transaction when a code is unknown and the caller may wait: it rolls back, waits outside, tries again. */
export class CodeNotKnownYet extends Error {
  constructor(readonly codeKey: string) {
    super(`referral code ${codeKey} is not in the read model yet`);
  }
}

function metric<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

export const attributionCodeMisses = () =>
  metric('attribution_code_misses_total', () => new Counter({ name: 'attribution_code_misses_total', help: 'Events whose referral code was not in the read model at the first look (before any wait)' }));

export const attributionWaitSeconds = () =>
  metric(
    'attribution_code_wait_seconds',
    () =>
      new Histogram({
        name: 'attribution_code_wait_seconds',
        help: 'How long requests waited for an unknown referral code; outcome found or timeout',
        labelNames: ['outcome'],
        buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      }),
  );

export const attributionPending = () =>
  metric(
    'attribution_pending_total',
    () => new Counter({ name: 'attribution_pending_total', help: 'Events stored with attribution PENDING; waits_on code or trader', labelNames: ['waits_on'] }),
  );

export const attributionSettled = () =>
  metric(
    'attribution_settled_total',
    () =>
      new Counter({
        name: 'attribution_settled_total',
        help: 'PENDING events settled: attributed (the code arrived) or expired (given up after ATTRIBUTION_PENDING_HOURS)',
        labelNames: ['outcome'],
      }),
  );

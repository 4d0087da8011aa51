import { logger, type Logger } from '../logger';
import type { Bus, ConsumeOptions, Consumer, Fact, FactHandler } from './bus';

const DEFAULT_REDELIVER_AFTER_MS = 30_000;
const FIRST_RETRY_DELAY_MS = 50;

export interface MemoryBusOptions {
  /** Facts kept per type so that a group starting after a publish still gets it. Default 100 000. */
  maxLogPerType?: number;
}

interface LoggedFact {
  seq: number;
  fact: Fact;
}

interface Retry extends LoggedFact {
  attempts: number;
  dueAt: number;
}

/**
 * In-process bus for the embedded single-process mode. It mirrors the Redis streams bus
 * so that code tested against one behaves the same on the other: groups start from the
 * oldest retained fact (like `XGROUP CREATE ... 0`), group state outlives its consumers
 * (like a Redis group), and a failed fact is retried later without blocking the facts
 * behind it (like an unacknowledged entry reclaimed by `XAUTOCLAIM`).
 */
export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  private readonly log: Logger;
  private readonly maxLogPerType: number;
  /** Facts per type in publish order; `seq` is global so order holds across types. */
  private readonly logs = new Map<string, LoggedFact[]>();
  private readonly groups = new Map<string, MemoryGroup>();
  private seq = 0;
  private closed = false;

  constructor(options: MemoryBusOptions = {}) {
    this.log = logger('bus');
    this.maxLogPerType = options.maxLogPerType ?? 100_000;
  }

  async publish(fact: Fact): Promise<void> {
    if (this.closed) throw new Error('MemoryBus is closed');
    let entries = this.logs.get(fact.type);
    if (!entries) {
      entries = [];
      this.logs.set(fact.type, entries);
    }
    entries.push({ seq: ++this.seq, fact });
    // Trim in chunks so that publishing stays amortised O(1) instead of shifting every time.
    if (entries.length > this.maxLogPerType + Math.ceil(this.maxLogPerType / 10)) {
      entries.splice(0, entries.length - this.maxLogPerType);
    }
    for (const group of this.groups.values()) {
      if (group.follows(fact.type)) group.schedule();
    }
  }

  consume(options: ConsumeOptions): Consumer {
    if (this.closed) throw new Error('MemoryBus is closed');
    let group = this.groups.get(options.group);
    if (!group) {
      group = new MemoryGroup(options.group, this.logs, this.log);
      this.groups.set(options.group, group);
    }
    return group.join(options);
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('MemoryBus is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.groups.values()].map((group) => group.stopAll()));
  }
}

class MemoryConsumer implements Consumer {
  stopped = false;
  inFlight: Promise<void> | undefined;

  constructor(
    private readonly group: MemoryGroup,
    readonly types: ReadonlySet<string>,
    readonly handler: FactHandler,
    readonly redeliverAfterMs: number,
  ) {}

  async stop(): Promise<void> {
    this.stopped = true;
    this.group.leave(this);
    await this.inFlight;
  }
}

/** One consumer group: a cursor per type, its retries, and a pump handling one fact at a time. */
class MemoryGroup {
  /** Per type, the `seq` of the last fact taken by this group. */
  private readonly cursors = new Map<string, number>();
  private readonly retries: Retry[] = [];
  private consumers: MemoryConsumer[] = [];
  private nextConsumer = 0;
  private pumping = false;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly name: string,
    private readonly logs: ReadonlyMap<string, LoggedFact[]>,
    private readonly log: Logger,
  ) {}

  follows(type: string): boolean {
    return this.cursors.has(type);
  }

  join(options: ConsumeOptions): Consumer {
    for (const type of options.types) {
      if (!this.cursors.has(type)) this.cursors.set(type, 0);
    }
    const consumer = new MemoryConsumer(
      this,
      new Set(options.types),
      options.handler,
      options.redeliverAfterMs ?? DEFAULT_REDELIVER_AFTER_MS,
    );
    this.consumers.push(consumer);
    this.schedule();
    return consumer;
  }

  leave(consumer: MemoryConsumer): void {
    this.consumers = this.consumers.filter((c) => c !== consumer);
    if (this.consumers.length === 0) this.clearRetryTimer();
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.consumers.map((consumer) => consumer.stop()));
  }

  /** Never runs handlers synchronously: publish and consume return before any delivery. */
  schedule(): void {
    if (this.scheduled || this.pumping) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    this.clearRetryTimer();
    try {
      for (;;) {
        const next = this.takeNext();
        if (!next) break;
        // takeNext only returns facts of a type some consumer of the group handles.
        const consumer = this.pickConsumer(next.fact.type)!;
        const handled = this.handle(consumer, next);
        consumer.inFlight = handled;
        await handled;
        consumer.inFlight = undefined;
      }
    } finally {
      this.pumping = false;
    }
    this.armRetryTimer();
  }

  private async handle(consumer: MemoryConsumer, item: LoggedFact & { attempts: number }): Promise<void> {
    try {
      await consumer.handler(item.fact);
    } catch (err) {
      const attempts = item.attempts + 1;
      const delay = Math.min(FIRST_RETRY_DELAY_MS * 2 ** (attempts - 1), consumer.redeliverAfterMs);
      this.log.warn(
        { err, factId: item.fact.id, factType: item.fact.type, group: this.name, attempts, retryInMs: delay },
        'fact handler failed; will redeliver',
      );
      this.retries.push({ seq: item.seq, fact: item.fact, attempts, dueAt: Date.now() + delay });
    }
  }

  /** Due retries first (oldest fact first), then the oldest fact not yet taken by the group. */
  private takeNext(): (LoggedFact & { attempts: number }) | undefined {
    const now = Date.now();
    let retryIndex = -1;
    this.retries.forEach((retry, i) => {
      if (retry.dueAt > now || !this.hasConsumerFor(retry.fact.type)) return;
      if (retryIndex < 0 || retry.seq < this.retries[retryIndex].seq) retryIndex = i;
    });
    if (retryIndex >= 0) return this.retries.splice(retryIndex, 1)[0];

    let best: LoggedFact | undefined;
    for (const [type, cursor] of this.cursors) {
      if (!this.hasConsumerFor(type)) continue;
      const entries = this.logs.get(type);
      if (!entries) continue;
      const candidate = entries[firstAfter(entries, cursor)];
      if (candidate && (!best || candidate.seq < best.seq)) best = candidate;
    }
    if (!best) return undefined;
    this.cursors.set(best.fact.type, best.seq);
    return { ...best, attempts: 0 };
  }

  private hasConsumerFor(type: string): boolean {
    return this.consumers.some((c) => c.types.has(type));
  }

  private pickConsumer(type: string): MemoryConsumer | undefined {
    const eligible = this.consumers.filter((c) => c.types.has(type));
    if (eligible.length === 0) return undefined;
    return eligible[this.nextConsumer++ % eligible.length];
  }

  private armRetryTimer(): void {
    let dueAt = Infinity;
    for (const retry of this.retries) {
      if (this.hasConsumerFor(retry.fact.type)) dueAt = Math.min(dueAt, retry.dueAt);
    }
    if (dueAt === Infinity) return;
    this.retryTimer = setTimeout(() => this.schedule(), Math.max(0, dueAt - Date.now()));
    // The bus must not keep a process alive on its own; its owner's server does.
    this.retryTimer.unref();
  }

  private clearRetryTimer(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

/** Index of the first entry whose seq is greater than `seq` (entries are sorted by seq). */
function firstAfter(entries: LoggedFact[], seq: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

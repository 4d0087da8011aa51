/**
 * The bus carries facts between subgraphs. Producers never publish directly from a
 * resolver: they write the fact to their outbox in the transaction that makes the
 * change, and the outbox relay publishes it. Delivery is at least once; consumers
 * make it exactly once with `consumeOnce` (an inbox row written in the same
 * transaction as the consumer's effect).
 */

/** A fact: something that happened, immutable, identified for de-duplication. */
export interface Fact<P = unknown> {
  /** Globally unique; consumers de-duplicate on it. */
  id: string;
  /** Dotted name, e.g. `referral_code.changed`. */
  type: string;
  tenantId: string;
  /** ISO 8601 UTC. */
  occurredAt: string;
  /** The subgraph that produced it. */
  source: string;
  payload: P;
}

export type FactHandler = (fact: Fact) => Promise<void>;

export interface ConsumeOptions {
  /**
   * Consumer group. Every group receives every fact of the types it asks for; within a
   * group each fact goes to one consumer (one replica). Name it `<subgraph>.<purpose>`.
   */
  group: string;
  /** Fact types to receive. */
  types: string[];
  handler: FactHandler;
  /**
   * An entry delivered but not acknowledged for this long is redelivered (to any
   * consumer of the group). Default 30 000 ms.
   */
  redeliverAfterMs?: number;
  /** Maximum facts fetched per read. Default 100. */
  batchSize?: number;
}

export interface Consumer {
  /** Stops fetching; resolves when the handler calls in flight have finished. */
  stop(): Promise<void>;
}

export interface Bus {
  readonly kind: 'memory' | 'redis';
  /** Resolves once the fact is durably accepted by the bus. */
  publish(fact: Fact): Promise<void>;
  /**
   * Starts delivering facts of `types` to `handler`. A fact is acknowledged when the
   * handler resolves; if it rejects (or the process dies first) the fact is delivered
   * again later. Handlers must therefore be idempotent (see `consumeOnce`).
   */
  consume(options: ConsumeOptions): Consumer;
  /** Cheap liveness check for readiness probes; rejects when the bus is unreachable. */
  ping(): Promise<void>;
  /** Stops every consumer and closes connections. */
  close(): Promise<void>;
}

/**
 * Where a bus that may forget (Redis without persistence, a failover to a lagging replica)
 * holds an outbox's facts: `epoch` names one life of the bus's memory (a new one after it
 * lost everything), `position` counts the facts of that outbox it accepted in that life, in
 * the order it accepted them. A fact published at a position the bus no longer reaches was
 * forgotten and must be published again from the outbox.
 */
export interface OutboxMark {
  epoch: string;
  position: number;
}

/** A bus that can tell which outbox facts it still holds (see `OutboxMark`). */
export interface ForgetfulBus extends Bus {
  /**
   * Publishes facts of one outbox in order, atomically with advancing its mark, so that any
   * copy of the bus's data (a replica) holding the mark holds every fact up to it. Returns
   * the mark after the last fact: fact i of n is at `position - n + 1 + i`.
   */
  publishFromOutbox(outbox: string, facts: { type: string; body: string }[]): Promise<OutboxMark>;
  /** The outbox's mark as the bus holds it now; null when the bus has forgotten it (or never had it). */
  outboxMark(outbox: string): Promise<OutboxMark | null>;
  /** Identifies the running server process: a change means it restarted (and may have lost data). */
  serverRunId(): Promise<string>;
  /** Which of the fact types have no stream (any more). */
  missingStreams(types: string[]): Promise<string[]>;
  /**
   * Trims each type's stream below what every consumer group has acknowledged (never an
   * entry some group has not read or not acknowledged); a stream no group reads keeps
   * `keepUnreadMs` of history for groups created later. Returns the entries removed.
   */
  trimAcknowledged(types: string[], keepUnreadMs: number): Promise<number>;
}

export function isForgetfulBus(bus: Bus): bus is ForgetfulBus {
  return typeof (bus as Partial<ForgetfulBus>).publishFromOutbox === 'function';
}

/**
 * Live fan-out (not durable): conversions to subscribers on every gateway replica.
 * Messages are JSON-serialisable objects.
 */
export interface PubSub {
  readonly kind: 'memory' | 'redis';
  publish(channel: string, message: unknown): Promise<void>;
  /** Returns an unsubscribe function. The handler is called once per message. */
  subscribe(channel: string, handler: (message: unknown) => void): Promise<() => Promise<void>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

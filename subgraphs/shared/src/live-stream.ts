import { GraphQLError } from 'graphql';
import type { PubSub } from './bus/bus';

/** A live message of a positioned log: its per-tenant position, in commit order. */
export interface PositionedMessage {
  position: number;
}

export interface PositionedStreamOptions<T, M extends PositionedMessage> {
  pubsub: PubSub;
  /** The pub/sub channel the log's live messages are published on (one per tenant). */
  channel: string;
  /** Resume after this position; null: only what is committed from now on. */
  afterPosition: number | null;
  /** Live messages buffered for a slow subscriber before it is cut off. */
  bufferLimit: number;
  /** The highest position committed so far: where a stream without afterPosition starts. */
  head: () => Promise<number>;
  /** Rows matching the subscriber's filter with after < position (and position < before, when given), in position order, at most `limit`. */
  page: (after: number, before: number | null, limit: number) => Promise<T[]>;
  positionOf: (row: T) => number;
  /** The row a live message stands for, or null when it does not match the subscriber's filter. */
  fromMessage: (message: M) => T | null;
  /** Rows read per replay query. Default 500. */
  pageSize?: number;
}

/**
 * A per-tenant log in commit order (live conversions, commission changes): first every
 * matching row after `afterPosition` from the database, then live ones from the pub/sub.
 * The pub/sub is subscribed before the database is read, so nothing committed in between
 * is missed; positions already delivered are dropped, and a hole in the live positions
 * (messages can arrive out of order from several relays, or be lost) is filled from the
 * database when a later one arrives. A subscriber whose buffer fills is cut off with
 * SUBSCRIBER_TOO_SLOW and resumes with its last cursor.
 */
export async function* positionedStream<T, M extends PositionedMessage>(opts: PositionedStreamOptions<T, M>): AsyncGenerator<T> {
  const pageSize = opts.pageSize ?? 500;
  const queue: M[] = [];
  let overflow = false;
  let wake: (() => void) | null = null;
  const unsubscribe = await opts.pubsub.subscribe(opts.channel, (message) => {
    if (queue.length >= opts.bufferLimit) overflow = true;
    else queue.push(message as M);
    wake?.();
  });
  try {
    let last: number;
    if (opts.afterPosition === null) last = await opts.head();
    else {
      last = opts.afterPosition;
      for (;;) {
        const rows = await opts.page(last, null, pageSize);
        for (const row of rows) {
          yield row;
          last = opts.positionOf(row);
        }
        if (rows.length < pageSize) break;
      }
    }
    for (;;) {
      if (overflow) {
        throw new GraphQLError('the subscriber read too slowly and its buffer filled; resubscribe with after: <the last cursor received>', {
          extensions: { code: 'SUBSCRIBER_TOO_SLOW' },
        });
      }
      const next = queue.shift();
      if (!next) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
        continue;
      }
      if (next.position <= last) continue;
      if (next.position > last + 1) {
        for (;;) {
          const rows = await opts.page(last, next.position, pageSize);
          for (const row of rows) {
            yield row;
            last = opts.positionOf(row);
          }
          if (rows.length < pageSize) break;
        }
      }
      last = next.position;
      const row = opts.fromMessage(next);
      if (row !== null) yield row;
    }
  } finally {
    await unsubscribe();
  }
}

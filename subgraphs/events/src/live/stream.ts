import { GraphQLError } from 'graphql';
import { DataSource } from 'typeorm';
import { PubSub } from '../../../shared/src';
import { ReferralEvent } from '../entities/referral-event.entity';

export interface StreamFilter {
  partnerId?: string | null;
  eventTypes?: string[] | null;
  conversionsOnly?: boolean | null;
}

/** What the live publisher sends for every event: enough to answer without a database read. */
export interface LiveMessage {
  position: number;
  event: Record<string, unknown> & { id: string; partnerId: string | null; eventType: string; isConversion: boolean; timestamp: string };
}

export const liveChannel = (tenantId: string) => `conversions:${tenantId}`;

const REPLAY_PAGE = 500;

export function matches(filter: StreamFilter, e: { partnerId: string | null; eventType: string; isConversion: boolean }): boolean {
  if (filter.partnerId && e.partnerId !== filter.partnerId) return false;
  if (filter.eventTypes?.length && !filter.eventTypes.includes(e.eventType)) return false;
  if (filter.conversionsOnly && !e.isConversion) return false;
  return true;
}

/** A live message as the entity the resolvers expect. */
export function fromMessage(tenantId: string, m: LiveMessage): ReferralEvent {
  const e = m.event as Record<string, any>;
  return Object.assign(new ReferralEvent(), {
    id: e.id,
    tenantId,
    eventType: e.eventType,
    customEventName: e.customEventName ?? null,
    partnerId: e.partnerId ?? null,
    traderId: e.traderId ?? null,
    position: String(m.position),
    clickId: e.clickId ?? null,
    linkId: e.linkId ?? null,
    fingerprint: null,
    source: e.source ?? 'api',
    attribution: e.attribution,
    amount: e.amount ?? null,
    currency: e.currency ?? null,
    paymentMethod: e.paymentMethod ?? null,
    subscriptionStatus: e.subscriptionStatus ?? null,
    productId: e.productId ?? null,
    isConversion: !!e.isConversion,
    isDuplicate: !!e.isDuplicate,
    idempotencyKey: null,
    requestHash: null,
    occurredAt: new Date(e.timestamp),
    createdAt: new Date(e.timestamp),
  });
}

/**
 * The events of a tenant, in commit order: first every matching event after
 * `afterPosition` from the database, then live ones from the pub/sub. The pub/sub is
 * subscribed before the database is read, so nothing committed in between is missed;
 * positions already delivered are dropped, and a hole in the live positions (messages
 * can arrive out of order from several relays) is filled from the database.
 */
export async function* conversionStream(opts: {
  ds: DataSource;
  pubsub: PubSub;
  tenantId: string;
  filter: StreamFilter;
  afterPosition: number | null;
  /** Live messages buffered for a slow subscriber before it is cut off. */
  bufferLimit: number;
}): AsyncGenerator<ReferralEvent> {
  const { ds, tenantId, filter } = opts;
  const queue: LiveMessage[] = [];
  let overflow = false;
  let wake: (() => void) | null = null;
  const unsubscribe = await opts.pubsub.subscribe(liveChannel(tenantId), (message) => {
    if (queue.length >= opts.bufferLimit) overflow = true;
    else queue.push(message as LiveMessage);
    wake?.();
  });
  const repo = ds.getRepository(ReferralEvent);
  const page = async (after: number, upTo: number | null) => {
    const qb = repo
      .createQueryBuilder('e')
      .where('e.tenant_id = :tenantId AND e.position > :after', { tenantId, after })
      .orderBy('e.position', 'ASC')
      .take(REPLAY_PAGE);
    if (upTo !== null) qb.andWhere('e.position < :upTo', { upTo });
    if (filter.partnerId) qb.andWhere('e.partner_id = :partnerId', { partnerId: filter.partnerId });
    if (filter.eventTypes?.length) qb.andWhere('e.event_type IN (:...types)', { types: filter.eventTypes });
    if (filter.conversionsOnly) qb.andWhere('e.is_conversion = :conv', { conv: true });
    return qb.getMany();
  };
  try {
    let last: number;
    if (opts.afterPosition === null) {
      const [row] = await ds.query(
        ds.options.type === 'postgres' ? 'SELECT COALESCE(MAX(position), 0) AS p FROM events WHERE tenant_id = $1' : 'SELECT COALESCE(MAX(position), 0) AS p FROM events WHERE tenant_id = ?',
        [tenantId],
      );
      last = Number(row.p);
    } else {
      last = opts.afterPosition;
      for (;;) {
        const rows = await page(last, null);
        for (const e of rows) {
          yield e;
          last = Number(e.position);
        }
        if (rows.length < REPLAY_PAGE) break;
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
        for (let rows = await page(last, next.position); rows.length; rows = await page(last, next.position)) {
          for (const e of rows) {
            yield e;
            last = Number(e.position);
          }
        }
      }
      last = next.position;
      if (matches(filter, next.event)) yield fromMessage(tenantId, next);
    }
  } finally {
    await unsubscribe();
  }
}

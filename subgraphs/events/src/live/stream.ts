import { DataSource } from 'typeorm';
import { positionedStream, PubSub } from '../../../shared/src';
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
    requestHashVersion: null,
    occurredAt: new Date(e.timestamp),
    createdAt: new Date(e.timestamp),
  });
}

/**
 * The events of a tenant, in commit order: first every matching event after
 * `afterPosition` from the database, then live ones from the pub/sub, with no gap and no
 * repeat at the switch (the shared positioned stream: subgraphs/shared/src/live-stream.ts).
 */
export function conversionStream(opts: {
  ds: DataSource;
  pubsub: PubSub;
  tenantId: string;
  filter: StreamFilter;
  afterPosition: number | null;
  /** Live messages buffered for a slow subscriber before it is cut off. */
  bufferLimit: number;
}): AsyncGenerator<ReferralEvent> {
  const { ds, tenantId, filter } = opts;
  const repo = ds.getRepository(ReferralEvent);
  return positionedStream<ReferralEvent, LiveMessage>({
    pubsub: opts.pubsub,
    channel: liveChannel(tenantId),
    afterPosition: opts.afterPosition,
    bufferLimit: opts.bufferLimit,
    head: async () => {
      const [row] = await ds.query(
        ds.options.type === 'postgres' ? 'SELECT COALESCE(MAX(position), 0) AS p FROM events WHERE tenant_id = $1' : 'SELECT COALESCE(MAX(position), 0) AS p FROM events WHERE tenant_id = ?',
        [tenantId],
      );
      return Number(row.p);
    },
    page: (after, upTo, limit) => {
      const qb = repo
        .createQueryBuilder('e')
        .where('e.tenant_id = :tenantId AND e.position > :after', { tenantId, after })
        .orderBy('e.position', 'ASC')
        .take(limit);
      if (upTo !== null) qb.andWhere('e.position < :upTo', { upTo });
      if (filter.partnerId) qb.andWhere('e.partner_id = :partnerId', { partnerId: filter.partnerId });
      if (filter.eventTypes?.length) qb.andWhere('e.event_type IN (:...types)', { types: filter.eventTypes });
      if (filter.conversionsOnly) qb.andWhere('e.is_conversion = :conv', { conv: true });
      return qb.getMany();
    },
    positionOf: (e) => Number(e.position),
    fromMessage: (m) => (matches(filter, m.event) ? fromMessage(tenantId, m) : null),
  });
}

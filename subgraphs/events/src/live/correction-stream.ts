import { DataSource } from 'typeorm';
import { positionedStream, PubSub } from '../../../shared/src';
import { encodeCorrectionCursor } from '../domain/event-cursor';
import { EventType } from '../domain/event-types';
import { EventCorrectionRow, ReferralEventCorrection } from '../entities/event-correction.entity';
import { CorrectionPayload } from '../services/correction-log';
import { fromMessage, StreamFilter } from './stream';

/** What the live publisher sends for every logged correction: enough to answer without a database read. */
export interface LiveCorrection {
  position: number;
  row: { partnerId: string | null; eventType: string; previousEventType: string; isConversion: boolean; previousIsConversion: boolean; correction: string; correctedAt: string };
}

export const correctionChannel = (tenantId: string) => `corrections:${tenantId}`;

export function liveCorrectionOf(row: EventCorrectionRow): LiveCorrection {
  const { partnerId, eventType, previousEventType, isConversion, previousIsConversion, correction } = row;
  return { position: Number(row.position), row: { partnerId, eventType, previousEventType, isConversion, previousIsConversion, correction, correctedAt: new Date(row.correctedAt).toISOString() } };
}

/**
 * The conversion filter applied to a correction: the partner's; an event type or conversionsOnly matches when
 * the event matches before or after it (a subscriber to FIRST_DEPOSIT conversions hears that one stopped being one).
 */
export function correctionMatches(filter: StreamFilter, c: LiveCorrection['row']): boolean {
  if (filter.partnerId && c.partnerId !== filter.partnerId) return false;
  if (filter.eventTypes?.length && !filter.eventTypes.includes(c.eventType) && !filter.eventTypes.includes(c.previousEventType)) return false;
  if (filter.conversionsOnly && !c.isConversion && !c.previousIsConversion) return false;
  return true;
}

/** A logged correction as the GraphQL type: the event as the correction left it, and what it was. */
export function toCorrection(tenantId: string, position: string | number, correction: string, correctedAt: Date | string): ReferralEventCorrection {
  const payload = JSON.parse(correction) as CorrectionPayload;
  return Object.assign(new ReferralEventCorrection(), {
    cursor: encodeCorrectionCursor(position),
    event: fromMessage(tenantId, { position: Number(payload.event.cursor), event: payload.event }),
    previous: {
      eventType: payload.previous.eventType as EventType,
      isConversion: payload.previous.isConversion,
      timestamp: new Date(payload.previous.timestamp),
      amount: payload.previous.amount ?? null,
    },
    reason: payload.reason ?? null,
    correctedAt: new Date(correctedAt),
  });
}

/**
 * The corrections of a tenant's events, in commit order: first every matching one logged after `afterPosition`,
 * then live ones from the pub/sub, with no gap and no repeat at the switch (the shared positioned stream, as
 * conversionRecorded).
 */
export function correctionStream(opts: { ds: DataSource; pubsub: PubSub; tenantId: string; filter: StreamFilter; afterPosition: number | null; bufferLimit: number }): AsyncGenerator<ReferralEventCorrection> {
  const { ds, tenantId, filter } = opts;
  const repo = ds.getRepository(EventCorrectionRow);
  return positionedStream<ReferralEventCorrection & { position: number }, LiveCorrection>({
    pubsub: opts.pubsub,
    channel: correctionChannel(tenantId),
    afterPosition: opts.afterPosition,
    bufferLimit: opts.bufferLimit,
    head: async () => {
      const [row] = await ds.query(
        ds.options.type === 'postgres'
          ? 'SELECT COALESCE(MAX(position), 0) AS p FROM event_corrections WHERE tenant_id = $1'
          : 'SELECT COALESCE(MAX(position), 0) AS p FROM event_corrections WHERE tenant_id = ?',
        [tenantId],
      );
      return Number(row.p);
    },
    page: async (after, upTo, limit) => {
      const qb = repo
        .createQueryBuilder('c')
        .where('c.tenant_id = :tenantId AND c.position > :after', { tenantId, after })
        .orderBy('c.position', 'ASC')
        .take(limit);
      if (upTo !== null) qb.andWhere('c.position < :upTo', { upTo });
      if (filter.partnerId) qb.andWhere('c.partner_id = :partnerId', { partnerId: filter.partnerId });
      if (filter.eventTypes?.length) qb.andWhere('(c.event_type IN (:...types) OR c.previous_event_type IN (:...types))', { types: filter.eventTypes });
      if (filter.conversionsOnly) qb.andWhere('(c.is_conversion = :conv OR c.previous_is_conversion = :conv)', { conv: true });
      return (await qb.getMany()).map((r) => Object.assign(toCorrection(tenantId, r.position, r.correction, r.correctedAt), { position: Number(r.position) }));
    },
    positionOf: (c) => c.position,
    fromMessage: (m) => (correctionMatches(filter, m.row) ? Object.assign(toCorrection(tenantId, m.position, m.row.correction, m.row.correctedAt), { position: m.position }) : null),
  });
}

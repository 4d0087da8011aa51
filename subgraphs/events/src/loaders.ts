import { DataSource } from 'typeorm';
import { BaseContext, byIdLoader, dateParam, groupedCountLoader, Principal, PubSub, rangeGroup } from '../../shared/src';
import { EventType } from './domain/event-types';
import { ReferralEvent } from './entities/referral-event.entity';
import { Trader } from './entities/trader.entity';

export interface EventsContext extends BaseContext {
  dataSource: DataSource;
  loaders: ReturnType<typeof createLoaders>;
  /** The request's "now": relative ranges in one request share it (and so one query). */
  now: Date;
  /** Live conversions: the pub/sub and how many messages a slow subscriber may lag. */
  live: { pubsub: PubSub; bufferLimit: number };
}

export interface LinkEventsKey {
  linkId: string;
  from: Date;
  eventType: EventType | null;
  conversionsOnly: boolean;
}
const linkEventsGroup = (k: LinkEventsKey) => `${k.from.toISOString()}|${k.eventType ?? ''}|${k.conversionsOnly}`;

export interface RangeKey {
  partnerId: string;
  from?: Date | null;
  to?: Date | null;
}

/** Per-request loaders: one query per entity type (and per date range for counts). */
export function createLoaders(ds: DataSource, principal: Principal) {
  const tenantId = principal.tenantId;
  return {
    event: byIdLoader(ds, ReferralEvent, tenantId),
    trader: byIdLoader(ds, Trader, tenantId),
    // Keys in one batch usually share a range: each range costs one query.
    registrationCount: groupedCountLoader<RangeKey>({
      id: (k) => k.partnerId,
      group: rangeGroup,
      count: async (members) => {
        const { from, to } = members[0];
        const qb = ds
          .getRepository(ReferralEvent)
          .createQueryBuilder('e')
          .select('e.partner_id', 'partnerId')
          .addSelect('COUNT(*)', 'n')
          .where('e.tenant_id = :tenantId', { tenantId })
          .andWhere('e.event_type = :type', { type: EventType.REGISTRATION })
          .andWhere('e.is_duplicate = :dup', { dup: false })
          .andWhere('e.partner_id IN (:...ids)', { ids: members.map((k) => k.partnerId) })
          .groupBy('e.partner_id');
        if (from) qb.andWhere('e.occurred_at >= :from', { from: dateParam(ds, from) });
        if (to) qb.andWhere('e.occurred_at < :to', { to: dateParam(ds, to) });
        return new Map((await qb.getRawMany<{ partnerId: string; n: string | number }>()).map((row) => [row.partnerId, Number(row.n)]));
      },
    }),
    /** Event counters of many links: one GROUP BY per distinct (range, type, conversions) combination. */
    linkEvents: groupedCountLoader<LinkEventsKey>({
      id: (k) => k.linkId,
      group: linkEventsGroup,
      count: async (members) => {
        const { from, eventType, conversionsOnly } = members[0];
        const qb = ds
          .getRepository(ReferralEvent)
          .createQueryBuilder('e')
          .select('e.link_id', 'linkId')
          .addSelect('COUNT(*)', 'n')
          .where('e.tenant_id = :tenantId', { tenantId })
          .andWhere('e.link_id IN (:...ids)', { ids: members.map((k) => k.linkId) })
          .andWhere('e.occurred_at >= :from', { from: dateParam(ds, from) })
          .groupBy('e.link_id');
        if (eventType) qb.andWhere('e.event_type = :eventType', { eventType });
        if (conversionsOnly) qb.andWhere('e.is_conversion = :conv', { conv: true });
        return new Map((await qb.getRawMany<{ linkId: string; n: string | number }>()).map((row) => [row.linkId, Number(row.n)]));
      },
    }),
  };
}


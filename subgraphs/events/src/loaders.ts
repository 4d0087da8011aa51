import DataLoader from 'dataloader';
import { DataSource } from 'typeorm';
import { BaseContext, byIdLoader, dateParam, Principal, PubSub } from '../../shared/src';
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
    registrationCount: new DataLoader<RangeKey, number, string>(
      async (keys) => {
        // Keys in one batch usually share a range; group so each range costs one query.
        const groups = new Map<string, RangeKey[]>();
        for (const k of keys) {
          const g = `${k.from?.toISOString() ?? ''}|${k.to?.toISOString() ?? ''}`;
          groups.set(g, [...(groups.get(g) ?? []), k]);
        }
        const counts = new Map<string, number>();
        for (const group of groups.values()) {
          const { from, to } = group[0];
          const qb = ds
            .getRepository(ReferralEvent)
            .createQueryBuilder('e')
            .select('e.partner_id', 'partnerId')
            .addSelect('COUNT(*)', 'n')
            .where('e.tenant_id = :tenantId', { tenantId })
            .andWhere('e.event_type = :type', { type: EventType.REGISTRATION })
            .andWhere('e.is_duplicate = :dup', { dup: false })
            .andWhere('e.partner_id IN (:...ids)', { ids: group.map((k) => k.partnerId) })
            .groupBy('e.partner_id');
          if (from) qb.andWhere('e.occurred_at >= :from', { from: dateParam(ds, from) });
          if (to) qb.andWhere('e.occurred_at < :to', { to: dateParam(ds, to) });
          for (const row of await qb.getRawMany<{ partnerId: string; n: string | number }>()) {
            counts.set(`${row.partnerId}|${from?.toISOString() ?? ''}|${to?.toISOString() ?? ''}`, Number(row.n));
          }
        }
        return keys.map((k) => counts.get(rangeKey(k)) ?? 0);
      },
      { cacheKeyFn: rangeKey },
    ),
    /** Event counters of many links: one GROUP BY per distinct (range, type, conversions) combination. */
    linkEvents: new DataLoader<LinkEventsKey, number, string>(
      async (keys) => {
        const groups = new Map<string, LinkEventsKey[]>();
        for (const k of keys) groups.set(linkEventsGroup(k), [...(groups.get(linkEventsGroup(k)) ?? []), k]);
        const counts = new Map<string, number>();
        for (const [group, members] of groups) {
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
          for (const row of await qb.getRawMany<{ linkId: string; n: string | number }>()) counts.set(`${row.linkId}|${group}`, Number(row.n));
        }
        return keys.map((k) => counts.get(`${k.linkId}|${linkEventsGroup(k)}`) ?? 0);
      },
      { cacheKeyFn: (k) => `${k.linkId}|${linkEventsGroup(k)}` },
    ),
  };
}

function rangeKey(k: RangeKey): string {
  return `${k.partnerId}|${k.from?.toISOString() ?? ''}|${k.to?.toISOString() ?? ''}`;
}

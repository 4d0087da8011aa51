import DataLoader from 'dataloader';
import { DataSource } from 'typeorm';
import { BaseContext, byIdLoader, dateParam, Principal } from '../../shared/src';
import { EventType } from './domain/event-types';
import { ReferralEvent } from './entities/referral-event.entity';
import { Trader } from './entities/trader.entity';

export interface EventsContext extends BaseContext {
  dataSource: DataSource;
  loaders: ReturnType<typeof createLoaders>;
}

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
  };
}

function rangeKey(k: RangeKey): string {
  return `${k.partnerId}|${k.from?.toISOString() ?? ''}|${k.to?.toISOString() ?? ''}`;
}

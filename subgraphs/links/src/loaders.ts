import DataLoader from 'dataloader';
import { DataSource } from 'typeorm';
import { BaseContext, byIdLoader, dateParam, Principal } from '../../shared/src';
import { Click } from './entities/click.entity';
import { LinkSettings } from './entities/link-settings.entity';
import { Partner } from './entities/partner.entity';
import { ReferralLink } from './entities/referral-link.entity';
import { LinksDeps } from './services/deps';
import { loadSettings } from './services/link-settings';

export interface LinksContext extends BaseContext {
  dataSource: DataSource;
  loaders: ReturnType<typeof createLoaders>;
  /** The request's "now": every relative range in one request uses the same instant (and so one query). */
  now: Date;
}

export interface CountKey {
  id: string;
  from?: Date | null;
  to?: Date | null;
}
const countKey = (k: CountKey) => `${k.id}|${k.from?.toISOString() ?? ''}|${k.to?.toISOString() ?? ''}`;

/**
 * Click counts for many partners or links: one GROUP BY per distinct range, so a list
 * of 100 partners with clickCount costs one query, not 100.
 */
function clickCounts(ds: DataSource, tenantId: string, column: 'partner_id' | 'link_id', uniqueOnly = false) {
  return new DataLoader<CountKey, number, string>(
    async (keys) => {
      const groups = new Map<string, CountKey[]>();
      for (const k of keys) {
        const g = `${k.from?.toISOString() ?? ''}|${k.to?.toISOString() ?? ''}`;
        groups.set(g, [...(groups.get(g) ?? []), k]);
      }
      const counts = new Map<string, number>();
      for (const group of groups.values()) {
        const { from, to } = group[0];
        const qb = ds
          .getRepository(Click)
          .createQueryBuilder('c')
          .select(`c.${column}`, 'id')
          .addSelect('COUNT(*)', 'n')
          .where('c.tenant_id = :tenantId', { tenantId })
          .andWhere(`c.${column} IN (:...ids)`, { ids: group.map((k) => k.id) })
          .groupBy(`c.${column}`);
        if (uniqueOnly) qb.andWhere('c.is_unique = :u', { u: true });
        if (from) qb.andWhere('c.created_at >= :from', { from: dateParam(ds, from) });
        if (to) qb.andWhere('c.created_at < :to', { to: dateParam(ds, to) });
        for (const row of await qb.getRawMany<{ id: string; n: string | number }>()) counts.set(countKey({ id: row.id, from, to }), Number(row.n));
      }
      return keys.map((k) => counts.get(countKey(k)) ?? 0);
    },
    { cacheKeyFn: countKey },
  );
}

/** Per-request loaders: one query per entity type however many ids a request asks for. */
export function createLoaders(ds: DataSource, principal: Principal, deps: Pick<LinksDeps, 'config'>) {
  const tenantId = principal.tenantId;
  return {
    partner: byIdLoader(ds, Partner, tenantId),
    link: byIdLoader(ds, ReferralLink, tenantId),
    click: byIdLoader(ds, Click, tenantId),
    settings: new DataLoader<string, LinkSettings>(async (tenants) => Promise.all(tenants.map((t) => loadSettings(ds, t, deps.config.defaultLinkDomain)))),
    partnerClicks: clickCounts(ds, tenantId, 'partner_id'),
    linkClicks: clickCounts(ds, tenantId, 'link_id'),
    linkUniqueClicks: clickCounts(ds, tenantId, 'link_id', true),
  };
}

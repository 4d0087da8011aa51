import DataLoader from 'dataloader';
import { DataSource } from 'typeorm';
import { BaseContext, byIdLoader, dateParam, groupedCountLoader, Principal, rangeGroup } from '../../shared/src';
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

/**
 * Click counts for many partners or links: one GROUP BY per distinct range, so a list
 * of 100 partners with clickCount costs one query, not 100.
 */
function clickCounts(ds: DataSource, tenantId: string, column: 'partner_id' | 'link_id', uniqueOnly = false) {
  return groupedCountLoader<CountKey>({
    id: (k) => k.id,
    group: rangeGroup,
    count: async (members) => {
      const { from, to } = members[0];
      const qb = ds
        .getRepository(Click)
        .createQueryBuilder('c')
        .select(`c.${column}`, 'id')
        .addSelect('COUNT(*)', 'n')
        .where('c.tenant_id = :tenantId', { tenantId })
        .andWhere(`c.${column} IN (:...ids)`, { ids: members.map((k) => k.id) })
        .groupBy(`c.${column}`);
      if (uniqueOnly) qb.andWhere('c.is_unique = :u', { u: true });
      if (from) qb.andWhere('c.created_at >= :from', { from: dateParam(ds, from) });
      if (to) qb.andWhere('c.created_at < :to', { to: dateParam(ds, to) });
      return new Map((await qb.getRawMany<{ id: string; n: string | number }>()).map((row) => [row.id, Number(row.n)]));
    },
  });
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

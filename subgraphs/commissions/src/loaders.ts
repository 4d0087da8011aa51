import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { BaseContext, byIdLoader, Principal } from '../../shared/src';
import { CommissionPlan } from './entities/plan.entity';
import { partnerPlans } from './services/engine';
import { Commission } from './entities/commission.entity';

export interface CommissionsContext extends BaseContext {
  dataSource: DataSource;
  loaders: ReturnType<typeof createLoaders>;
  defaultCurrency: string;
}

export interface StatusSum {
  currency: string;
  status: string;
  minor: string;
}

/** Per-request loaders: one GROUP BY for the earnings of every partner in a request. */
export function createLoaders(ds: DataSource, principal: Principal) {
  return {
    commission: byIdLoader(ds, Commission, principal.tenantId),
    plan: byIdLoader(ds, CommissionPlan, principal.tenantId),
    /** Commissions of many events in one query (ReferralEvent.commissions without the required fields). */
    eventCommissions: new DataLoader<string, Commission[]>(async (eventIds) => {
      const rows = await ds.getRepository(Commission).find({ where: { tenantId: principal.tenantId, eventId: In([...eventIds]) }, order: { ruleIndex: 'ASC', tier: 'ASC' } });
      return eventIds.map((id) => rows.filter((r) => r.eventId === id));
    }),
    /** The plan of many partners (assigned, else the tenant default) in two queries. */
    partnerPlan: new DataLoader<string, CommissionPlan | null>(async (partnerIds) => {
      const plans = await partnerPlans(ds.manager, principal.tenantId, partnerIds);
      return partnerIds.map((id) => plans.get(id) ?? null);
    }),
    sums: new DataLoader<string, StatusSum[]>(async (partnerIds) => {
      const rows = await ds
        .getRepository(Commission)
        .createQueryBuilder('c')
        .select('c.partner_id', 'partnerId')
        .addSelect('c.currency', 'currency')
        .addSelect('c.status', 'status')
        .addSelect('SUM(c.amount_minor)', 'minor')
        .where('c.tenant_id = :tenantId', { tenantId: principal.tenantId })
        .andWhere('c.partner_id IN (:...ids)', { ids: [...partnerIds] })
        .groupBy('c.partner_id')
        .addGroupBy('c.currency')
        .addGroupBy('c.status')
        .getRawMany<{ partnerId: string; currency: string; status: string; minor: string | number }>();
      return partnerIds.map((id) => rows.filter((r) => r.partnerId === id).map((r) => ({ currency: r.currency, status: r.status, minor: String(r.minor) })));
    }),
  };
}

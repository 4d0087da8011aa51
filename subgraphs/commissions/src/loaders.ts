import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { BaseContext, byIdLoader, Principal } from '../../shared/src';
import { CommissionPlan, CommissionPlanVersion, PartnerPlan, PartnerRef } from './entities/plan.entity';
import { AppliedEvent, EngineMark } from './entities/refund-application.entity';
import { idTime } from './domain/commission-ids';
import { EngineReads, partnerPlans, versionsOrSelf } from './services/engine';
import { Commission, CommissionStatus } from './entities/commission.entity';
import { FxRate } from './entities/fx-rate.entity';

export interface CommissionsContext extends BaseContext {
  dataSource: DataSource;
  loaders: ReturnType<typeof createLoaders>;
  defaultCurrency: string;
}

export interface StatusSum {
  currency: string;
  status: string;
  /** The plan currency a FX_PENDING sum settles in (else the currency itself). */
  settlementCurrency: string;
  minor: string;
}

/** Rows of one partner's GROUP BY as sums; rows differing only in settlement currency merge unless FX_PENDING. */
function mergeSums(rows: { currency: string; status: string; settlementCurrency: string | null; minor: string | number }[]): StatusSum[] {
  const out = new Map<string, StatusSum>();
  for (const r of rows) {
    const settlementCurrency = r.status === CommissionStatus.FX_PENDING ? r.settlementCurrency ?? r.currency : r.currency;
    const key = `${r.currency}|${r.status}|${settlementCurrency}`;
    const known = out.get(key);
    if (known) known.minor = (BigInt(known.minor) + BigInt(String(r.minor))).toString();
    else out.set(key, { currency: r.currency, status: r.status, settlementCurrency, minor: String(r.minor) });
  }
  return [...out.values()];
}

/** Per-request loaders: one GROUP BY for the earnings of every partner in a request. */
export function createLoaders(ds: DataSource, principal: Principal) {
  const tenantId = principal.tenantId;
  let tenantPlans: Promise<CommissionPlan[]> | null = null;
  let fxRates: Promise<FxRate[]> | null = null;
  const planVersions = new DataLoader<string, CommissionPlanVersion[]>(async (planIds) => {
    const rows = await ds.getRepository(CommissionPlanVersion).find({ where: { tenantId, planId: In([...planIds]) }, order: { version: 'ASC' } });
    return planIds.map((id) => rows.filter((r) => r.planId === id));
  });
  const assignedPlan = new DataLoader<string, string | null>(async (partnerIds) => {
    const rows = await ds.getRepository(PartnerPlan).findBy({ tenantId, partnerId: In([...partnerIds]) });
    const byPartner = new Map(rows.map((r) => [r.partnerId, r.planId]));
    return partnerIds.map((id) => byPartner.get(id) ?? null);
  });
  const partnerRef = new DataLoader<string, PartnerRef | null>(async (partnerIds) => {
    const rows = await ds.getRepository(PartnerRef).findBy({ tenantId, partnerId: In([...partnerIds]) });
    return partnerIds.map((id) => rows.find((r) => r.partnerId === id) ?? null);
  });
  let appliedBefore: Promise<Date | null> | null = null;
  const appliedEvent = new DataLoader<string, boolean>(async (eventIds) => {
    appliedBefore ??= ds.getRepository(EngineMark).findOneBy({ name: 'events_applied_before' }).then((m) => m?.at ?? null);
    const [rows, before] = await Promise.all([ds.getRepository(AppliedEvent).find({ select: { eventId: true }, where: { tenantId, eventId: In([...eventIds]) } }), appliedBefore]);
    const applied = new Set(rows.map((r) => r.eventId));
    // Events recorded before applied_events existed were applied by the consumer of that time.
    return eventIds.map((id) => applied.has(id) || (!!before && (idTime(id)?.getTime() ?? Infinity) < before.getTime()));
  });
  /** What the commission engine reads to compute an event's commissions without writing: batched per request. */
  const engineReads: EngineReads = {
    async plansFor(partnerId) {
      tenantPlans ??= ds.getRepository(CommissionPlan).findBy({ tenantId });
      return { plans: await tenantPlans, assignedPlanId: await assignedPlan.load(partnerId) };
    },
    async versionsOf(plan) {
      return versionsOrSelf(plan, await planVersions.load(plan.id));
    },
    partnerRef: (partnerId) => partnerRef.load(partnerId),
    applied: (eventId) => appliedEvent.load(eventId),
    fxRates: () => (fxRates ??= ds.getRepository(FxRate).findBy({ tenantId })),
  };
  /** Sums per partner, currency, status and settlement currency: earnings, the income series and fxPending, one GROUP BY. */
  const sums = new DataLoader<string, StatusSum[]>(async (partnerIds) => {
    const rows = await ds
      .getRepository(Commission)
      .createQueryBuilder('c')
      .select('c.partner_id', 'partnerId')
      .addSelect('c.currency', 'currency')
      .addSelect('c.status', 'status')
      .addSelect('c.settlement_currency', 'settlementCurrency')
      .addSelect('SUM(c.amount_minor)', 'minor')
      .where('c.tenant_id = :tenantId', { tenantId: principal.tenantId })
      .andWhere('c.partner_id IN (:...ids)', { ids: [...partnerIds] })
      .groupBy('c.partner_id')
      .addGroupBy('c.currency')
      .addGroupBy('c.status')
      .addGroupBy('c.settlement_currency')
      .getRawMany<{ partnerId: string; currency: string; status: string; settlementCurrency: string | null; minor: string | number }>();
    // Settled rows are in their settlement currency already: one sum per currency and status.
    return partnerIds.map((id) => mergeSums(rows.filter((r) => r.partnerId === id)));
  });

  return {
    engineReads,
    planVersions,
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
    sums,
  };
}

import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { EntityManager, FindOptionsWhere, In, IsNull } from 'typeorm';
import { Emit, EventType, isPostgres, newId, toMinor } from '../../../shared/src';
import { computeCommissions, FxTable, Plan, Source } from '../domain/compute';
import { Commission, CommissionKind, CommissionStatus } from '../entities/commission.entity';
import { CommissionPlan, PartnerPlan, PartnerRef } from '../entities/plan.entity';
import { RefundApplication } from '../entities/refund-application.entity';

/** What commissions needs of an event: from `event.recorded`, or the fields `@requires` brings. */
export interface EventFacts {
  id: string;
  eventType: EventType;
  amount: string | null;
  currency: string | null;
  isDuplicate: boolean;
  timestamp: Date;
  productId: string | null;
  partnerId: string | null;
  traderId: string | null;
}

const PAYMENT_TYPES = new Set([EventType.FIRST_DEPOSIT, EventType.RECURRING_DEPOSIT, EventType.SUBSCRIPTION]);

/** The plan that pays for a partner's event: the product's plan, else the partner's, else the tenant default. */
export async function planFor(m: EntityManager, tenantId: string, partnerId: string, productId: string | null): Promise<CommissionPlan | null> {
  const plans = m.getRepository(CommissionPlan);
  if (productId) {
    const product = await plans.findOneBy({ tenantId, productId });
    if (product) return product;
  }
  return (await partnerPlans(m, tenantId, [partnerId])).get(partnerId) ?? null;
}

/**
 * The plans of many partners without a product: each partner's assigned plan, else the
 * tenant default. Two queries whatever the number of partners (the Partner loader uses it).
 */
export async function partnerPlans(m: EntityManager, tenantId: string, partnerIds: readonly string[]): Promise<Map<string, CommissionPlan | null>> {
  const assigned = await m.getRepository(PartnerPlan).findBy({ tenantId, partnerId: In([...partnerIds]) });
  const planIds = [...new Set(assigned.map((a) => a.planId))];
  const where: FindOptionsWhere<CommissionPlan>[] = [{ tenantId, isDefault: true, productId: IsNull() }];
  if (planIds.length) where.push({ tenantId, id: In(planIds) });
  const plans = await m.getRepository(CommissionPlan).findBy(where);
  const byId = new Map(plans.map((p) => [p.id, p]));
  const fallback = plans.find((p) => p.isDefault && p.productId === null) ?? null;
  const planOf = new Map(assigned.map((a) => [a.partnerId, a.planId]));
  return new Map(partnerIds.map((id) => [id, byId.get(planOf.get(id) ?? '') ?? fallback]));
}

/** The read model has not seen a partner yet: a consumer retries later, a resolver waits for the consumer. */
export class PartnerNotKnownYet extends Error {}

/** [partner, parent, grandparent, ...] up to `depth` uplines, from the partner read model. */
export async function chainOf(m: EntityManager, tenantId: string, partnerId: string, depth: number): Promise<string[]> {
  if (depth > 0 && !(await m.getRepository(PartnerRef).findOneBy({ tenantId, partnerId }))) {
    throw new PartnerNotKnownYet(`partner ${partnerId} is not in the commissions read model yet`);
  }
  const chain = [partnerId];
  let current = partnerId;
  for (let i = 0; i < depth; i++) {
    const ref = await m.getRepository(PartnerRef).findOneBy({ tenantId, partnerId: current });
    if (!ref?.parentId || chain.includes(ref.parentId)) break;
    chain.push(ref.parentId);
    current = ref.parentId;
  }
  return chain;
}

export interface SourceMeta {
  tenantId: string;
  sourceKey: string;
  eventId: string | null;
  traderId: string | null;
  eventAmount: string | null;
  eventCurrency: string | null;
  occurredAt: Date;
}

/**
 * Computes and stores the commissions of one source. Inserting with ON CONFLICT DO NOTHING
 * on (source, partner, kind, tier, rule) makes the bus consumer and the read-your-writes
 * resolver safe to run in any order, any number of times. Returns every commission of
 * the source, and publishes `commission.changed` for the ones this call created.
 */
export async function applySource(m: EntityManager, emit: Emit, meta: SourceMeta, source: Source, plan: Plan | null, partnerId: string, fx: FxTable): Promise<Commission[]> {
  const effective: Plan = plan ?? { id: '', currency: source.kind === 'bonus' && source.currency ? source.currency : 'USD', holdDays: 0, rules: [] };
  const depth = Math.max(0, ...effective.rules.map((r) => r.tierRates.length));
  const chain = await chainOf(m, meta.tenantId, partnerId, depth);
  const { drafts } = computeCommissions(source, effective, chain, fx);
  const repo = m.getRepository(Commission);
  const now = new Date();
  const rows = drafts.map((d) =>
    repo.create({
      id: newId('com'),
      tenantId: meta.tenantId,
      partnerId: d.partnerId,
      sourceKey: meta.sourceKey,
      eventId: meta.eventId,
      traderId: meta.traderId,
      planId: plan?.id ?? null,
      kind: d.kind as CommissionKind,
      tier: d.tier,
      ruleIndex: d.ruleIndex,
      baseAmount: d.baseAmount,
      amountMinor: toMinor(d.amount, d.currency),
      currency: d.currency,
      fxRate: d.fxRate,
      eventAmount: meta.eventAmount,
      eventCurrency: meta.eventCurrency,
      status: CommissionStatus.PENDING,
      holdUntil: d.holdUntil,
      occurredAt: meta.occurredAt,
      createdAt: now,
      approvedAt: null,
      reversedAt: null,
      reversalReason: null,
      paidAt: null,
    }),
  );
  if (rows.length) await repo.createQueryBuilder().insert().values(rows).orIgnore().execute();
  const stored = await repo.find({ where: { tenantId: meta.tenantId, sourceKey: meta.sourceKey }, order: { ruleIndex: 'ASC', tier: 'ASC' } });
  const created = new Set(rows.map((r) => r.id));
  for (const c of stored) if (created.has(c.id)) emit('commission.changed', meta.tenantId, commissionFact(c, 'created'));
  return stored;
}

export function commissionFact(c: Commission, change: string) {
  return {
    change,
    commission: {
      id: c.id,
      partnerId: c.partnerId,
      eventId: c.eventId,
      traderId: c.traderId,
      kind: c.kind,
      tier: c.tier,
      amount: c.amount(),
      currency: c.currency,
      status: c.status,
      holdUntil: c.holdUntil,
    },
  };
}

/** Commissions of an event (created if not yet), or the reversals a REFUND / CHARGEBACK causes. */
export async function applyEvent(m: EntityManager, emit: Emit, tenantId: string, e: EventFacts, fx: FxTable): Promise<Commission[]> {
  if (e.eventType === EventType.REFUND || e.eventType === EventType.CHARGEBACK) {
    await reversePayment(m, emit, tenantId, e);
    return m.getRepository(Commission).find({ where: { tenantId, eventId: e.id }, order: { createdAt: 'ASC' } });
  }
  if (!e.partnerId) return [];
  const plan = await planFor(m, tenantId, e.partnerId, e.productId);
  if (!plan) return [];
  return applySource(
    m,
    emit,
    { tenantId, sourceKey: e.id, eventId: e.id, traderId: e.traderId, eventAmount: e.amount, eventCurrency: e.currency, occurredAt: e.timestamp },
    { kind: 'event', eventId: e.id, eventType: e.eventType, amount: e.amount, currency: e.currency, isDuplicate: e.isDuplicate, occurredAt: e.timestamp },
    plan,
    e.partnerId,
    fx,
  );
}

/**
 * A refund or chargeback reverses the commissions of the payment it undoes: the trader's
 * latest payment of the same amount and currency (or the latest payment when the refund
 * has no amount) that no other refund has reversed yet. Unpaid ones become REVERSED; paid
 * ones get a negative adjustment. The effect is keyed by the refund (RefundApplication):
 * whoever applies it first, the bus consumer or a read of the refund's commissions, reverses
 * one payment, and every later delivery or read changes nothing.
 */
async function reversePayment(m: EntityManager, emit: Emit, tenantId: string, refund: EventFacts): Promise<void> {
  if (!refund.traderId) return;
  const applications = m.getRepository(RefundApplication);
  if (await applications.findOneBy({ refundEventId: refund.id })) return;
  const repo = m.getRepository(Commission);
  const candidates = await repo.find({ where: { tenantId, traderId: refund.traderId, kind: In([CommissionKind.CPA, CommissionKind.REVSHARE]) }, order: { occurredAt: 'DESC', id: 'DESC' } });
  const matching = candidates.filter(
    (c) => c.eventId && c.sourceKey === c.eventId && (!refund.amount || (c.eventAmount !== null && c.eventCurrency === refund.currency && sameAmount(c.eventAmount, refund.amount))),
  );
  const paymentIds = [...new Set(matching.map((c) => c.eventId!))];
  const refunded = paymentIds.length
    ? new Set((await applications.findBy({ tenantId, paymentEventId: In(paymentIds) })).map((a) => a.paymentEventId))
    : new Set<string>();
  const target = matching.find((c) => c.status !== CommissionStatus.REVERSED && !refunded.has(c.eventId!))?.eventId;
  if (!target) return;
  // Claim the refund: a concurrent writer of the same refund waits on the key and then finds it taken.
  const claim = randomUUID();
  await applications
    .createQueryBuilder()
    .insert()
    .values({ refundEventId: refund.id, tenantId, paymentEventId: target, appliedBy: claim, appliedAt: new Date() })
    .orIgnore()
    .execute();
  const won = await applications.findOneBy({ refundEventId: refund.id });
  if (won?.appliedBy !== claim) return;
  const reason = `${refund.eventType === EventType.REFUND ? 'refund' : 'chargeback'} ${refund.id}`;
  for (const c of await repo.find({ where: { tenantId, eventId: target } })) await reverseOne(m, emit, c, reason, refund.id);
}

function sameAmount(a: string, b: string): boolean {
  return new Decimal(a).eq(b);
}

/** REVERSED for an unpaid commission; a negative adjustment (once) for a paid one. */
export async function reverseOne(m: EntityManager, emit: Emit, c: Commission, reason: string, causeEventId: string | null): Promise<Commission> {
  const repo = m.getRepository(Commission);
  const now = new Date();
  if (c.status === CommissionStatus.PENDING || c.status === CommissionStatus.APPROVED) {
    const res = await repo.update({ id: c.id, status: c.status }, { status: CommissionStatus.REVERSED, reversedAt: now, reversalReason: reason });
    if (res.affected) {
      Object.assign(c, { status: CommissionStatus.REVERSED, reversedAt: now, reversalReason: reason });
      emit('commission.changed', c.tenantId, commissionFact(c, 'reversed'));
    }
    return c;
  }
  if (c.status === CommissionStatus.PAID) {
    const adjustment = repo.create({
      ...c,
      id: newId('com'),
      sourceKey: `adj:${c.id}`,
      eventId: causeEventId ?? c.eventId,
      amountMinor: (-BigInt(c.amountMinor)).toString(),
      status: CommissionStatus.APPROVED,
      holdUntil: now.toISOString().slice(0, 10),
      occurredAt: now,
      createdAt: now,
      approvedAt: now,
      reversedAt: null,
      reversalReason: reason,
      paidAt: null,
    });
    await repo.createQueryBuilder().insert().values(adjustment).orIgnore().execute();
    const stored = await repo.findOneByOrFail({ tenantId: c.tenantId, sourceKey: `adj:${c.id}`, partnerId: c.partnerId, kind: c.kind, tier: c.tier, ruleIndex: c.ruleIndex });
    if (stored.id === adjustment.id) emit('commission.changed', c.tenantId, commissionFact(stored, 'adjusted'));
    return stored;
  }
  return c;
}

/** Moves PENDING commissions whose hold has passed to APPROVED (all tenants, or one). */
export async function approveDue(m: EntityManager, emit: Emit, asOf: Date, tenantId?: string): Promise<number> {
  const repo = m.getRepository(Commission);
  const day = asOf.toISOString().slice(0, 10);
  const qb = repo.createQueryBuilder('c').where('c.status = :pending AND c.hold_until <= :day', { pending: CommissionStatus.PENDING, day });
  if (tenantId) qb.andWhere('c.tenant_id = :tenantId', { tenantId });
  if (isPostgres(m.connection)) qb.setLock('pessimistic_write').setOnLocked('skip_locked');
  const due = await qb.take(5000).getMany();
  for (const c of due) {
    const res = await repo.update({ id: c.id, status: CommissionStatus.PENDING }, { status: CommissionStatus.APPROVED, approvedAt: asOf });
    if (res.affected) {
      Object.assign(c, { status: CommissionStatus.APPROVED, approvedAt: asOf });
      emit('commission.changed', c.tenantId, commissionFact(c, 'approved'));
    }
  }
  return due.length;
}

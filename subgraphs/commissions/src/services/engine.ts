import { randomUUID } from 'node:crypto';
import Decimal from 'decimal.js';
import { EntityManager, FindOptionsWhere, In, IsNull } from 'typeorm';
import { dateParam, Emit, EventType, isPostgres, newId, toMinor } from '../../../shared/src';
import { choosePlan, versionAt } from '../../../shared/src/plan-rules';
import { commissionId, idTime } from '../domain/commission-ids';
import { computeCommissions, FxTable, Plan, Rule, Source } from '../domain/compute';
import { DatedRate, fxAt } from '../domain/fx-rates';
import { refundEffect, refundShareMinor } from '../domain/refunds';
import { FxRate } from '../entities/fx-rate.entity';
import { Commission, CommissionKind, CommissionStatus } from '../entities/commission.entity';
import { CommissionPlan, CommissionPlanVersion, PartnerPlan, PartnerRef } from '../entities/plan.entity';
import { AppliedEvent, RefundApplication } from '../entities/refund-application.entity';

/** What commissions needs of an event: from `event.recorded`, or the fields `@requires` brings. */
export interface EventFacts {
  id: string;
  eventType: EventType;
  amount: string | null;
  currency: string | null;
  /** The payment's USD value as the sender gave it (Track360 amount_usd). */
  amountUsd?: string | null;
  isDuplicate: boolean;
  timestamp: Date;
  productId: string | null;
  partnerId: string | null;
  traderId: string | null;
  /** The customer's trading account type and country (rule conditions); absent or null when unknown. */
  accountType?: string | null;
  country?: string | null;
  /** A REFUND / CHARGEBACK: the payment it refunds, when the sender named it. */
  refundOf?: string | null;
  /** ...and that payment's own facts (carried in the refund's `event.recorded`). */
  refunded?: EventFacts | null;
}

const REVERSING = new Set<EventType>([EventType.REFUND, EventType.CHARGEBACK]);

export function isReversing(eventType: EventType): boolean {
  return REVERSING.has(eventType);
}

/** The terms of one plan version. */
export interface VersionTerms {
  version: number;
  effectiveFrom: Date;
  currency: string;
  holdDays: number;
  salePercentage: string | null;
  rules: Rule[];
  createdAt: Date;
}

/** A plan's versions, oldest first; a plan stored without version rows (written directly) is its own version 1. */
export function versionsOrSelf(plan: CommissionPlan, stored: readonly CommissionPlanVersion[]): VersionTerms[] {
  if (stored.length) return [...stored].sort((a, b) => a.version - b.version);
  const { currency, holdDays, salePercentage, rules, createdAt } = plan;
  return [{ version: plan.version ?? 1, effectiveFrom: createdAt, currency, holdDays, salePercentage, rules, createdAt }];
}

/**
 * What the engine reads, and nothing else: the consumer reads through its transaction, a GraphQL read through the
 * request's loaders (batched over the events of a list). Neither can write.
 */
export interface EngineReads {
  /** The plans that can pay a partner's event (its product's, its assigned one, the tenant default) and its assignment. */
  plansFor(partnerId: string, productId: string | null): Promise<{ plans: CommissionPlan[]; assignedPlanId: string | null }>;
  versionsOf(plan: CommissionPlan): Promise<VersionTerms[]>;
  partnerRef(partnerId: string): Promise<PartnerRef | null>;
  /** Whether the consumer has applied the event (AppliedEvent). */
  applied(eventId: string): Promise<boolean>;
  /** The tenant's dated exchange rates (setFxRate). */
  fxRates(): Promise<DatedRate[]>;
}

/** The tenant's dated exchange rates (setFxRate), every pair: a small table, read whole. */
export function tenantFxRates(m: EntityManager, tenantId: string): Promise<FxRate[]> {
  return m.getRepository(FxRate).findBy({ tenantId });
}

/**
 * Serialises creating FX_PENDING commissions with setFxRate on PostgreSQL (a transaction-scoped advisory lock per
 * tenant): a commission held for a rate is either committed before the rate (and settled by its fact) or computed
 * after it (and converted at once), never missed between the two. Returns true when the lock was taken, after
 * which the caller reads the rates again. SQLite transactions already take turns.
 */
export async function lockFx(m: EntityManager, tenantId: string): Promise<boolean> {
  if (!isPostgres(m.connection)) return false;
  await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`fx_rates:${tenantId}`]);
  return true;
}

/** The change a new commission is announced with: `fx_pending` while held for a rate (`created` comes at settlement). */
export function creationChange(c: Pick<Commission, 'status'>): string {
  return c.status === CommissionStatus.FX_PENDING ? 'fx_pending' : 'created';
}

export function managerReads(m: EntityManager, tenantId: string): EngineReads {
  return {
    async plansFor(partnerId, productId) {
      const assigned = await m.getRepository(PartnerPlan).findOneBy({ tenantId, partnerId });
      const where: FindOptionsWhere<CommissionPlan>[] = [{ tenantId, isDefault: true, productId: IsNull() }];
      if (assigned) where.push({ tenantId, id: assigned.planId });
      if (productId) where.push({ tenantId, productId });
      return { plans: await m.getRepository(CommissionPlan).findBy(where), assignedPlanId: assigned?.planId ?? null };
    },
    async versionsOf(plan) {
      return versionsOrSelf(plan, await m.getRepository(CommissionPlanVersion).findBy({ tenantId, planId: plan.id }));
    },
    partnerRef: (partnerId) => m.getRepository(PartnerRef).findOneBy({ tenantId, partnerId }),
    async applied(eventId) {
      return (await m.getRepository(AppliedEvent).countBy({ tenantId, eventId })) > 0;
    },
    fxRates: () => tenantFxRates(m, tenantId),
  };
}

/** The plan and version that pay a partner's source at time `at` (shared/src/plan-rules: choosePlan, versionAt). */
export async function planAt(reads: EngineReads, partnerId: string, productId: string | null, at: Date): Promise<{ plan: CommissionPlan; terms: VersionTerms } | null> {
  const { plans, assignedPlanId } = await reads.plansFor(partnerId, productId);
  const plan = choosePlan(plans, assignedPlanId, productId);
  if (!plan) return null;
  const terms = versionAt(await reads.versionsOf(plan), at);
  return terms ? { plan, terms } : null;
}

function asPlan(chosen: { plan: CommissionPlan; terms: VersionTerms }): Plan {
  const { plan, terms } = chosen;
  return { id: plan.id, version: terms.version, currency: terms.currency, holdDays: terms.holdDays, rules: terms.rules };
}

/** The plan version (as the compute function takes it) paying a partner's source at `at`, read in a transaction. */
export async function planFor(m: EntityManager, tenantId: string, partnerId: string, productId: string | null, at: Date = new Date()): Promise<Plan | null> {
  const chosen = await planAt(managerReads(m, tenantId), partnerId, productId, at);
  return chosen && asPlan(chosen);
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
  const planOf = new Map(assigned.map((a) => [a.partnerId, a.planId]));
  return new Map(partnerIds.map((id) => [id, choosePlan(plans, planOf.get(id) ?? null, null)]));
}

/** The read model has not seen a partner yet: a consumer retries later; a read shows what is stored. */
export class PartnerNotKnownYet extends Error {}

/** [partner, parent, grandparent, ...] up to `depth` uplines; null when the partner read model lacks the partner. */
async function chainVia(reads: EngineReads, partnerId: string, depth: number): Promise<string[] | null> {
  if (depth <= 0) return [partnerId];
  let ref = await reads.partnerRef(partnerId);
  if (!ref) return null;
  const chain = [partnerId];
  for (let i = 0; i < depth; i++) {
    if (!ref?.parentId || chain.includes(ref.parentId)) break;
    chain.push(ref.parentId);
    ref = await reads.partnerRef(ref.parentId);
  }
  return chain;
}

/** [partner, parent, grandparent, ...] up to `depth` uplines, from the partner read model. */
export async function chainOf(m: EntityManager, tenantId: string, partnerId: string, depth: number): Promise<string[]> {
  const chain = await chainVia(managerReads(m, tenantId), partnerId, depth);
  if (!chain) throw new PartnerNotKnownYet(`partner ${partnerId} is not in the commissions read model yet`);
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
  /**
   * When the source was recorded. Given (an event: the time its id carries), the rows get ids derived from
   * (source, rule, tier) and this createdAt, so computing them twice gives the same rows; absent, fresh ids and now.
   */
  recordedAt?: Date;
}

/** Unsaved rows for the drafts of one source. */
function toRows(meta: SourceMeta, plan: Plan | null, drafts: ReturnType<typeof computeCommissions>['drafts'], now: Date): Commission[] {
  return drafts.map((d) =>
    Object.assign(new Commission(), {
      id: meta.recordedAt ? commissionId(meta.sourceKey, d.ruleIndex, d.tier, meta.recordedAt) : newId('com'),
      tenantId: meta.tenantId,
      partnerId: d.partnerId,
      sourceKey: meta.sourceKey,
      eventId: meta.eventId,
      traderId: meta.traderId,
      planId: plan?.id || null,
      planVersion: plan?.id ? plan.version ?? null : null,
      adjustsId: null,
      kind: d.kind as CommissionKind,
      tier: d.tier,
      ruleIndex: d.ruleIndex,
      baseAmount: d.baseAmount,
      amountMinor: toMinor(d.amount, d.currency),
      currency: d.currency,
      fxRate: d.fxRate,
      eventAmount: meta.eventAmount,
      eventCurrency: meta.eventCurrency,
      settlementCurrency: d.settlementCurrency ?? null,
      status: d.settlementCurrency ? CommissionStatus.FX_PENDING : CommissionStatus.PENDING,
      holdUntil: d.holdUntil,
      dueAtColumn: d.dueAt,
      occurredAt: meta.occurredAt,
      createdAt: meta.recordedAt ?? now,
      approvedAt: null,
      reversedAt: null,
      reversalReason: null,
      paidAt: null,
    }),
  );
}

const onceKey = (c: Pick<Commission, 'partnerId' | 'kind' | 'tier' | 'ruleIndex'>) => `${c.partnerId}|${c.kind}|${c.tier}|${c.ruleIndex}`;

/**
 * Inserts rows that are not stored yet (ON CONFLICT DO NOTHING on the id and on the once-key (source, partner,
 * kind, tier, rule)) and returns those this call inserted. PostgreSQL says so itself (RETURNING); on SQLite
 * transactions take turns, so what was missing before the insert is what it inserted.
 */
export async function insertNew(m: EntityManager, rows: Commission[]): Promise<Commission[]> {
  if (!rows.length) return [];
  const repo = m.getRepository(Commission);
  if (isPostgres(m.connection)) {
    const res = await repo.createQueryBuilder().insert().values(rows).orIgnore().returning(['id']).execute();
    const inserted = new Set((res.raw as { id: string }[]).map((r) => r.id));
    return rows.filter((r) => inserted.has(r.id));
  }
  const sources = [...new Set(rows.map((r) => r.sourceKey))];
  const before = await repo.find({ select: { id: true, sourceKey: true, partnerId: true, kind: true, tier: true, ruleIndex: true }, where: { tenantId: rows[0].tenantId, sourceKey: In(sources) } });
  const ids = new Set(before.map((c) => c.id));
  const keys = new Set(before.map((c) => `${c.sourceKey}|${onceKey(c)}`));
  await repo.createQueryBuilder().insert().values(rows).orIgnore().execute();
  return rows.filter((r) => !ids.has(r.id) && !keys.has(`${r.sourceKey}|${onceKey(r)}`));
}

/**
 * Computes and stores the commissions of one source, and publishes `commission.changed` for the ones this call
 * created: the consumers of trading days and KYC approvals use it. Returns every commission of the source.
 */
export async function applySource(m: EntityManager, emit: Emit, meta: SourceMeta, source: Source, plan: Plan | null, partnerId: string, fx: FxTable, now: Date = new Date()): Promise<Commission[]> {
  const effective: Plan = plan ?? { id: '', currency: source.kind === 'bonus' && source.currency ? source.currency : 'USD', holdDays: 0, rules: [] };
  const depth = Math.max(0, ...effective.rules.map((r) => r.tierRates.length));
  const chain = await chainOf(m, meta.tenantId, partnerId, depth);
  // The tenant's dated rates at the source's time, then FX_RATES (`fx`).
  let { drafts } = computeCommissions(source, effective, chain, fxAt(await tenantFxRates(m, meta.tenantId), meta.occurredAt, fx));
  if (drafts.some((d) => d.settlementCurrency) && (await lockFx(m, meta.tenantId))) {
    ({ drafts } = computeCommissions(source, effective, chain, fxAt(await tenantFxRates(m, meta.tenantId), meta.occurredAt, fx)));
  }
  const created = await insertNew(m, toRows(meta, plan, drafts, now));
  for (const c of created) emit('commission.changed', meta.tenantId, commissionFact(c, creationChange(c)));
  return m.getRepository(Commission).find({ where: { tenantId: meta.tenantId, sourceKey: meta.sourceKey }, order: { ruleIndex: 'ASC', tier: 'ASC' } });
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
      dueAt: c.dueAt().toISOString(),
      planVersion: c.planVersion ?? null,
      adjustsId: c.adjustsId ?? null,
      settlementCurrency: c.settlementCurrency ?? null,
    },
  };
}

/** Returned by eventCommissions when the partner read model does not know the event's partner yet. */
export const PARTNER_UNKNOWN = Symbol('partner not known yet');

/**
 * The commissions a payment-like event pays, as unsaved rows, read-only: the plan version in force at the event's
 * time, the partner chain, the pure compute function, ids derived from (event, rule, tier) and createdAt from the
 * time the event id carries. The consumer stores exactly these rows; a read before the consumer ran shows them.
 * REFUND / CHARGEBACK and unattributed events pay nothing here.
 */
export async function eventCommissions(reads: EngineReads, tenantId: string, e: EventFacts, fx: FxTable): Promise<{ rows: Commission[]; plan: Plan | null } | typeof PARTNER_UNKNOWN> {
  if (isReversing(e.eventType) || !e.partnerId) return { rows: [], plan: null };
  const chosen = await planAt(reads, e.partnerId, e.productId, e.timestamp);
  if (!chosen) return { rows: [], plan: null };
  const plan = asPlan(chosen);
  const depth = Math.max(0, ...plan.rules.map((r) => (r.tierRates ?? []).length));
  const chain = await chainVia(reads, e.partnerId, depth);
  if (!chain) return PARTNER_UNKNOWN;
  const recordedAt = idTime(e.id) ?? e.timestamp;
  const { drafts } = computeCommissions(
    { kind: 'event', eventId: e.id, eventType: e.eventType, amount: e.amount, currency: e.currency, amountUsd: e.amountUsd ?? null, isDuplicate: e.isDuplicate, occurredAt: e.timestamp, context: { accountType: e.accountType ?? null, country: e.country ?? null } },
    plan,
    chain,
    // The tenant's dated rates at the event's time, then FX_RATES (`fx`).
    fxAt(await reads.fxRates(), e.timestamp, fx),
  );
  const meta: SourceMeta = { tenantId, sourceKey: e.id, eventId: e.id, traderId: e.traderId, eventAmount: e.amount, eventCurrency: e.currency, occurredAt: e.timestamp, recordedAt };
  return { rows: toRows(meta, plan, drafts, recordedAt), plan };
}

export interface ApplyOptions {
  /** The clock (deps.now): reversal and adjustment times. */
  now?: Date;
}

/**
 * The consumer's effect of one `event.recorded`: a payment's commissions stored once (the rows eventCommissions
 * computes, with an AppliedEvent row even when there are none), or the reversals a REFUND / CHARGEBACK causes,
 * keyed by the refund. Any number of deliveries change nothing more. Returns the event's stored commissions.
 */
export async function applyEvent(m: EntityManager, emit: Emit, tenantId: string, e: EventFacts, fx: FxTable, options: ApplyOptions = {}): Promise<Commission[]> {
  const now = options.now ?? new Date();
  const repo = m.getRepository(Commission);
  if (isReversing(e.eventType)) {
    if (e.refundOf) {
      // The payment's own fact may not have been applied yet (facts of two events may arrive in any order):
      // apply it first from the facts the refund carries; its rows are the same whoever stores them.
      if (e.refunded && e.refunded.id === e.refundOf) await applyEvent(m, emit, tenantId, e.refunded, fx, options);
      await reverseNamedPayment(m, emit, tenantId, e, now);
    } else {
      await reversePayment(m, emit, tenantId, e, now);
    }
    return repo.find({ where: { tenantId, eventId: e.id }, order: { createdAt: 'ASC' } });
  }
  if (!e.partnerId) return [];
  const applied = m.getRepository(AppliedEvent);
  if (!(await applied.findOneBy({ tenantId, eventId: e.id }))) {
    let result = await eventCommissions(managerReads(m, tenantId), tenantId, e, fx);
    // Held for a rate: serialise with setFxRate and compute again with the rates as they are now.
    if (result !== PARTNER_UNKNOWN && result.rows.some((c) => c.status === CommissionStatus.FX_PENDING) && (await lockFx(m, tenantId))) {
      result = await eventCommissions(managerReads(m, tenantId), tenantId, e, fx);
    }
    if (result === PARTNER_UNKNOWN) throw new PartnerNotKnownYet(`partner ${e.partnerId} is not in the commissions read model yet`);
    const created = await insertNew(m, result.rows);
    for (const c of created) emit('commission.changed', tenantId, commissionFact(c, creationChange(c)));
    await applied
      .createQueryBuilder()
      .insert()
      .values({ eventId: e.id, tenantId, planId: result.plan?.id ?? null, planVersion: result.plan?.version ?? null, appliedAt: now })
      .orIgnore()
      .execute();
  }
  return repo.find({ where: { tenantId, sourceKey: e.id }, order: { ruleIndex: 'ASC', tier: 'ASC' } });
}

/**
 * Claims a refund's effect: one RefundApplication row per refund; only the writer whose claim is stored goes on,
 * so concurrent appliers of one refund (consumer replicas, redeliveries) reverse once.
 */
async function claimRefund(m: EntityManager, tenantId: string, refundKey: string, paymentEventId: string, refundAmount: string | null, now: Date): Promise<boolean> {
  const applications = m.getRepository(RefundApplication);
  const claim = randomUUID();
  await applications
    .createQueryBuilder()
    .insert()
    .values({ refundEventId: refundKey, tenantId, paymentEventId, refundAmount, appliedBy: claim, appliedAt: now })
    .orIgnore()
    .execute();
  const won = await applications.findOneBy({ refundEventId: refundKey });
  return won?.appliedBy === claim;
}

function refundReason(refund: EventFacts): string {
  return `${refund.eventType === EventType.REFUND ? 'refund' : 'chargeback'} ${refund.id}`;
}

/**
 * A refund or chargeback without `refundOf` reverses the commissions of the payment it most likely undoes: the
 * trader's latest payment of the same amount and currency (or the latest payment when the refund has no amount)
 * that no other refund has reversed yet. Unpaid ones become REVERSED; paid ones get a negative adjustment. A
 * refund for less than any payment matches none and reverses nothing: name the payment (`refundOf`) to reverse
 * part of it. Keyed by the refund (RefundApplication).
 */
async function reversePayment(m: EntityManager, emit: Emit, tenantId: string, refund: EventFacts, now: Date): Promise<void> {
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
  if (!(await claimRefund(m, tenantId, refund.id, target, null, now))) return;
  for (const c of await repo.find({ where: { tenantId, eventId: target, sourceKey: target } })) await reverseOne(m, emit, c, refundReason(refund), refund.id, now);
}

/**
 * A refund or chargeback naming its payment (`refundOf`). The first refund of the whole payment reverses its
 * commissions like reversePayment. A partial one (an amount below what is left of the payment) reduces every
 * commission of the payment pro rata with a negative adjustment row: commission x refunded / payment, rounded
 * half-even to the minor unit on the running total of the payment's refunds (domain/refunds.ts). An adjustment of
 * an unpaid commission keeps its status and hold (PENDING until the original's dueAt, or APPROVED); one of a paid
 * commission is APPROVED at once, a claw-back from the next payout. Keyed by the refund.
 */
async function reverseNamedPayment(m: EntityManager, emit: Emit, tenantId: string, refund: EventFacts, now: Date, correction?: AmountCorrection): Promise<void> {
  const paymentId = refund.refundOf!;
  const key = correction?.key ?? refund.id;
  const applications = m.getRepository(RefundApplication);
  if (await applications.findOneBy({ refundEventId: key })) return;
  const repo = m.getRepository(Commission);
  const originals = await repo.find({ where: { tenantId, eventId: paymentId, sourceKey: paymentId }, order: { ruleIndex: 'ASC', tier: 'ASC' } });
  const earlier = await applications.findBy({ tenantId, paymentEventId: paymentId });
  // After an amount correction the payment's event carries its new amount: the commissions were paid on the old one.
  const corrected = earlier.some((a) => a.refundEventId.startsWith(CORRECTION_KEY));
  const stored = originals.find((c) => c.eventAmount !== null)?.eventAmount ?? null;
  const paymentAmount = corrected ? stored ?? refund.refunded?.amount ?? null : refund.refunded?.amount ?? stored;
  const refundedBefore = earlier.reduce((sum, a) => sum.plus(a.refundAmount ?? paymentAmount ?? '0'), new Decimal(0)).toFixed();
  let refundAmount = refund.amount;
  if (correction) {
    // Lowered to `amount`: what corrections (not refunds) have not yet taken of the paid-on amount; an increase takes nothing.
    if (paymentAmount === null) return;
    const takenByCorrections = earlier.filter((a) => a.refundEventId.startsWith(CORRECTION_KEY)).reduce((sum, a) => sum.plus(a.refundAmount ?? '0'), new Decimal(0));
    const lower = new Decimal(paymentAmount).minus(correction.amount).minus(takenByCorrections);
    if (lower.lte(0)) return;
    refundAmount = lower.toFixed();
  }
  const effect = refundEffect(paymentAmount, refundedBefore, refundAmount);
  if (!(await claimRefund(m, tenantId, key, paymentId, refundAmount, now))) return;
  const reason = correction?.reason ?? refundReason(refund);
  if (effect.kind === 'nothing') return;
  const affected = correction ? originals.filter((c) => correction.kinds.includes(c.kind)) : originals;
  if (effect.kind === 'full') {
    for (const c of affected) await reverseOne(m, emit, c, reason, refund.id, now);
    return;
  }
  const live = affected.filter((c) => c.status !== CommissionStatus.REVERSED && BigInt(c.amountMinor) > 0n);
  if (!live.length) return;
  const taken = await takenByRefunds(m, live.map((c) => c.id));
  const adjustments: Commission[] = [];
  for (const c of live) {
    const delta = refundShareMinor(c.amountMinor, paymentAmount!, effect.cumulative, taken.get(c.id) ?? 0n);
    if (delta === 0n) continue;
    const paid = c.status === CommissionStatus.PAID;
    const approved = paid || c.status === CommissionStatus.APPROVED;
    const dueAt = paid ? now : c.dueAt();
    const adjustment = Object.assign(new Commission(), {
      ...c,
      id: newId('com'),
      sourceKey: `refund:${key}`,
      eventId: refund.id,
      adjustsId: c.id,
      baseAmount: null,
      amountMinor: delta.toString(),
      // An adjustment of a commission held for a rate is held with it (in the payment's currency) and settled with it.
      status: c.status === CommissionStatus.FX_PENDING ? CommissionStatus.FX_PENDING : approved ? CommissionStatus.APPROVED : CommissionStatus.PENDING,
      dueAtColumn: dueAt,
      holdUntil: dueAt.toISOString().slice(0, 10),
      occurredAt: refund.timestamp,
      createdAt: now,
      approvedAt: approved ? now : null,
      reversedAt: null,
      reversalReason: `${reason}: ${refundAmount} of ${paymentAmount} ${refund.currency ?? c.eventCurrency ?? ''}`.trim(),
      paidAt: null,
    });
    adjustments.push(adjustment);
  }
  // One insert for the refund's adjustments (distinct once-keys: one per original of the payment).
  for (const stored of await insertNew(m, adjustments)) emit('commission.changed', tenantId, commissionFact(stored, 'adjusted'));
}

/** RefundApplication keys of amount corrections: `corrected:<fact id>`. */
export const CORRECTION_KEY = 'corrected:';

interface AmountCorrection {
  key: string;
  /** The payment's amount now. */
  amount: string;
  /** The commissions that follow the amount (percentage ones); a CPA stays. */
  kinds: CommissionKind[];
  reason: string;
}

/**
 * A payment's amount corrected downwards (`referral_event.corrected` carrying `previous.amount`): its percentage
 * commissions are reduced pro rata like a partial refund of the difference between the amount they were paid on and
 * the new one (unpaid ones by a negative adjustment keeping their status, paid ones clawed back by an APPROVED
 * negative adjustment). An increase pays nothing more. Keyed by the fact: redelivery changes nothing.
 */
export async function applyAmountCorrection(m: EntityManager, emit: Emit, tenantId: string, factId: string, event: EventFacts, reason: string, now: Date = new Date()): Promise<void> {
  if (event.amount === null) return;
  const payment: EventFacts = { ...event, refundOf: event.id, refunded: null };
  await reverseNamedPayment(m, emit, tenantId, payment, now, { key: `${CORRECTION_KEY}${factId}`, amount: event.amount, kinds: [CommissionKind.REVSHARE], reason: `corrected: ${reason}` });
}

/** What refund adjustments (not reversed) have taken from each commission so far, as positive minor units. */
export async function takenByRefunds(m: EntityManager, ids: string[]): Promise<Map<string, bigint>> {
  const rows = await m.getRepository(Commission).find({ select: { adjustsId: true, amountMinor: true, status: true }, where: { adjustsId: In(ids) } });
  const taken = new Map<string, bigint>();
  for (const r of rows) if (r.status !== CommissionStatus.REVERSED) taken.set(r.adjustsId!, (taken.get(r.adjustsId!) ?? 0n) - BigInt(r.amountMinor));
  return taken;
}

function sameAmount(a: string, b: string): boolean {
  return new Decimal(a).eq(b);
}

/**
 * REVERSED for an unpaid commission (with the unpaid refund adjustments of it, which would otherwise leave a
 * negative remainder); a negative adjustment (once) of what is left of a paid one.
 */
export async function reverseOne(m: EntityManager, emit: Emit, c: Commission, reason: string, causeEventId: string | null, now: Date = new Date()): Promise<Commission> {
  const repo = m.getRepository(Commission);
  if (c.status === CommissionStatus.PENDING || c.status === CommissionStatus.APPROVED || c.status === CommissionStatus.FX_PENDING) {
    const res = await repo.update({ id: c.id, status: c.status }, { status: CommissionStatus.REVERSED, reversedAt: now, reversalReason: reason });
    if (res.affected) {
      Object.assign(c, { status: CommissionStatus.REVERSED, reversedAt: now, reversalReason: reason });
      emit('commission.changed', c.tenantId, commissionFact(c, 'reversed'));
      const adjustments = await repo.findBy({ adjustsId: c.id, status: In([CommissionStatus.PENDING, CommissionStatus.APPROVED, CommissionStatus.FX_PENDING]) });
      for (const a of adjustments) await reverseOne(m, emit, a, reason, causeEventId, now);
    }
    return c;
  }
  if (c.status === CommissionStatus.PAID) {
    const taken = (await takenByRefunds(m, [c.id])).get(c.id) ?? 0n;
    const left = BigInt(c.amountMinor) - taken;
    if (left <= 0n) return c;
    const adjustment = Object.assign(new Commission(), {
      ...c,
      id: newId('com'),
      sourceKey: `adj:${c.id}`,
      eventId: causeEventId ?? c.eventId,
      adjustsId: c.id,
      amountMinor: (-left).toString(),
      status: CommissionStatus.APPROVED,
      holdUntil: now.toISOString().slice(0, 10),
      dueAtColumn: now,
      occurredAt: now,
      createdAt: now,
      approvedAt: now,
      reversedAt: null,
      reversalReason: reason,
      paidAt: null,
    });
    await insertNew(m, [adjustment]);
    const stored = await repo.findOneByOrFail({ tenantId: c.tenantId, sourceKey: `adj:${c.id}`, partnerId: c.partnerId, kind: c.kind, tier: c.tier, ruleIndex: c.ruleIndex });
    if (stored.id === adjustment.id) emit('commission.changed', c.tenantId, commissionFact(stored, 'adjusted'));
    return stored;
  }
  return c;
}

/** Rows approved per UPDATE: a long backlog is approved in several statements, none holding too many locks. */
export const APPROVAL_BATCH = 5000;

/**
 * Approves PENDING commissions whose hold has ended by `asOf` (dueAt <= asOf), for one tenant or all: set-wise,
 * one UPDATE per batch through the (status, due_at) index, RETURNING the ids; `approvedAt` is `now`, the time the
 * approval really happens. One `commission.changed` per approved row. PostgreSQL replicas skip each other's
 * locked rows, so every replica may run it.
 */
export async function approveDue(m: EntityManager, emit: Emit, opts: { asOf: Date; now: Date; tenantId?: string }): Promise<number> {
  const pg = isPostgres(m.connection);
  let total = 0;
  for (;;) {
    const params: unknown[] = [CommissionStatus.APPROVED, dateParam(m.connection, opts.now), CommissionStatus.PENDING, dateParam(m.connection, opts.asOf)];
    let where = 'status = ? AND due_at <= ?';
    if (opts.tenantId) {
      where += ' AND tenant_id = ?';
      params.push(opts.tenantId);
    }
    params.push(CommissionStatus.PENDING);
    const text =
      `UPDATE commissions SET status = ?, approved_at = ? WHERE id IN (SELECT id FROM commissions WHERE ${where} ORDER BY due_at LIMIT ${APPROVAL_BATCH}${pg ? ' FOR UPDATE SKIP LOCKED' : ''}) AND status = ? RETURNING id`;
    let i = 0;
    const raw = await m.query(pg ? text.replace(/\?/g, () => `$${++i}`) : text, params);
    const rows = (pg ? raw[0] : raw) as { id: string }[];
    if (!rows.length) break;
    total += rows.length;
    await announceApproved(m, emit, rows.map((r) => r.id));
    if (rows.length < APPROVAL_BATCH) break;
  }
  return total;
}

async function announceApproved(m: EntityManager, emit: Emit, ids: string[]): Promise<Commission[]> {
  const out: Commission[] = [];
  for (let i = 0; i < ids.length; i += 1000) {
    for (const c of await m.getRepository(Commission).findBy({ id: In(ids.slice(i, i + 1000)) })) {
      emit('commission.changed', c.tenantId, commissionFact(c, 'approved'));
      out.push(c);
    }
  }
  return out;
}

/**
 * Approves chosen PENDING commissions of a tenant now, before their hold ends (an operator's decision): one UPDATE
 * for all of them. The caller has checked that every one exists and is PENDING; a row that changed meanwhile makes
 * the count differ, and the caller refuses the whole call.
 */
export async function approveChosen(m: EntityManager, emit: Emit, tenantId: string, ids: string[], now: Date): Promise<{ approved: Commission[]; affected: number }> {
  const res = await m.getRepository(Commission).update({ tenantId, id: In(ids), status: CommissionStatus.PENDING }, { status: CommissionStatus.APPROVED, approvedAt: now });
  const approved = await announceApproved(m, emit, ids);
  return { approved, affected: res.affected ?? 0 };
}

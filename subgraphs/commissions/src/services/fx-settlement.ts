import { EntityManager, In } from 'typeorm';
import { Emit, toMinor } from '../../../shared/src';
import { rateAt } from '../domain/fx-rates';
import { decideHeldCpa, settleHeld } from '../domain/fx-settlement';
import type { FxTable } from '../domain/fx';
import type { Rule } from '../domain/compute';
import { Commission, CommissionKind, CommissionStatus } from '../entities/commission.entity';
import { CommissionPlan } from '../entities/plan.entity';
import { commissionFact, lockFx, managerReads, tenantFxRates, VersionTerms } from './engine';

/** The pair of a `fx_rate.changed` fact. */
export interface RateChanged {
  from: string;
  to: string;
}

/**
 * Settles the FX_PENDING commissions of a pair (either direction) that the tenant's rates now cover: each is
 * converted with the rate in force at its payment's time (rateAt: the table, its opposite direction, then FX_RATES),
 * by the same pure arithmetic that converts a commission when the rate is known, and becomes PENDING with its own
 * hold (dueAt unchanged) and a `commission.changed` "created" ("adjusted" for a refund's share); one that comes to
 * 0.00 in the settlement currency is REVERSED with the reason. A CPA held because only a rate could tell whether
 * the payment reaches the rule's minAmount is decided the same way (settleHeldCpa). Each row moves only from
 * FX_PENDING, so a second delivery of the fact (or a later rate of the pair) changes nothing already settled.
 * Returns the settled rows.
 */
export async function settleFxPending(m: EntityManager, emit: Emit, tenantId: string, pair: RateChanged, fallback: FxTable | null, now: Date): Promise<Commission[]> {
  await lockFx(m, tenantId);
  const repo = m.getRepository(Commission);
  const held = await repo.find({
    where: [
      { tenantId, status: CommissionStatus.FX_PENDING, currency: pair.from, settlementCurrency: pair.to },
      { tenantId, status: CommissionStatus.FX_PENDING, currency: pair.to, settlementCurrency: pair.from },
      // A CPA waiting on minAmount is held in the plan currency: its pair is the payment's currency and the plan's.
      { tenantId, status: CommissionStatus.FX_PENDING, kind: CommissionKind.CPA, eventCurrency: pair.from, settlementCurrency: pair.to },
      { tenantId, status: CommissionStatus.FX_PENDING, kind: CommissionKind.CPA, eventCurrency: pair.to, settlementCurrency: pair.from },
    ],
    order: { occurredAt: 'ASC', ruleIndex: 'ASC', tier: 'ASC' },
  });
  if (!held.length) return [];
  const rates = await tenantFxRates(m, tenantId);
  // A refund's share of a held commission is converted at the rate of the payment it adjusts.
  const adjustedIds = [...new Set(held.filter((c) => c.adjustsId).map((c) => c.adjustsId!))];
  const adjusted = new Map(adjustedIds.length ? (await repo.findBy({ id: In(adjustedIds) })).map((c) => [c.id, c]) : []);
  const groups = new Map<string, Commission[]>();
  const cpaGroups = new Map<string, Commission[]>();
  for (const c of held) {
    if (c.kind === CommissionKind.CPA) {
      // A CPA, its uplines' shares and the refunds' shares of them follow one decision: the payment's.
      const origin = c.adjustsId ? adjusted.get(c.adjustsId) ?? c : c;
      const key = `${origin.sourceKey}|${origin.ruleIndex}`;
      cpaGroups.set(key, [...(cpaGroups.get(key) ?? []), c]);
      continue;
    }
    const key = c.adjustsId ? `adj|${c.id}` : `${c.sourceKey}|${c.ruleIndex}`;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  const settled: Commission[] = [];
  // Each plan's versions are read once per settlement, however many held sources it paid.
  const reads = managerReads(m, tenantId);
  const versionsByPlan = new Map<string, Promise<VersionTerms[] | null>>();
  const versionsOf = (planId: string) => {
    if (!versionsByPlan.has(planId)) {
      versionsByPlan.set(planId, m.getRepository(CommissionPlan).findOneBy({ tenantId, id: planId }).then((plan) => (plan ? reads.versionsOf(plan) : null)));
    }
    return versionsByPlan.get(planId)!;
  };
  for (const rows of groups.values()) {
    const first = rows[0];
    const settleIn = first.settlementCurrency!;
    const paymentAt = first.adjustsId ? adjusted.get(first.adjustsId)?.occurredAt ?? first.occurredAt : first.occurredAt;
    const rate = rateAt(rates, first.currency, settleIn, paymentAt, fallback);
    if (rate === null) continue;
    const stored = first.adjustsId ? null : await ruleOf(first, versionsOf);
    const rule = first.adjustsId ? { percentage: '0', tierRates: [] } : stored?.percentage != null ? { percentage: stored.percentage, tierRates: stored.tierRates ?? [] } : null;
    if (!rule) continue;
    const amounts = settleHeld(
      rows.map((c) => ({ tier: c.tier, baseAmount: c.baseAmount, amount: c.amount(), currency: c.currency, adjustsId: c.adjustsId })),
      rule,
      rate,
      settleIn,
    );
    for (const [i, c] of rows.entries()) {
      const { amount, baseAmount } = amounts[i];
      const change: Partial<Commission> = amount === null
        ? {
            status: CommissionStatus.REVERSED,
            amountMinor: '0',
            currency: settleIn,
            fxRate: rate,
            baseAmount,
            reversedAt: now,
            reversalReason: `converted at ${rate} ${c.currency}/${settleIn} it comes to 0.00 ${settleIn}: no commission`,
          }
        : { status: CommissionStatus.PENDING, amountMinor: toMinor(amount, settleIn), currency: settleIn, fxRate: rate, baseAmount };
      const res = await repo.update({ id: c.id, status: CommissionStatus.FX_PENDING }, change);
      if (!res.affected) continue;
      Object.assign(c, change);
      emit('commission.changed', tenantId, commissionFact(c, amount === null ? 'reversed' : c.adjustsId ? 'adjusted' : 'created'));
      settled.push(c);
    }
  }
  for (const rows of cpaGroups.values()) settled.push(...(await settleHeldCpa(m, emit, rows, adjusted, rates, fallback, versionsOf, now)));
  return settled;
}

/**
 * One CPA held FX_PENDING with its uplines' shares (and refund shares of them): with the rate in force at the
 * payment's time, the payment's amount in the plan currency is compared with the rule's minAmount (decideHeldCpa).
 * At or above it every row becomes PENDING at its amount, hold unchanged (dueAt from occurredAt), announced
 * "created" ("adjusted" for a refund's share); below it every row is REVERSED at 0.00 with the reason, announced
 * "reversed", so the partner is told either way. Nothing happens while no rate covers the payment.
 */
async function settleHeldCpa(
  m: EntityManager,
  emit: Emit,
  rows: Commission[],
  adjusted: Map<string, Commission>,
  rates: Awaited<ReturnType<typeof tenantFxRates>>,
  fallback: FxTable | null,
  versionsOf: (planId: string) => Promise<VersionTerms[] | null>,
  now: Date,
): Promise<Commission[]> {
  const first = rows[0];
  const origin = rows.find((c) => !c.adjustsId) ?? (first.adjustsId ? adjusted.get(first.adjustsId) : undefined);
  if (!origin?.eventCurrency) return [];
  // Held, the origin's baseAmount is the payment's own amount (compute.ts); the row's eventAmount is the same.
  const paymentAmount = origin.status === CommissionStatus.FX_PENDING ? origin.baseAmount ?? origin.eventAmount : origin.eventAmount;
  if (paymentAmount === null) return [];
  const settleIn = first.settlementCurrency!;
  const rate = rateAt(rates, origin.eventCurrency, settleIn, origin.occurredAt, fallback);
  if (rate === null) return [];
  const rule = await ruleOf(origin, versionsOf);
  if (!rule) return [];
  const decision = decideHeldCpa({ amount: paymentAmount, currency: origin.eventCurrency }, rate, rule.minAmount ?? null, settleIn);
  const repo = m.getRepository(Commission);
  const settled: Commission[] = [];
  for (const c of rows) {
    const baseAmount = c.adjustsId ? c.baseAmount : decision.baseAmount;
    const change: Partial<Commission> = decision.pays
      ? { status: CommissionStatus.PENDING, fxRate: rate, baseAmount }
      : { status: CommissionStatus.REVERSED, amountMinor: '0', fxRate: rate, baseAmount, reversedAt: now, reversalReason: decision.reason };
    const res = await repo.update({ id: c.id, status: CommissionStatus.FX_PENDING }, change);
    if (!res.affected) continue;
    Object.assign(c, change);
    emit('commission.changed', c.tenantId, commissionFact(c, !decision.pays ? 'reversed' : c.adjustsId ? 'adjusted' : 'created'));
    settled.push(c);
  }
  return settled;
}

/** The rule of the plan version that held the commission. */
async function ruleOf(c: Commission, versionsOf: (planId: string) => Promise<VersionTerms[] | null>): Promise<Rule | null> {
  if (!c.planId) return null;
  const versions = await versionsOf(c.planId);
  if (!versions) return null;
  const terms = versions.find((v) => v.version === (c.planVersion ?? 1)) ?? versions[versions.length - 1];
  return terms?.rules[c.ruleIndex] ?? null;
}

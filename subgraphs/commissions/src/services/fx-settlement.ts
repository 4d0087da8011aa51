import { EntityManager, In } from 'typeorm';
import { Emit, toMinor } from '../../../shared/src';
import { rateAt } from '../domain/fx-rates';
import { settleHeld } from '../domain/fx-settlement';
import type { FxTable } from '../domain/fx';
import { Commission, CommissionStatus } from '../entities/commission.entity';
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
 * 0.00 in the settlement currency is REVERSED with the reason. Each row moves only from FX_PENDING, so a second
 * delivery of the fact (or a later rate of the pair) changes nothing already settled. Returns the settled rows.
 */
export async function settleFxPending(m: EntityManager, emit: Emit, tenantId: string, pair: RateChanged, fallback: FxTable | null, now: Date): Promise<Commission[]> {
  await lockFx(m, tenantId);
  const repo = m.getRepository(Commission);
  const held = await repo.find({
    where: [
      { tenantId, status: CommissionStatus.FX_PENDING, currency: pair.from, settlementCurrency: pair.to },
      { tenantId, status: CommissionStatus.FX_PENDING, currency: pair.to, settlementCurrency: pair.from },
    ],
    order: { occurredAt: 'ASC', ruleIndex: 'ASC', tier: 'ASC' },
  });
  if (!held.length) return [];
  const rates = await tenantFxRates(m, tenantId);
  // A refund's share of a held commission is converted at the rate of the payment it adjusts.
  const adjustedIds = [...new Set(held.filter((c) => c.adjustsId).map((c) => c.adjustsId!))];
  const adjusted = new Map(adjustedIds.length ? (await repo.findBy({ id: In(adjustedIds) })).map((c) => [c.id, c]) : []);
  const groups = new Map<string, Commission[]>();
  for (const c of held) {
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
    const rule = first.adjustsId ? { percentage: '0', tierRates: [] } : await ruleOf(first, versionsOf);
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
  return settled;
}

/** The percentage rule of the plan version that held the commission. */
async function ruleOf(c: Commission, versionsOf: (planId: string) => Promise<VersionTerms[] | null>): Promise<{ percentage: string; tierRates: string[] } | null> {
  if (!c.planId) return null;
  const versions = await versionsOf(c.planId);
  if (!versions) return null;
  const terms = versions.find((v) => v.version === (c.planVersion ?? 1)) ?? versions[versions.length - 1];
  const rule = terms?.rules[c.ruleIndex];
  if (!rule || rule.percentage == null) return null;
  return { percentage: rule.percentage, tierRates: rule.tierRates ?? [] };
}

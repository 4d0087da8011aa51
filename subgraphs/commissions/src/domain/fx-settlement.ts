import Decimal from 'decimal.js';
import { amountInPlanCurrency } from '../../../shared/src/fx';
import { minorDigits } from '../../../shared/src/money';
import { meetsMinAmount } from '../../../shared/src/plan-rules';
import { computeCommissions } from './compute';
import { fxTable } from './fx';

const Exact = Decimal.clone({ precision: 1000, rounding: Decimal.ROUND_HALF_EVEN });

/** What settlement needs of one FX_PENDING commission. */
export interface HeldCommission {
  tier: number;
  /** The source amount the rule applied to, in the source currency (the row's baseAmount). */
  baseAmount: string | null;
  /** The held amount in the source currency (used for a refund adjustment, which has no base). */
  amount: string;
  /** The source currency. */
  currency: string;
  adjustsId: string | null;
}

/**
 * The settled amount of each held commission of one source and rule, in `settleIn`, with `rate` (1 source currency
 * = rate settleIn), or null for a commission that comes to 0.00 there. The same pure function that computes a
 * commission when the rate is known does the arithmetic (a percentage of the converted base, rounded half-even to
 * the minor unit, the uplines' shares of the rounded direct amount), so a held commission settles to exactly what
 * it would have been had the rate existed at the payment. A refund adjustment (no base) is its held amount x rate,
 * rounded half-even.
 */
export function settleHeld(held: readonly HeldCommission[], rule: { percentage: string; tierRates: string[] }, rate: string, settleIn: string): { amount: string | null; baseAmount: string | null }[] {
  const base = held.find((h) => h.adjustsId === null && h.baseAmount !== null)?.baseAmount ?? null;
  let byTier = new Map<number, string>();
  let convertedBase: string | null = null;
  if (base !== null) {
    const from = held[0].currency;
    const chain = Array.from({ length: rule.tierRates.length + 1 }, (_, i) => `tier${i}`);
    const { drafts } = computeCommissions(
      { kind: 'trading', key: 'fx-settlement', lots: '0', spreadCost: base, currency: from, date: '2000-01-01' },
      { id: '', currency: settleIn, holdDays: 0, rules: [{ kind: 'SPREAD_SHARE', percentage: rule.percentage, tierRates: rule.tierRates }] },
      chain,
      fxTable({ [`${from}:${settleIn}`]: rate }),
    );
    byTier = new Map(drafts.map((d) => [d.tier, d.amount]));
    convertedBase = drafts[0]?.baseAmount ?? null;
  }
  return held.map((h) => {
    if (h.adjustsId !== null || h.baseAmount === null) {
      const v = new Exact(h.amount).times(rate).toDecimalPlaces(minorDigits(settleIn), Decimal.ROUND_HALF_EVEN);
      return { amount: v.isZero() ? null : v.toFixed(minorDigits(settleIn)), baseAmount: null };
    }
    return { amount: byTier.get(h.tier) ?? null, baseAmount: convertedBase };
  });
}

/** How a CPA held FX_PENDING (only a rate could tell whether the payment reaches minAmount) is decided. */
export type HeldCpaDecision = { pays: true; baseAmount: string } | { pays: false; baseAmount: string | null; reason: string };

/**
 * The decision on a CPA held for a rate, by the same rules that decide one whose amount is known at once
 * (shared/src/fx.ts amountInPlanCurrency, shared/src/plan-rules.ts meetsMinAmount): the payment's amount x `rate`
 * (1 payment currency = rate plan currency), exact, against `minAmount`; equal qualifies. `baseAmount` is the
 * converted amount, as a CPA converted at once records it.
 */
export function decideHeldCpa(payment: { amount: string; currency: string }, rate: string, minAmount: string | null, planCurrency: string): HeldCpaDecision {
  const converted = amountInPlanCurrency(payment, planCurrency, { rate: (from, to) => (from === to ? '1' : from === payment.currency && to === planCurrency ? rate : null) });
  const decision = meetsMinAmount(minAmount, converted, planCurrency);
  const baseAmount = converted && converted.known ? converted.value : null;
  if (decision.pays === true && baseAmount !== null) return { pays: true, baseAmount };
  const why = decision.pays === false ? decision.reason : 'its amount still cannot be converted';
  return { pays: false, baseAmount, reason: `no CPA: ${payment.amount} ${payment.currency} at ${rate} ${payment.currency}/${planCurrency}: ${why}` };
}

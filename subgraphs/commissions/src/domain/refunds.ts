import Decimal from 'decimal.js';

const Exact = Decimal.clone({ precision: 1000, rounding: Decimal.ROUND_HALF_EVEN });

/**
 * What a refund naming its payment (`refundOf`) does, from the payment amount, what earlier refunds of the same
 * payment took, and this refund's amount (null: the whole payment).
 * - `full`: the first refund of the payment, for all of it: its commissions are reversed (unpaid ones REVERSED,
 *   paid ones clawed back by a negative adjustment), as a refund without refundOf does.
 * - `partial`: the payment is now refunded up to `cumulative` (this refund included, capped at the payment):
 *   every commission is reduced pro rata by negative adjustments (see refundShareMinor).
 * - `nothing`: the payment was already refunded in full.
 */
export type RefundEffect = { kind: 'full' } | { kind: 'partial'; cumulative: string } | { kind: 'nothing' };

export function refundEffect(paymentAmount: string | null, refundedBefore: string, refundAmount: string | null): RefundEffect {
  const before = new Exact(refundedBefore);
  if (paymentAmount === null) return before.isZero() ? { kind: 'full' } : { kind: 'nothing' };
  const payment = new Exact(paymentAmount);
  if (before.gte(payment) && !before.isZero()) return { kind: 'nothing' };
  const amount = refundAmount === null ? payment.minus(before) : new Exact(refundAmount);
  const cumulative = Decimal.min(payment, before.plus(amount));
  if (before.isZero() && cumulative.gte(payment)) return { kind: 'full' };
  if (cumulative.lte(before)) return { kind: 'nothing' };
  return { kind: 'partial', cumulative: cumulative.toFixed() };
}

/**
 * The negative adjustment (integer minor units, zero or less) one commission gets from a partial refund: its
 * share of everything refunded so far, `commission x cumulative / payment` rounded half-even to the minor unit,
 * less what earlier refunds of the payment already took from it (`takenMinor`, a non-negative magnitude).
 * Rounding the cumulative share rather than each refund's own keeps the adjustments of several partial refunds
 * summing to the exact share of their total, and to the whole commission once the payment is fully refunded.
 */
export function refundShareMinor(commissionMinor: string | bigint, paymentAmount: string, cumulative: string, takenMinor: string | bigint): bigint {
  const commission = new Exact(String(commissionMinor));
  const payment = new Exact(paymentAmount);
  const target = payment.isZero() ? commission : commission.times(cumulative).dividedBy(payment).toDecimalPlaces(0, Decimal.ROUND_HALF_EVEN);
  const delta = BigInt(target.toFixed(0)) - BigInt(String(takenMinor));
  return delta > 0n ? -delta : 0n;
}

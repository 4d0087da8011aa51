import Decimal from 'decimal.js';
import { badInput, isCurrency } from '../../../shared/src';

// The dated lookup is shared with events (isConversion): one rule for which rate applies to a payment.
export { rateAt, fxAt, type DatedRate } from '../../../shared/src/fx';

const RATE_RE = /^(\d+(\.\d*)?|\.\d+)$/;
/** Significant digits a rate may have: more than any published rate, few enough to stay readable. */
export const MAX_RATE_DIGITS = 20;

export interface FxRateInputFields {
  from: string;
  to: string;
  rate: string;
  effectiveFrom?: Date | null;
}

/** setFxRate's input, checked: ISO 4217 codes, two different currencies, a positive decimal rate; effectiveFrom defaults to `now`. */
export function validateFxRateInput(input: FxRateInputFields, now: Date): { from: string; to: string; rate: string; effectiveFrom: Date } {
  for (const field of ['from', 'to'] as const) {
    const code = input[field];
    if (typeof code !== 'string' || !isCurrency(code)) {
      throw badInput(`${field} must be an ISO 4217 currency code in capitals such as USD or NGN; got ${JSON.stringify(code)}`, `input.${field}`);
    }
  }
  if (input.from === input.to) throw badInput(`to must differ from from: ${input.from} converts to itself at 1`, 'input.to');
  const text = typeof input.rate === 'string' ? input.rate.trim() : '';
  if (!RATE_RE.test(text) || new Decimal(text).isZero()) {
    throw badInput(`rate must be a positive decimal such as 0.00065 (1 ${input.from} in ${input.to}); got ${JSON.stringify(input.rate)}`, 'input.rate');
  }
  const rate = new Decimal(text);
  if (rate.precision(true) > MAX_RATE_DIGITS) throw badInput(`rate must have at most ${MAX_RATE_DIGITS} significant digits`, 'input.rate');
  const effectiveFrom = input.effectiveFrom ?? now;
  if (Number.isNaN(effectiveFrom.getTime())) throw badInput('effectiveFrom must be a date-time such as 2026-01-01T00:00:00Z', 'input.effectiveFrom');
  return { from: input.from, to: input.to, rate: rate.toFixed(), effectiveFrom };
}

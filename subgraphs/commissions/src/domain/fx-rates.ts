import Decimal from 'decimal.js';
import { badInput, isCurrency } from '../../../shared/src';
import { FxTable, inverseRate } from './fx';

/** One dated rate of a tenant's table: 1 `from` = `rate` `to` from `effectiveFrom` on. */
export interface DatedRate {
  from: string;
  to: string;
  rate: string;
  effectiveFrom: Date;
  createdAt?: Date;
  id?: string;
}

/** The latest rate of exactly this direction in force at `at` (ties: the one set last). */
function latest(rows: readonly DatedRate[], from: string, to: string, at: Date): DatedRate | null {
  let best: DatedRate | null = null;
  for (const r of rows) {
    if (r.from !== from || r.to !== to || r.effectiveFrom.getTime() > at.getTime()) continue;
    if (!best) best = r;
    else {
      const d = r.effectiveFrom.getTime() - best.effectiveFrom.getTime() || (r.createdAt?.getTime() ?? 0) - (best.createdAt?.getTime() ?? 0) || (r.id ?? '').localeCompare(best.id ?? '');
      if (d > 0) best = r;
    }
  }
  return best;
}

/**
 * The rate converting `from` into `to` for a payment that occurred at `at`, or null:
 * 1. the tenant table's latest rate of that direction effective at `at`;
 * 2. else 1 / the table's latest rate of the opposite direction effective at `at` (INVERSE_RATE_DIGITS);
 * 3. else the static FX_RATES (`fallback`, undated: it applies at any time).
 * A currency to itself is "1". Rates are never chained through a third currency.
 */
export function rateAt(rows: readonly DatedRate[], from: string, to: string, at: Date, fallback: FxTable | null): string | null {
  if (from === to) return '1';
  const direct = latest(rows, from, to, at);
  if (direct) return direct.rate;
  const opposite = latest(rows, to, from, at);
  if (opposite) return inverseRate(opposite.rate);
  return fallback ? fallback.rate(from, to) : null;
}

/** The table as the compute function takes it, for a source that occurred at `at`. */
export function fxAt(rows: readonly DatedRate[], at: Date, fallback: FxTable | null): FxTable {
  return { rate: (from, to) => rateAt(rows, from, to, at, fallback) };
}

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

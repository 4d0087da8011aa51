import Decimal from 'decimal.js';
import { isCurrency } from './money';

/** Converts money between currencies; returns the rate used or null when the pair is unknown. */
export interface FxTable {
  rate(from: string, to: string): string | null;
}

/**
 * Significant digits of a derived inverse rate. 1 / rate rarely terminates (1 / 1.27 = 0.787401...), so the
 * inverse is rounded once, half-even, to this many significant digits: far below a minor unit on any realistic
 * amount, and the same string every time, so a recomputed commission is the same commission.
 */
export const INVERSE_RATE_DIGITS = 20;

// decimal.js rounds a quotient correctly to `precision` digits: one rounding, never two.
const Inverse = Decimal.clone({ precision: INVERSE_RATE_DIGITS, rounding: Decimal.ROUND_HALF_EVEN });

const RATE_RE = /^(\d+(\.\d*)?|\.\d+)$/;
const PAIR_RE = /^([^:\s]+)\s*:\s*([^:\s]+)$/;

function canonical(d: Decimal): string {
  return d.isZero() ? '0' : d.toFixed();
}

/**
 * A table from explicit rates keyed "FROM:TO" (`{ 'EUR:USD': '1.0850' }`), for configuration and tests.
 *
 * - An explicit rate is used as given (canonical form: "1.0850" -> "1.085").
 * - The opposite direction, when not given itself, is 1 / rate rounded half-even to 20 significant digits
 *   (`INVERSE_RATE_DIGITS`); an explicit rate for that direction always wins over a derived one.
 * - A currency to itself is "1"; any other pair not given either way is unknown (null). Rates are never
 *   chained through a third currency: EUR:USD and USD:JPY do not make EUR:JPY.
 *
 * Throws an Error naming the entry for a bad currency, a rate that is not a positive decimal, a pair from a
 * currency to itself, or a pair given twice.
 */
export function fxTable(rates: Record<string, string>): FxTable {
  const explicit = new Map<string, string>();
  for (const [pair, value] of Object.entries(rates)) addRate(explicit, pair, value, `${pair}=${value}`);
  return tableFrom(explicit);
}

/**
 * Parses rates written `"EUR:USD=1.0850, GBP:USD=1.27"`: comma-separated FROM:TO=RATE entries, whitespace
 * (newlines too) allowed around every part, blank entries (a trailing comma) ignored, blank text = no rates.
 * Same semantics and errors as `fxTable`.
 */
export function parseFxRates(text: string): FxTable {
  const explicit = new Map<string, string>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq < 0) throw new Error(`FX rate entry "${entry}" must look like EUR:USD=1.0850`);
    addRate(explicit, entry.slice(0, eq).trim(), entry.slice(eq + 1).trim(), entry);
  }
  return tableFrom(explicit);
}

function addRate(explicit: Map<string, string>, pair: string, value: string, entry: string): void {
  const m = PAIR_RE.exec(pair.trim());
  if (!m) throw new Error(`FX rate entry "${entry}" must look like EUR:USD=1.0850`);
  const [, from, to] = m;
  for (const code of [from, to]) {
    if (!isCurrency(code)) throw new Error(`FX rate entry "${entry}": ${code} is not an ISO 4217 currency code`);
  }
  if (from === to) throw new Error(`FX rate entry "${entry}": a currency converts to itself at 1; leave it out`);
  const text = typeof value === 'string' ? value.trim() : '';
  if (!RATE_RE.test(text) || new Decimal(text).isZero()) {
    throw new Error(`FX rate entry "${entry}": the rate must be a positive decimal such as 1.0850`);
  }
  const key = `${from}:${to}`;
  if (explicit.has(key)) throw new Error(`FX rate entry "${entry}": ${key} is given twice`);
  explicit.set(key, canonical(new Decimal(text)));
}

function tableFrom(explicit: Map<string, string>): FxTable {
  const rates = new Map(explicit);
  for (const [key, rate] of explicit) {
    const [from, to] = key.split(':');
    const inverse = `${to}:${from}`;
    if (!explicit.has(inverse)) rates.set(inverse, canonical(new Inverse(1).dividedBy(rate)));
  }
  return {
    rate(from: string, to: string): string | null {
      if (from === to) return '1';
      return rates.get(`${from}:${to}`) ?? null;
    },
  };
}

/** 1 / rate, rounded once half-even to INVERSE_RATE_DIGITS significant digits (the opposite direction of a pair). */
export function inverseRate(rate: string): string {
  return canonical(new Inverse(1).dividedBy(rate));
}

/**
 * The rate a sender's own converted value implies (amountUsd / amount), for the record on the commission
 * (`fxRate`), rounded like an inverse rate; null for a zero amount. The commission itself uses the value, not this.
 */
export function impliedRate(amount: string, converted: string): string | null {
  if (new Decimal(amount).isZero()) return null;
  return canonical(new Inverse(converted).dividedBy(amount));
}

/** One dated rate of a tenant's table (setFxRate): 1 `from` = `rate` `to` from `effectiveFrom` on. */
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

/** The table as the commission and conversion rules take it, for a source that occurred at `at`. */
export function fxAt(rows: readonly DatedRate[], at: Date, fallback: FxTable | null): FxTable {
  return { rate: (from, to) => rateAt(rows, from, to, at, fallback) };
}

/** A table that knows no pair (a currency to itself is still 1). */
export const NO_RATES: FxTable = { rate: (from, to) => (from === to ? '1' : null) };

// A product of two finite decimals: exact at this precision for any value the Decimal scalar lets in.
const Exact = Decimal.clone({ precision: 1000, rounding: Decimal.ROUND_HALF_EVEN });

/** What an event's amount is in a plan's currency (amountInPlanCurrency). */
export type PlanAmount =
  /** The event has no amount. */
  | null
  /** The exact value (canonical decimal text, unrounded) and the rate that gave it (null: no conversion). */
  | { known: true; value: string; fxRate: string | null }
  /** It cannot be expressed: no currency, or (`missingRate`) no rate yet for the pair at the event's time. */
  | { known: false; reason: string; missingRate: boolean };

export interface PricedEvent {
  amount: string | null;
  currency: string | null;
  /** The sender's own USD value of the amount (trackEvent amountUsd, Track360 amount_usd). */
  amountUsd?: string | null;
}

/**
 * The one rule for "the event amount in the plan currency", which events (isConversion) and commissions (CPA
 * minAmount, revenue shares) both apply:
 * 1. the amount itself when the event is in the plan currency;
 * 2. else, for a plan settling in USD, the sender's `amountUsd` when it gave one (no rate needed, and it wins over
 *    any rate: it is what the sender says the payment was worth);
 * 3. else amount x the rate `fx` gives for the pair: the caller passes the tenant's table in force at the event's
 *    occurredAt (fxAt), so a rate set later but dated before the event applies, and one dated after it does not;
 * 4. else unknown (missingRate): the caller decides what waiting for a rate means.
 * No rounding: the value is exact; whoever pays rounds once.
 */
export function amountInPlanCurrency(event: PricedEvent, planCurrency: string, fx: FxTable): PlanAmount {
  if (event.amount == null) return null;
  if (event.currency == null) return { known: false, reason: 'the event amount has no currency', missingRate: false };
  if (event.currency === planCurrency) return { known: true, value: canonical(new Exact(event.amount)), fxRate: null };
  if (event.amountUsd != null && planCurrency === 'USD') return { known: true, value: canonical(new Exact(event.amountUsd)), fxRate: impliedRate(event.amount, event.amountUsd) };
  const rate = fx.rate(event.currency, planCurrency);
  if (rate === null) return { known: false, reason: `no FX rate from ${event.currency} to ${planCurrency} at the event's time`, missingRate: true };
  return { known: true, value: canonical(new Exact(event.amount).times(rate)), fxRate: rate };
}

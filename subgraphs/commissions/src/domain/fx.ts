import Decimal from 'decimal.js';
import { isCurrency } from '../../../shared/src/money';

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

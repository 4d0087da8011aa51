import Decimal from 'decimal.js';
import { code as currencyByCode } from 'currency-codes';

/** Exact money helpers: decimal strings in, decimal strings out; never a float. */
const Exact = Decimal.clone({ precision: 50, rounding: Decimal.ROUND_HALF_EVEN });

export function isCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && !!currencyByCode(code);
}

/** Digits after the decimal point of the currency's minor unit (USD 2, JPY 0, BHD 3). */
export function minorDigits(currency: string): number {
  const c = currencyByCode(currency);
  if (!c) throw new Error(`unknown currency ${currency}`);
  return c.digits ?? 2;
}

/** Rounds half-even to the currency's minor unit and returns integer minor units as a string. */
export function toMinor(amount: string, currency: string): string {
  return new Exact(amount).toDecimalPlaces(minorDigits(currency), Decimal.ROUND_HALF_EVEN).times(new Exact(10).pow(minorDigits(currency))).toFixed(0);
}

/** Integer minor units (string, number or bigint from a driver) to a decimal string: 2000 USD -> "20.00". */
export function fromMinor(minor: string | number | bigint, currency: string): string {
  const digits = minorDigits(currency);
  return new Exact(String(minor)).dividedBy(new Exact(10).pow(digits)).toFixed(digits);
}

/**
 * Why `amount` cannot be an amount of `currency`, or null: it has more decimals than the currency's minor unit
 * (`10.123 USD`, `10.5 JPY`), which no payment can carry and which rounding would silently change. Decimals are
 * counted on the value, so `10.50` USD has one and `10.00` JPY none. `field` names the amount in the message.
 */
export function minorUnitProblem(field: string, amount: string, currency: string): string | null {
  if (!isCurrency(currency)) return null;
  const digits = minorDigits(currency);
  const places = new Exact(amount).decimalPlaces();
  if (places <= digits) return null;
  const unit = digits === 0 ? 'no decimals' : `at most ${digits} decimal${digits === 1 ? '' : 's'}`;
  return `${field} must have ${unit} in ${currency} (its ISO 4217 minor unit); got ${amount}`;
}

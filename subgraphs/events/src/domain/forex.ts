import Decimal from 'decimal.js';
import { COUNTRY_RULE, isCountryCode, isLanguageCode, LANGUAGE_RULE } from '../../../shared/src/codes';
import { isCurrency, minorUnitProblem } from '../../../shared/src/money';
import { parseDecimal } from '../../../shared/src/scalars';

/**
 * Track360's forex integration (customers, transactions, daily trading activity): the rules of its JSON schemas,
 * field specifications and "Validation Rules", applied per record so that one bad record never fails a bulk call,
 * plus the events a transaction's status change derives and the rebate delta of a re-sent trading day.
 *
 * Pure functions over plain data: inputs are the GraphQL inputs (camelCase, all nullable, dates as strings, amounts
 * as the JSON number or string the partner sent, unparsed: the RecordDecimal scalar lets them through so that a
 * malformed one is reported for its record here instead of failing the call); nothing here knows about the database.
 */

export interface RecordError {
  index: number;
  field: string | null;
  message: string;
}

export interface ForexCustomerInput {
  customerId?: string | null;
  signupDate?: string | null;
  lastModifiedDate?: string | null;
  affiliateId?: string | null;
  trackingData?: string | null;
  langId?: string | null;
  countryCode?: string | null;
  kycStatusId?: string | null;
  salesStatusId?: string | null;
  tradingAccountType?: string | null;
  leverage?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  email?: string | null;
}

export interface ForexCustomer {
  customerId: string;
  signupDate: Date;
  lastModifiedDate: Date | null;
  affiliateId: string;
  trackingData: string;
  langId: string | null;
  countryCode: string | null;
  kycStatusId: string | null;
  salesStatusId: string | null;
  tradingAccountType: string | null;
  leverage: string | null;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
}

export const TRANSACTION_TYPES = ['deposit', 'withdrawal', 'bonus', 'adjustment', 'ib_rebate', 'other'] as const;

export interface ForexTransactionInput {
  transactionId?: string | null;
  customerId?: string | null;
  transactionType?: string | null;
  transactionSubtype?: string | null;
  amountCurrency?: unknown;
  amountUsd?: unknown;
  currency?: string | null;
  transactionDate?: string | null;
  status?: string | null;
  note?: string | null;
}

export interface ForexTransaction {
  transactionId: string;
  customerId: string;
  transactionType: (typeof TRANSACTION_TYPES)[number];
  transactionSubtype: string | null;
  amountCurrency: string;
  amountUsd: string | null;
  currency: string;
  transactionDate: Date;
  /** Lower-cased: partners document their own status values, so they are compared without case. */
  status: string;
  note: string | null;
}

export interface TradingActivityInput {
  date?: string | null;
  customerId?: string | null;
  instrument?: string | null;
  lotsTraded?: unknown;
  volumeUsd?: unknown;
  spreadCost?: unknown;
  commission?: unknown;
  pnl?: unknown;
  currency?: string | null;
}

export interface TradingActivity {
  /** YYYY-MM-DD */
  date: string;
  customerId: string;
  instrument: string;
  lotsTraded: string;
  volumeUsd: string | null;
  spreadCost: string | null;
  commission: string | null;
  pnl: string | null;
  currency: string;
}

/** Track360's bulk limit. Enforced by the caller, which rejects the whole call: it is not a per-record rule. */
export const MAX_BULK_RECORDS = 1000;

interface BatchResult<R> {
  valid: { index: number; record: R }[];
  rejected: RecordError[];
}

// "String fields must not exceed 500 characters unless documented otherwise."
export const MAX_STRING = 500;
export const MAX_TRACKING_DATA = 50;
// Status values are short enum-like words per partner; 50 is the bound agreed for the column.
const MAX_STATUS = 50;
const MAX_NOTE = 500;
// "Numeric amounts must not exceed 15 significant digits."
const MAX_SIGNIFICANT_DIGITS = 15;
// "Precision up to 2 places": Track360 says it of amount_currency and lots_traded only.
const TRACK360_PLACES = 2;
/**
 * Broker servers keep GMT+2/3 trading days, so a day that has begun there may still be tomorrow in UTC: one day ahead
 * of the UTC date is a broker's today; anything later has not been traded yet and would pay a rebate in advance.
 */
export const MAX_TRADING_DAYS_AHEAD = 1;
// No address longer than 254 characters can be delivered (RFC 5321), so that is part of the format.
const MAX_EMAIL = 254;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;
// The same shape as the DateTime scalar: a time without a zone is ambiguous, so it is refused.
const DATE_TIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(?:Z|([+-])(\d{2}):(\d{2}))$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const CURRENCY_RE = /^[A-Z]{3}$/;

/** A value for a message: quoted, and cut short so a 10 MB field does not become a 10 MB error. */
function shown(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
}

/** Length in characters (code points), as JSON Schema's maxLength and a varchar count it, not UTF-16 units. */
function charLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isRealDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/**
 * ISO 8601 date-time with a zone to the instant it names, or why not. Built from its parts rather than `new Date(s)`:
 * Date rolls 2026-02-30 over to March, and its parsing of fractions beyond milliseconds varies.
 */
function parseIsoDateTime(value: string): Date | 'format' | 'unreal' {
  const m = DATE_TIME_RE.exec(value);
  if (!m) return 'format';
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (!isRealDate(year, month, day) || hour > 23 || minute > 59 || second > 59) return 'unreal';
  let offsetMinutes = 0;
  if (m[8] !== undefined) {
    const [oh, om] = [Number(m[9]), Number(m[10])];
    if (oh > 23 || om > 59) return 'unreal';
    offsetMinutes = (m[8] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // A Date holds milliseconds: finer fractions are truncated.
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(1, 4).padEnd(3, '0'));
  const local = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  local.setUTCFullYear(year, month - 1, day);
  local.setUTCHours(hour, minute, second, ms);
  return new Date(local.getTime() - offsetMinutes * 60_000);
}

/** The errors of one record, collected so that every violation is reported, not just the first. */
class RecordCheck {
  readonly errors: RecordError[] = [];

  constructor(private readonly index: number) {}

  fail(field: string | null, message: string): void {
    this.errors.push({ index: this.index, field, message });
  }

  /**
   * A string field: null when absent (an error when required), the string otherwise. Blank counts as missing for
   * required fields: an id or a date of spaces identifies nothing.
   */
  string(field: string, value: unknown, required: boolean, max: number | null = MAX_STRING): string | null {
    if (value === undefined || value === null) {
      if (required) this.fail(field, `${field} is required`);
      return null;
    }
    if (typeof value !== 'string') {
      this.fail(field, `${field} must be a string`);
      return null;
    }
    if (required && value.trim() === '') {
      this.fail(field, `${field} is required and must not be empty`);
      return null;
    }
    if (max !== null && charLength(value) > max) this.fail(field, `${field} must be at most ${max} characters; got ${charLength(value)}`);
    return value;
  }

  /** A code that must be on its list (shared/src/codes.ts); the list bounds its length, so no separate length error. */
  code(field: string, value: unknown, required: boolean, isCode: (code: string) => boolean, allowed: string): string | null {
    const s = this.string(field, value, required, null);
    if (s !== null && !isCode(s)) this.fail(field, `${field} must be ${allowed}; got ${shown(s)}`);
    return s;
  }

  dateTime(field: string, value: unknown, required: boolean): Date | null {
    const s = this.string(field, value, required, null);
    if (s === null) return null;
    const parsed = parseIsoDateTime(s);
    if (parsed === 'format') {
      this.fail(field, `${field} must be an ISO 8601 date-time with a time zone (Z or ±hh:mm), e.g. 2026-03-12T10:45:00Z; got ${shown(s)}`);
      return null;
    }
    if (parsed === 'unreal') {
      this.fail(field, `${field} must be a real date and time; got ${shown(s)}`);
      return null;
    }
    return parsed;
  }

  date(field: string, value: unknown, required: boolean): string | null {
    const s = this.string(field, value, required, null);
    if (s === null) return null;
    const m = DATE_RE.exec(s);
    if (!m) {
      this.fail(field, `${field} must be a date YYYY-MM-DD, e.g. 2026-03-15; got ${shown(s)}`);
      return null;
    }
    if (!isRealDate(Number(m[1]), Number(m[2]), Number(m[3]))) {
      this.fail(field, `${field} must be a real calendar date; got ${shown(s)}`);
      return null;
    }
    return s;
  }

  currency(field: string, value: unknown, required: boolean): string | null {
    const s = this.string(field, value, required, null);
    if (s === null) return null;
    if (!CURRENCY_RE.test(s)) {
      this.fail(field, `${field} must be an ISO 4217 code of three capital letters such as USD or EUR; got ${shown(s)}`);
    } else if (!isCurrency(s)) {
      this.fail(field, `${field} must be an ISO 4217 currency code; ${s} is not one`);
    }
    return s;
  }

  /**
   * A decimal amount in canonical form ("12.5", never "12.50" or "-0"), checking every rule that applies to it.
   * Places are counted on the value, so "12.50" has one: trailing zeros add no precision.
   */
  decimal(field: string, value: unknown, required: boolean, rules: { maxPlaces?: number; nonNegative?: boolean } = {}): string | null {
    if (value === undefined || value === null) {
      if (required) this.fail(field, `${field} is required`);
      return null;
    }
    // The Decimal scalar's own parser, so a record accepts exactly what a Decimal argument does (and bounds exponents:
    // "1e1000000000" is refused rather than written out).
    let parsed: string;
    try {
      parsed = parseDecimal(value);
    } catch {
      const got = typeof value === 'string' ? shown(value) : JSON.stringify(value)?.slice(0, 60);
      this.fail(field, `${field} must be a decimal number, as a JSON number (12.5) or a string ("12.5"); got ${got}`);
      return null;
    }
    const d = new Decimal(parsed);
    if (d.precision(true) > MAX_SIGNIFICANT_DIGITS) this.fail(field, `${field} must have at most ${MAX_SIGNIFICANT_DIGITS} significant digits; got ${d.precision(true)}`);
    if (rules.maxPlaces !== undefined && d.decimalPlaces() > rules.maxPlaces) {
      this.fail(field, `${field} must have at most ${rules.maxPlaces} decimal places; got ${d.decimalPlaces()}`);
    }
    if (rules.nonNegative && d.lt(0)) this.fail(field, `${field} must be zero or more; got ${parsed}`);
    return canonical(d);
  }
}

function canonical(d: Decimal): string {
  return d.isZero() ? '0' : d.toFixed();
}

/** A key's parts, when all are usable strings; records without a full key cannot collide with anything. */
function keyOf(...parts: unknown[]): string | null {
  return parts.every((p) => typeof p === 'string' && p.trim() !== '') ? JSON.stringify(parts) : null;
}

/**
 * Runs `check` on every record and rejects earlier occurrences of a key. A batch is applied in order, so only the
 * last record for a key is the partner's current state; applying an earlier one would act on a state already replaced
 * (e.g. derive a deposit that the same batch then reverses). The last occurrence supersedes even when it is itself
 * invalid: the partner's latest word is then "fix and re-send", not "fall back to the stale one".
 */
function validateBatch<I, R>(
  records: readonly I[],
  key: (record: I) => string | null,
  keyName: string,
  check: (record: I, c: RecordCheck) => R,
): BatchResult<R> {
  const lastIndex = new Map<string, number>();
  records.forEach((record, index) => {
    const k = record === null || typeof record !== 'object' ? null : key(record);
    if (k !== null) lastIndex.set(k, index);
  });
  const result: BatchResult<R> = { valid: [], rejected: [] };
  records.forEach((record, index) => {
    const c = new RecordCheck(index);
    if (record === null || typeof record !== 'object') {
      c.fail(null, 'record must be an object');
      result.rejected.push(...c.errors);
      return;
    }
    const built = check(record, c);
    const k = key(record);
    const last = k === null ? index : lastIndex.get(k)!;
    if (last !== index) c.fail(null, `superseded by index ${last}, which has the same ${keyName}; only the last record for a key in a batch is applied`);
    if (c.errors.length === 0) result.valid.push({ index, record: built });
    else result.rejected.push(...c.errors);
  });
  return result;
}

// Inside the checks below, a required field read as null has recorded an error, so the record is only kept (and the
// non-null assertions only matter) when every required field was read.

export function validateCustomers(records: ForexCustomerInput[]): { valid: { index: number; record: ForexCustomer }[]; rejected: RecordError[] } {
  return validateBatch(records, (r) => keyOf(r.customerId), 'customerId', (r, c) => ({
    customerId: c.string('customerId', r.customerId, true)!,
    signupDate: c.dateTime('signupDate', r.signupDate, true)!,
    lastModifiedDate: c.dateTime('lastModifiedDate', r.lastModifiedDate, false),
    affiliateId: c.string('affiliateId', r.affiliateId, true)!,
    trackingData: trackingData(c, r.trackingData)!,
    langId: c.code('langId', r.langId, false, isLanguageCode, LANGUAGE_RULE),
    countryCode: c.code('countryCode', r.countryCode, false, isCountryCode, COUNTRY_RULE),
    kycStatusId: c.string('kycStatusId', r.kycStatusId, false),
    salesStatusId: c.string('salesStatusId', r.salesStatusId, false),
    tradingAccountType: c.string('tradingAccountType', r.tradingAccountType, false),
    leverage: c.string('leverage', r.leverage, false),
    firstName: c.string('firstName', r.firstName, false),
    lastName: c.string('lastName', r.lastName, false),
    email: email(c, r.email),
  }));
}

function email(c: RecordCheck, value: unknown): string | null {
  const s = c.string('email', value, false, null);
  if (s !== null && (charLength(s) > MAX_EMAIL || !EMAIL_RE.test(s))) {
    c.fail('email', `email must be a valid email address such as jane@example.com (at most ${MAX_EMAIL} characters); got ${shown(s)}`);
  }
  return s;
}

/** 1-50 characters: the message names the whole range, whichever end is violated. */
function trackingData(c: RecordCheck, value: unknown): string | null {
  const s = c.string('trackingData', value, true, null);
  if (s !== null && charLength(s) > MAX_TRACKING_DATA) c.fail('trackingData', `trackingData must be 1-${MAX_TRACKING_DATA} characters; got ${charLength(s)}`);
  return s;
}

export function validateTransactions(records: ForexTransactionInput[]): { valid: { index: number; record: ForexTransaction }[]; rejected: RecordError[] } {
  return validateBatch(records, (r) => keyOf(r.transactionId), 'transactionId', (r, c) => {
    const transactionId = c.string('transactionId', r.transactionId, true)!;
    const customerId = c.string('customerId', r.customerId, true)!;
    const transactionType = c.string('transactionType', r.transactionType, true, null);
    // Exact lower case as Track360 spells them: "Deposit" is not guessed to mean deposit.
    if (transactionType !== null && !(TRANSACTION_TYPES as readonly string[]).includes(transactionType)) {
      c.fail('transactionType', `transactionType must be one of ${TRANSACTION_TYPES.join(', ')}; got ${shown(transactionType)}`);
    }
    const amountCurrency = c.decimal('amountCurrency', r.amountCurrency, true, { maxPlaces: TRACK360_PLACES });
    const currency = c.currency('currency', r.currency, true);
    // Within Track360's 2 places, the currency may allow fewer: 10.5 JPY is no amount of yen.
    const places = amountCurrency !== null && currency !== null && new Decimal(amountCurrency).decimalPlaces() <= TRACK360_PLACES ? minorUnitProblem('amountCurrency', amountCurrency, currency) : null;
    if (places) c.fail('amountCurrency', places);
    return {
      transactionId,
      customerId,
      transactionType: transactionType as ForexTransaction['transactionType'],
      transactionSubtype: c.string('transactionSubtype', r.transactionSubtype, false),
      amountCurrency: amountCurrency!,
      // The seed sets no places on amount_usd (nor on spread_cost and commission): only the 15 significant digits.
      amountUsd: c.decimal('amountUsd', r.amountUsd, false),
      currency: currency!,
      transactionDate: c.dateTime('transactionDate', r.transactionDate, true)!,
      // Partners document their own values ("Approved", "APPROVED"): compared in lower case, without stray spaces.
      status: (c.string('status', r.status, true, MAX_STATUS) ?? '').trim().toLowerCase(),
      note: c.string('note', r.note, false, MAX_NOTE),
    };
  });
}

/** The latest trading day accepted at `now`: the UTC date plus MAX_TRADING_DAYS_AHEAD, YYYY-MM-DD. */
export function latestTradingDay(now: Date): string {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + MAX_TRADING_DAYS_AHEAD)).toISOString().slice(0, 10);
}

export function validateTradingActivity(records: TradingActivityInput[], now: Date = new Date()): { valid: { index: number; record: TradingActivity }[]; rejected: RecordError[] } {
  const latest = latestTradingDay(now);
  return validateBatch(
    records,
    (r) => keyOf(r.date, r.customerId, r.instrument, r.currency),
    'date, customerId, instrument and currency',
    (r, c) => ({
      date: tradingDay(c, r.date, latest)!,
      customerId: c.string('customerId', r.customerId, true)!,
      instrument: c.string('instrument', r.instrument, true)!,
      lotsTraded: c.decimal('lotsTraded', r.lotsTraded, true, { maxPlaces: TRACK360_PLACES, nonNegative: true })!,
      volumeUsd: c.decimal('volumeUsd', r.volumeUsd, false, { nonNegative: true }),
      spreadCost: c.decimal('spreadCost', r.spreadCost, false, { nonNegative: true }),
      commission: c.decimal('commission', r.commission, false, { nonNegative: true }),
      // Realised P&L of the day: a loss is negative.
      pnl: c.decimal('pnl', r.pnl, false),
      currency: c.currency('currency', r.currency, true)!,
    }),
  );
}

function tradingDay(c: RecordCheck, value: unknown, latest: string): string | null {
  const date = c.date('date', value, true);
  // YYYY-MM-DD strings compare as dates.
  if (date !== null && date > latest) {
    c.fail('date', `date must be at most ${MAX_TRADING_DAYS_AHEAD} day after today's UTC date (broker servers run ahead of UTC), so ${latest} at the latest; got ${date}`);
  }
  return date;
}

export type DerivedEventType = 'FIRST_DEPOSIT' | 'RECURRING_DEPOSIT' | 'WITHDRAWAL' | 'CHARGEBACK';

export interface TransactionState {
  transactionType: string;
  status: string;
}

// Partners name a reversed deposit differently; all mean the money went back.
const REVERSED_STATUSES: ReadonlySet<string> = new Set(['reversed', 'chargeback', 'charged_back']);

const normalStatus = (status: string) => status.trim().toLowerCase();

/**
 * Which events a transaction's new state derives, given its previous stored state (null when new) and whether the
 * trader already has a FIRST_DEPOSIT. Rules (Track360 + issue): an approved deposit is FIRST_DEPOSIT if the trader has
 * none yet, else RECURRING_DEPOSIT — derived once, the first time the transaction is seen approved; an approved
 * withdrawal derives WITHDRAWAL once; a deposit that was approved before (previous status approved, or already derived)
 * and is now 'reversed' (also accept 'chargeback' and 'charged_back') derives CHARGEBACK once. Re-sending the same state
 * derives nothing. A deposit first seen as reversed (never approved) derives nothing.
 */
export function deriveTransactionEvents(
  previous: (TransactionState & { derived: DerivedEventType[] }) | null,
  next: TransactionState,
  traderHasFirstDeposit: boolean,
): DerivedEventType[] {
  const type = next.transactionType;
  const status = normalStatus(next.status);
  const derived = previous?.derived ?? [];
  // `derived` is what makes this idempotent across approved -> pending -> approved, where the previous status alone
  // would say "newly approved" a second time; the previous status covers states stored before anything was derived.
  const approvedBefore = previous !== null && normalStatus(previous.status) === 'approved';
  // A CHARGEBACK only ever follows an approval, so it too means "was approved" (reversed -> approved re-derives nothing).
  const depositSeenApproved = approvedBefore || derived.some((e) => e === 'FIRST_DEPOSIT' || e === 'RECURRING_DEPOSIT' || e === 'CHARGEBACK');

  if (type === 'deposit') {
    if (status === 'approved') return depositSeenApproved ? [] : [traderHasFirstDeposit ? 'RECURRING_DEPOSIT' : 'FIRST_DEPOSIT'];
    // Only money that was credited can be charged back: a deposit reversed before approval reverses nothing.
    if (REVERSED_STATUSES.has(status) && depositSeenApproved && !derived.includes('CHARGEBACK')) return ['CHARGEBACK'];
    return [];
  }
  if (type === 'withdrawal' && status === 'approved' && !approvedBefore && !derived.includes('WITHDRAWAL')) return ['WITHDRAWAL'];
  // Bonuses, adjustments, IB rebates and others are not conversion events.
  return [];
}

export interface ActivityAmounts {
  lotsTraded: string;
  spreadCost: string | null;
  commission: string | null;
}

// Differences are exact whatever the scale of the two operands: decimal.js rounds results to `precision` significant
// digits, so it is set far beyond what two Decimal-scalar values (at most 100 characters) can need.
const Exact = Decimal.clone({ precision: 1000, rounding: Decimal.ROUND_HALF_EVEN });

function minus(next: string | null, previous: string | null | undefined): string {
  return canonical(new Exact(next ?? '0').minus(new Exact(previous ?? '0')));
}

/** The change from the stored day record (null when new) to the re-sent one: a corrected re-send pays only the difference. */
export function activityDelta(previous: ActivityAmounts | null, next: ActivityAmounts): { lots: string; spreadCost: string; commission: string; changed: boolean } {
  const lots = minus(next.lotsTraded, previous?.lotsTraded);
  const spreadCost = minus(next.spreadCost, previous?.spreadCost);
  const commission = minus(next.commission, previous?.commission);
  return { lots, spreadCost, commission, changed: lots !== '0' || spreadCost !== '0' || commission !== '0' };
}

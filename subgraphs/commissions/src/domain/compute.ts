import Decimal from 'decimal.js';
import { EventType } from '../../../shared/src/event-type';
import { isCurrency, minorDigits } from '../../../shared/src/money';
import type { FxTable } from './fx';

export type { FxTable } from './fx';

export type CommissionKind = 'CPA' | 'REVSHARE' | 'LOT_REBATE' | 'SPREAD_SHARE' | 'BONUS';

/** One rule of a commission plan. `percentage` and `tierRates` are percents: "20" means 20 %. */
export interface Rule {
  kind: CommissionKind;
  eventType?: EventType | null;
  amount?: string | null;
  percentage?: string | null;
  perLot?: string | null;
  minAmount?: string | null;
  tierRates: string[];
}

export interface Plan {
  id: string;
  currency: string;
  holdDays: number;
  rules: Rule[];
}

export type Source =
  | { kind: 'event'; eventId: string; eventType: EventType; amount: string | null; currency: string | null; isDuplicate: boolean; occurredAt: Date }
  | { kind: 'trading'; key: string; lots: string; spreadCost: string; currency: string; date: string /* YYYY-MM-DD */ }
  | { kind: 'bonus'; key: string; amount: string | null; currency: string | null; occurredAt: Date };

export interface CommissionDraft {
  partnerId: string;
  /** 0 = the partner who referred; 1 = its upline; ... */
  tier: number;
  kind: CommissionKind;
  /** Index of the plan rule that produced the draft; -1 for a KYC code's own bonus when the plan has no BONUS rule. */
  ruleIndex: number;
  /** What the rule applied to, in the plan currency, unrounded and canonical ("108.5"); null for BONUS and for CPA without an event amount. */
  baseAmount: string | null;
  /** Rounded half-even to the minor unit of `currency` ("20.00"); negative for a trading correction. */
  amount: string;
  currency: string;
  /** The rate that converted the source amount into the plan currency; null when no conversion happened. */
  fxRate: string | null;
  /** YYYY-MM-DD */
  holdUntil: string;
}

export interface ComputeResult {
  drafts: CommissionDraft[];
  /** Rules that applied to the source but paid nothing, and why (unknown FX pair, duplicate, below minAmount, ...). */
  skipped: { ruleIndex: number; reason: string }[];
}

/** REVSHARE without an eventType shares these: money the customer paid. */
export const PAYMENT_EVENT_TYPES: readonly EventType[] = [EventType.FIRST_DEPOSIT, EventType.RECURRING_DEPOSIT, EventType.SUBSCRIPTION];

/** Reversing events: the caller reverses the original commissions; they never earn one. */
const REVERSING_EVENT_TYPES: readonly EventType[] = [EventType.REFUND, EventType.CHARGEBACK];

// Every operation below is a product of finite decimals or a division by 100: exact at this precision for any
// value the Decimal scalar lets in (at most 100 characters), so the only rounding is the final one per draft.
const Exact = Decimal.clone({ precision: 1000, rounding: Decimal.ROUND_HALF_EVEN });
type Exact = InstanceType<typeof Exact>;

const HUNDRED = new Exact(100);

function canonical(d: Decimal): string {
  return d.isZero() ? '0' : d.toFixed();
}

/** Half-even to the currency's minor unit, never "-0.00". */
function roundMoney(d: Decimal, currency: string): string {
  const digits = minorDigits(currency);
  const rounded = d.toDecimalPlaces(digits, Decimal.ROUND_HALF_EVEN);
  return (rounded.isZero() ? new Exact(0) : rounded).toFixed(digits);
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The calendar date `days` after a YYYY-MM-DD date or a Date's UTC date. */
export function addDays(date: string | Date, days: number): string {
  let y: number, m: number, d: number;
  if (date instanceof Date) {
    if (Number.isNaN(date.getTime())) throw new Error('source date is not a valid date');
    [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()];
  } else {
    const match = DATE_RE.exec(date);
    if (!match) throw new Error(`source date must be YYYY-MM-DD; got ${JSON.stringify(date)}`);
    [y, m, d] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
    const check = new Date(Date.UTC(y, m, d));
    if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m || check.getUTCDate() !== d) {
      throw new Error(`source date ${date} is not a calendar date`);
    }
  }
  if (!Number.isInteger(days)) throw new Error(`holdDays must be an integer; got ${days}`);
  const result = new Date(Date.UTC(y, m, d + days));
  // toISOString only gives YYYY-MM-DD for years 0-9999; a hold period cannot leave that range in practice.
  return result.toISOString().slice(0, 10);
}

type Conversion = { ok: true; value: Exact; fxRate: string | null } | { ok: false; reason: string };

function convert(amount: string, from: string, to: string, fx: FxTable): Conversion {
  if (from === to) return { ok: true, value: new Exact(amount), fxRate: null };
  const rate = fx.rate(from, to);
  if (rate === null) return { ok: false, reason: `no FX rate from ${from} to ${to}` };
  return { ok: true, value: new Exact(amount).times(rate), fxRate: rate };
}

/** A rule's direct (tier 0) payout, before the uplines' shares are added. */
interface Direct {
  ruleIndex: number;
  kind: CommissionKind;
  amount: Decimal;
  currency: string;
  baseAmount: string | null;
  fxRate: string | null;
  tierRates: string[];
}

/**
 * One pure function for every source: which rules of `plan` pay for `source`, how much, and to whom.
 * `chain` is [partnerId, parentId, grandparentId, ...] (the referring partner first); tierRates[i] pays the
 * (i+1)-th element its percent of the rounded direct amount. Drafts come ordered by ruleIndex then tier.
 */
export function computeCommissions(source: Source, plan: Plan, chain: string[], fx: FxTable): ComputeResult {
  const skipped: ComputeResult['skipped'] = [];
  const skip = (ruleIndex: number, reason: string) => skipped.push({ ruleIndex, reason });
  let directs: Direct[];
  let sourceDate: string | Date;
  switch (source.kind) {
    case 'event':
      directs = eventDirects(source, plan, fx, skip);
      sourceDate = source.occurredAt;
      break;
    case 'trading':
      directs = tradingDirects(source, plan, fx, skip);
      sourceDate = source.date;
      break;
    case 'bonus':
      directs = bonusDirects(source, plan, skip);
      sourceDate = source.occurredAt;
      break;
  }
  const holdUntil = addDays(sourceDate, plan.holdDays);
  const partners = uniquePrefix(chain);
  const drafts: CommissionDraft[] = [];
  if (partners.length === 0) return { drafts, skipped };
  for (const direct of directs) {
    const tier0 = roundMoney(direct.amount, direct.currency);
    const base = { kind: direct.kind, ruleIndex: direct.ruleIndex, baseAmount: direct.baseAmount, currency: direct.currency, fxRate: direct.fxRate, holdUntil };
    drafts.push({ ...base, partnerId: partners[0], tier: 0, amount: tier0 });
    direct.tierRates.forEach((rate, i) => {
      const partnerId = partners[i + 1];
      if (partnerId === undefined) return;
      const share = new Exact(tier0).times(rate).dividedBy(HUNDRED);
      drafts.push({ ...base, partnerId, tier: i + 1, amount: roundMoney(share, direct.currency) });
    });
  }
  drafts.sort((a, b) => a.ruleIndex - b.ruleIndex || a.tier - b.tier);
  return { drafts, skipped };
}

/** The chain up to its first repeated partner: a cycle in the upline data must not pay anyone twice. */
function uniquePrefix(chain: string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const id of chain) {
    if (seen.has(id)) break;
    seen.add(id);
    out.push(id);
  }
  return out;
}

type Skip = (ruleIndex: number, reason: string) => void;

function eventDirects(source: Extract<Source, { kind: 'event' }>, plan: Plan, fx: FxTable, skip: Skip): Direct[] {
  if (REVERSING_EVENT_TYPES.includes(source.eventType)) return [];
  const out: Direct[] = [];
  // The event amount in the plan currency, converted at most once and only when a rule needs it.
  let converted: Conversion | null | undefined;
  const eventAmount = (): Conversion | null => {
    if (converted !== undefined) return converted;
    if (source.amount === null) converted = null;
    else if (source.currency === null) converted = { ok: false, reason: 'the event amount has no currency' };
    else converted = convert(source.amount, source.currency, plan.currency, fx);
    return converted;
  };
  plan.rules.forEach((rule, i) => {
    const common = { ruleIndex: i, kind: rule.kind, currency: plan.currency, tierRates: rule.tierRates ?? [] };
    if (rule.kind === 'CPA') {
      if (!rule.eventType || rule.eventType !== source.eventType) return;
      if (source.isDuplicate) return skip(i, 'a duplicate event earns no CPA');
      if (rule.amount == null) return skip(i, 'the CPA rule has no amount');
      const base = eventAmount();
      if (rule.minAmount != null) {
        if (base === null) return skip(i, `the event has no amount; the rule needs at least ${rule.minAmount} ${plan.currency}`);
        if (!base.ok) return skip(i, base.reason);
        if (base.value.lt(rule.minAmount)) {
          return skip(i, `the event amount ${canonical(base.value)} ${plan.currency} is below the minimum ${rule.minAmount}`);
        }
      }
      // Without minAmount, CPA does not depend on the amount: an unconvertible one only leaves baseAmount empty.
      const known = base !== null && base.ok ? base : null;
      out.push({ ...common, amount: new Exact(rule.amount), baseAmount: known ? canonical(known.value) : null, fxRate: known ? known.fxRate : null });
    } else if (rule.kind === 'REVSHARE') {
      const applies = rule.eventType ? rule.eventType === source.eventType : PAYMENT_EVENT_TYPES.includes(source.eventType);
      if (!applies) return;
      if (rule.percentage == null) return skip(i, 'the REVSHARE rule has no percentage');
      const base = eventAmount();
      if (base === null) return skip(i, 'the event has no amount to share');
      if (!base.ok) return skip(i, base.reason);
      // trackEvent refuses negative amounts; a payment never shares a negative amount whatever reaches this rule.
      if (base.value.isNegative()) return skip(i, 'a negative payment earns no revenue share');
      out.push({ ...common, amount: base.value.times(rule.percentage).dividedBy(HUNDRED), baseAmount: canonical(base.value), fxRate: base.fxRate });
    }
    // LOT_REBATE, SPREAD_SHARE and BONUS have nothing to do with events.
  });
  return out;
}

function tradingDirects(source: Extract<Source, { kind: 'trading' }>, plan: Plan, fx: FxTable, skip: Skip): Direct[] {
  const out: Direct[] = [];
  plan.rules.forEach((rule, i) => {
    const common = { ruleIndex: i, kind: rule.kind, currency: plan.currency, tierRates: rule.tierRates ?? [] };
    if (rule.kind === 'LOT_REBATE') {
      const lots = new Exact(source.lots);
      if (lots.isZero()) return skip(i, 'the lots traded did not change');
      if (rule.perLot == null) return skip(i, 'the LOT_REBATE rule has no perLot');
      out.push({ ...common, amount: lots.times(rule.perLot), baseAmount: canonical(lots), fxRate: null });
    } else if (rule.kind === 'SPREAD_SHARE') {
      if (new Exact(source.spreadCost).isZero()) return skip(i, 'the spread cost did not change');
      if (rule.percentage == null) return skip(i, 'the SPREAD_SHARE rule has no percentage');
      const base = convert(source.spreadCost, source.currency, plan.currency, fx);
      if (!base.ok) return skip(i, base.reason);
      out.push({ ...common, amount: base.value.times(rule.percentage).dividedBy(HUNDRED), baseAmount: canonical(base.value), fxRate: base.fxRate });
    }
  });
  return out;
}

function bonusDirects(source: Extract<Source, { kind: 'bonus' }>, plan: Plan, skip: Skip): Direct[] {
  const bonusRules = plan.rules.map((rule, i) => ({ rule, i })).filter(({ rule }) => rule.kind === 'BONUS');
  if (source.amount !== null) {
    // The code's own bonus is the contract: paid once, in its own currency, through the first BONUS rule's
    // tierRates when the plan has one; further BONUS rules do not add to it.
    const [first, ...rest] = bonusRules;
    const ruleIndex = first ? first.i : -1;
    for (const { i } of rest) skip(i, "the code's own bonus replaces the plan's BONUS rules");
    if (source.currency === null || !isCurrency(source.currency)) {
      skip(ruleIndex, `the code's bonus has no valid currency (${source.currency ?? 'none'})`);
      return [];
    }
    return [{ ruleIndex, kind: 'BONUS', amount: new Exact(source.amount), currency: source.currency, baseAmount: null, fxRate: null, tierRates: first ? (first.rule.tierRates ?? []) : [] }];
  }
  const out: Direct[] = [];
  for (const { rule, i } of bonusRules) {
    if (rule.amount == null) {
      skip(i, 'the BONUS rule has no amount and the code carries none');
      continue;
    }
    out.push({ ruleIndex: i, kind: 'BONUS', amount: new Exact(rule.amount), currency: plan.currency, baseAmount: null, fxRate: null, tierRates: rule.tierRates ?? [] });
  }
  return out;
}

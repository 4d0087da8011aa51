import Decimal from 'decimal.js';
import { EventType } from '../../../shared/src/event-type';
import { isCurrency, minorDigits } from '../../../shared/src/money';
import { amountInPlanCurrency, PlanAmount } from '../../../shared/src/fx';
import { cpaDecision } from '../../../shared/src/plan-rules';
import { RuleConditions, RuleContext, ruleMatches } from '../../../shared/src/rule-conditions';
import type { FxTable } from './fx';

export type { FxTable } from './fx';

export type CommissionKind = 'CPA' | 'REVSHARE' | 'LOT_REBATE' | 'SPREAD_SHARE' | 'BONUS';

/** One rule of a commission plan. `percentage` and `tierRates` are percents: "20" means 20 %. */
/** Conditions (accountTypes, instruments, countries) limit the sources a rule applies to (rule-conditions.ts). */
export interface Rule extends RuleConditions {
  kind: CommissionKind;
  eventType?: EventType | null;
  amount?: string | null;
  percentage?: string | null;
  perLot?: string | null;
  minAmount?: string | null;
  tierRates: string[];
}

/** The plan version that pays: `version` is stored on each commission (absent: no stored plan). */
export interface Plan {
  id: string;
  version?: number | null;
  currency: string;
  holdDays: number;
  rules: Rule[];
}

export type Source =
  | { kind: 'event'; eventId: string; eventType: EventType; amount: string | null; currency: string | null; isDuplicate: boolean; occurredAt: Date; amountUsd?: string | null; context?: RuleContext | null }
  | { kind: 'trading'; key: string; lots: string; spreadCost: string; currency: string; date: string /* YYYY-MM-DD */; context?: RuleContext | null }
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
  /**
   * Set when no rate converts the source's currency to the plan's: the draft is FX_PENDING and this is the plan
   * currency to settle in. For a percentage `amount` and `currency` are the source's (its percentage of the payment,
   * tiers included); for a CPA whose minAmount only a rate can decide they are the rule's, in the plan currency.
   */
  settlementCurrency?: string | null;
  /** When the hold ends: the source time + holdDays x 24 h (a trading day counts from 00:00 UTC). */
  dueAt: Date;
  /** The UTC date of dueAt, YYYY-MM-DD (Refairn's holdUntil). */
  holdUntil: string;
}

export interface ComputeResult {
  drafts: CommissionDraft[];
  /** Rules that applied to the source but paid nothing, and why (unknown FX pair, duplicate, below minAmount, 0.00, ...). */
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

type Conversion = { ok: true; value: Exact; fxRate: string | null } | { ok: false; reason: string; missingRate?: boolean };

function convert(amount: string, from: string, to: string, fx: FxTable): Conversion {
  if (from === to) return { ok: true, value: new Exact(amount), fxRate: null };
  const rate = fx.rate(from, to);
  if (rate === null) return { ok: false, reason: `no FX rate from ${from} to ${to}`, missingRate: true };
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
  /** FX_PENDING: the plan currency to settle in (a percentage's amount and currency are then the source's). */
  settlementCurrency?: string;
}

/** A percentage of a source amount that no rate converts yet: held FX_PENDING in the source's currency. */
function heldForRate(common: { ruleIndex: number; kind: CommissionKind; currency: string; tierRates: string[] }, amount: string, currency: string, percentage: string): Direct {
  return { ...common, currency, settlementCurrency: common.currency, amount: new Exact(amount).times(percentage).dividedBy(HUNDRED), baseAmount: canonical(new Exact(amount)), fxRate: null };
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
  const dueAt = holdEnd(sourceDate, plan.holdDays);
  const holdUntil = dueAt.toISOString().slice(0, 10);
  const partners = uniquePrefix(chain);
  const drafts: CommissionDraft[] = [];
  if (partners.length === 0) return { drafts, skipped };
  for (const direct of directs) {
    const tier0 = roundMoney(direct.amount, direct.currency);
    const base = { kind: direct.kind, ruleIndex: direct.ruleIndex, baseAmount: direct.baseAmount, currency: direct.currency, fxRate: direct.fxRate, dueAt, holdUntil, ...(direct.settlementCurrency ? { settlementCurrency: direct.settlementCurrency } : {}) };
    // A draft that rounds to 0.00 is no commission (Refairn: a test product at zero rates attributes but
    // generates no commission records); it is reported in `skipped`, never stored or shown.
    const push = (partnerId: string, tier: number, amount: string) => {
      if (new Exact(amount).isZero()) skip(direct.ruleIndex, `tier ${tier} pays ${amount} ${direct.currency}: no commission is recorded`);
      else drafts.push({ ...base, partnerId, tier, amount });
    };
    push(partners[0], 0, tier0);
    direct.tierRates.forEach((rate, i) => {
      const partnerId = partners[i + 1];
      if (partnerId === undefined) return;
      const share = new Exact(tier0).times(rate).dividedBy(HUNDRED);
      push(partnerId, i + 1, roundMoney(share, direct.currency));
    });
  }
  drafts.sort((a, b) => a.ruleIndex - b.ruleIndex || a.tier - b.tier);
  return { drafts, skipped };
}

const HOUR_MS = 3_600_000;

/**
 * The end of a hold: `holdDays` x 24 hours after the source time (a YYYY-MM-DD trading day counts from 00:00 UTC).
 * Hours, not calendar dates: a 2-day hold on an event at 20:33 ends 48 h later at 20:33, not at midnight.
 */
export function holdEnd(source: string | Date, holdDays: number): Date {
  if (!Number.isInteger(holdDays)) throw new Error(`holdDays must be an integer; got ${holdDays}`);
  const start = source instanceof Date ? source : new Date(`${addDays(source, 0)}T00:00:00.000Z`);
  if (Number.isNaN(start.getTime())) throw new Error('source date is not a valid date');
  return new Date(start.getTime() + holdDays * 24 * HOUR_MS);
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
  // The event amount in the plan currency (shared/src/fx.ts: amountUsd for a USD plan, else the rate at the
  // event's time), worked out at most once and only when a rule needs it.
  let converted: PlanAmount | undefined;
  const eventAmount = (): PlanAmount => (converted === undefined ? (converted = amountInPlanCurrency(source, plan.currency, fx)) : converted);
  plan.rules.forEach((rule, i) => {
    // A rule whose conditions do not match the customer does not apply (no draft, nothing skipped).
    if (!ruleMatches(rule, source.context)) return;
    const common = { ruleIndex: i, kind: rule.kind, currency: plan.currency, tierRates: rule.tierRates ?? [] };
    if (rule.kind === 'CPA') {
      if (!rule.eventType || rule.eventType !== source.eventType) return;
      const base = eventAmount();
      // The same rule events uses for isConversion (shared/src/plan-rules.ts).
      const decision = cpaDecision(rule, source, base, plan.currency);
      if (decision === null) return;
      if (decision.pays === false) return skip(i, decision.reason);
      if (rule.amount == null) return skip(i, 'the CPA rule has no amount');
      if (decision.pays === 'unknown') {
        // Only a rate decides whether it qualifies: held FX_PENDING at the rule's amount in the plan currency,
        // baseAmount the payment's own amount, decided once when a rate arrives (services/fx-settlement.ts).
        if (base === null || base.known || !base.missingRate) return skip(i, decision.reason);
        return void out.push({ ...common, amount: new Exact(rule.amount), baseAmount: canonical(new Exact(source.amount!)), fxRate: null, settlementCurrency: plan.currency });
      }
      // Without minAmount, CPA does not depend on the amount: an unconvertible one only leaves baseAmount empty.
      const known = base !== null && base.known ? base : null;
      out.push({ ...common, amount: new Exact(rule.amount), baseAmount: known ? known.value : null, fxRate: known ? known.fxRate : null });
    } else if (rule.kind === 'REVSHARE') {
      const applies = rule.eventType ? rule.eventType === source.eventType : PAYMENT_EVENT_TYPES.includes(source.eventType);
      if (!applies) return;
      if (rule.percentage == null) return skip(i, 'the REVSHARE rule has no percentage');
      const base = eventAmount();
      if (base === null) return skip(i, 'the event has no amount to share');
      // No rate yet: held FX_PENDING in the payment's currency, settled when a rate arrives (services/fx-settlement.ts).
      if (!base.known) return base.missingRate && !new Exact(source.amount!).isNegative() ? void out.push(heldForRate(common, source.amount!, source.currency!, rule.percentage)) : skip(i, base.reason);
      const value = new Exact(base.value);
      // trackEvent refuses negative amounts; a payment never shares a negative amount whatever reaches this rule.
      if (value.isNegative()) return skip(i, 'a negative payment earns no revenue share');
      out.push({ ...common, amount: value.times(rule.percentage).dividedBy(HUNDRED), baseAmount: canonical(value), fxRate: base.fxRate });
    }
    // LOT_REBATE, SPREAD_SHARE and BONUS have nothing to do with events.
  });
  return out;
}

function tradingDirects(source: Extract<Source, { kind: 'trading' }>, plan: Plan, fx: FxTable, skip: Skip): Direct[] {
  const out: Direct[] = [];
  plan.rules.forEach((rule, i) => {
    if (!ruleMatches(rule, source.context)) return;
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
      if (!base.ok) return base.missingRate ? void out.push(heldForRate(common, source.spreadCost, source.currency, rule.percentage)) : skip(i, base.reason);
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

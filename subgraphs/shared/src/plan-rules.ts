import Decimal from 'decimal.js';
import { amountInPlanCurrency, FxTable, NO_RATES, PricedEvent } from './fx';
import { RuleConditions, RuleContext, ruleMatches } from './rule-conditions';

/**
 * The two decisions the events and commissions subgraphs must make alike, as plain functions over plain data:
 * which plan (and which immutable version of it) pays a partner's event, and whether the event qualifies for a
 * CPA payout (FYNXT's isConversion: "true if this event qualifies for a CPA payout"). Events decides
 * `isConversion` from its read model of plan facts; commissions pays from its own tables; both call these.
 */

export interface PlanCandidate {
  id: string;
  isDefault: boolean;
  productId: string | null;
}

/**
 * The plan that pays an event: the plan of the event's product, else the partner's assigned plan, else the
 * tenant default (a default plan that is not a product plan). Null when none applies.
 */
export function choosePlan<P extends PlanCandidate>(plans: readonly P[], assignedPlanId: string | null | undefined, productId: string | null | undefined): P | null {
  if (productId) {
    const product = plans.find((p) => p.productId === productId);
    if (product) return product;
  }
  if (assignedPlanId) {
    const assigned = plans.find((p) => p.id === assignedPlanId);
    if (assigned) return assigned;
  }
  return plans.find((p) => p.isDefault && !p.productId) ?? null;
}

export interface VersionLike {
  version: number;
  effectiveFrom: Date | string;
}

/**
 * The version in force at `at`: the latest effectiveFrom at or before `at` (the higher number when two start
 * at the same instant). The first version also covers any time before its start, so an event dated before its
 * plan existed is paid by version 1 rather than by nothing. Null only for an empty list.
 */
export function versionAt<V extends VersionLike>(versions: readonly V[], at: Date): V | null {
  if (!versions.length) return null;
  const t = at.getTime();
  const sorted = [...versions].sort((a, b) => a.version - b.version);
  let chosen: V = sorted[0];
  for (const v of sorted) {
    if (new Date(v.effectiveFrom).getTime() <= t) chosen = v;
  }
  return chosen;
}

export interface CpaRuleLike extends RuleConditions {
  kind: string;
  eventType?: string | null;
  minAmount?: string | null;
}

export interface QualifyingEvent {
  eventType: string;
  isDuplicate: boolean;
  /** The customer's account type and country, for rule conditions (rule-conditions.ts). */
  context?: RuleContext | null;
}

/**
 * The event amount expressed in the plan currency: `null` when the event has no amount, `{ known: false }` when
 * it cannot be expressed (no rate, no currency), else the exact value.
 */
export type AmountInPlanCurrency = null | { known: true; value: string } | { known: false; reason: string };

export type CpaDecision =
  /** The rule pays this event. */
  | { pays: true }
  /** The rule is for this event type but does not pay it (duplicate, below minAmount, no amount). */
  | { pays: false; reason: string }
  /** Only the amount decides, and it cannot be compared (another currency, no rate). */
  | { pays: 'unknown'; reason: string };

/**
 * One CPA rule against one event; null when the rule is not a CPA rule for this event's type or its conditions
 * (account types, countries) do not match the event's customer (ruleMatches). A duplicate never
 * qualifies. With `minAmount`, the amount in the plan currency must be at least `minAmount` (equal qualifies);
 * without it, the amount plays no part.
 */
export function cpaDecision(rule: CpaRuleLike, event: QualifyingEvent, amount: AmountInPlanCurrency, planCurrency: string): CpaDecision | null {
  if (rule.kind !== 'CPA' || !rule.eventType || rule.eventType !== event.eventType) return null;
  if (!ruleMatches(rule, event.context)) return null;
  if (event.isDuplicate) return { pays: false, reason: 'a duplicate event earns no CPA' };
  return meetsMinAmount(rule.minAmount ?? null, amount, planCurrency);
}

/**
 * The minAmount part of a CPA rule: no minimum pays; otherwise the amount in the plan currency must be at least
 * `minAmount` (equal qualifies). Also decides a CPA held FX_PENDING once a rate makes its amount known.
 */
export function meetsMinAmount(minAmount: string | null, amount: AmountInPlanCurrency, planCurrency: string): CpaDecision {
  if (minAmount == null) return { pays: true };
  if (amount === null) return { pays: false, reason: `the event has no amount; the rule needs at least ${minAmount} ${planCurrency}` };
  if (!amount.known) return { pays: 'unknown', reason: amount.reason };
  const value = new Decimal(amount.value);
  if (value.lt(minAmount)) {
    return { pays: false, reason: `the event amount ${value.isZero() ? '0' : value.toFixed()} ${planCurrency} is below the minimum ${minAmount}` };
  }
  return { pays: true };
}

export interface ConversionEvent extends QualifyingEvent, PricedEvent {}

/** isConversion under a plan version, and whether only a missing exchange rate made it true. */
export interface CpaQualification {
  qualifies: boolean;
  /**
   * True when no rule pays the event for certain and one counts it only because no rate covers its amount yet
   * (amountInPlanCurrency: missingRate): the first rate that does may turn it into a non-conversion.
   */
  awaitsRate: boolean;
}

/**
 * isConversion under a plan version: true when a CPA rule of the version pays the event. The amount is compared
 * with `minAmount` in the plan currency by the shared rule (fx.ts amountInPlanCurrency): amountUsd for a USD plan,
 * else the tenant's rate in force at the event's time (`fx`: events' read model of the rate table, then FX_RATES).
 * When no rate exists yet the event counts as qualifying (hiding a real conversion is the worse mistake) and
 * `awaitsRate` says so: events decides it again when a rate arrives, while commissions holds the CPA FX_PENDING.
 */
export function cpaQualification(event: ConversionEvent, version: { currency: string; rules: readonly CpaRuleLike[] }, fx: FxTable = NO_RATES): CpaQualification {
  const amount = amountInPlanCurrency(event, version.currency, fx);
  const decisions = version.rules.map((rule) => cpaDecision(rule, event, amount, version.currency)).filter((d): d is CpaDecision => d !== null);
  if (decisions.some((d) => d.pays === true)) return { qualifies: true, awaitsRate: false };
  const unknown = decisions.some((d) => d.pays === 'unknown');
  return { qualifies: unknown, awaitsRate: unknown && amount !== null && !amount.known && amount.missingRate };
}

/** cpaQualification's flag alone. */
export function qualifiesForCpa(event: ConversionEvent, version: { currency: string; rules: readonly CpaRuleLike[] }, fx: FxTable = NO_RATES): boolean {
  return cpaQualification(event, version, fx).qualifies;
}

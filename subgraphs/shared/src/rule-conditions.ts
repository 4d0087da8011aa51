/**
 * Rule conditions: a plan rule may be limited to some trading account types (Track360 trading_account_type, e.g.
 * "ECN"), instruments (trading activity, e.g. "XAUUSD") and customer countries (ISO 3166-1 alpha-2). The events
 * subgraph (isConversion) and the commissions subgraph (payouts) both decide with `ruleMatches`.
 */

export interface RuleConditions {
  /** Trading account types, compared ignoring case ("ECN" matches "ecn"). */
  accountTypes?: readonly string[] | null;
  /** Instrument symbols, upper case ("XAUUSD"), compared with the activity's instrument in upper case. */
  instruments?: readonly string[] | null;
  /** ISO 3166-1 alpha-2 codes of the customer's country ("MX"), compared with the customer's in upper case. */
  countries?: readonly string[] | null;
}

/** What a source tells about itself for the conditions; null or absent when it does not know. */
export interface RuleContext {
  accountType?: string | null;
  country?: string | null;
  instrument?: string | null;
}

export const CONDITION_FIELDS = ['accountTypes', 'instruments', 'countries'] as const;
export type ConditionField = (typeof CONDITION_FIELDS)[number];

function known(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

/**
 * Whether a rule applies to a source: every condition the rule has must match, and a condition needs the value it
 * looks at (a rule for ECN accounts does not apply to a customer whose account type is unknown). A rule without
 * conditions applies to every source.
 */
export function ruleMatches(rule: RuleConditions, context: RuleContext | null | undefined): boolean {
  const ctx = context ?? {};
  if (rule.accountTypes != null) {
    const accountType = known(ctx.accountType)?.toLowerCase();
    if (!accountType || !rule.accountTypes.some((t) => t.trim().toLowerCase() === accountType)) return false;
  }
  if (rule.instruments != null) {
    const instrument = known(ctx.instrument)?.toUpperCase();
    if (!instrument || !rule.instruments.includes(instrument)) return false;
  }
  if (rule.countries != null) {
    const country = known(ctx.country)?.toUpperCase();
    if (!country || !rule.countries.includes(country)) return false;
  }
  return true;
}

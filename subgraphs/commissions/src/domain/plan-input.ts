import Decimal from 'decimal.js';
import { badInput } from '../../../shared/src/errors';
import { EventType } from '../../../shared/src/event-type';
import { isCurrency, minorDigits } from '../../../shared/src/money';
import type { CommissionKind, Rule } from './compute';
import { validateRuleConditions } from './rule-conditions';

export interface PlanInput {
  name: string;
  currency: string;
  holdDays: number;
  productId?: string | null;
  isDefault?: boolean | null;
  salePercentage?: string | null;
  rules: Rule[];
}

export const MAX_PLAN_NAME = 200;
export const MAX_PRODUCT_ID = 200;
export const MAX_HOLD_DAYS = 365;
export const MAX_RULES = 50;
export const MAX_TIER_RATES = 10;
export const MAX_SIGNIFICANT_DIGITS = 15;
/** Decimal places allowed in a percentage, a tier rate or a per-lot rebate. */
export const RATE_PLACES = 6;

export const COMMISSION_KINDS: readonly CommissionKind[] = ['CPA', 'REVSHARE', 'LOT_REBATE', 'SPREAD_SHARE', 'BONUS'];

type RuleField = 'eventType' | 'amount' | 'percentage' | 'perLot' | 'minAmount';
const RULE_FIELDS: readonly RuleField[] = ['eventType', 'amount', 'percentage', 'perLot', 'minAmount'];

/** The fields each kind takes besides tierRates (which every kind takes). */
const FIELDS_OF: Record<CommissionKind, readonly RuleField[]> = {
  CPA: ['eventType', 'amount', 'minAmount'],
  REVSHARE: ['eventType', 'percentage'],
  LOT_REBATE: ['perLot'],
  SPREAD_SHARE: ['percentage'],
  BONUS: ['amount'],
};

/** Events that reverse commissions: no rule may pay on them. */
const REVERSING: readonly string[] = [EventType.REFUND, EventType.CHARGEBACK];

const DECIMAL_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function listOf(words: readonly string[]): string {
  return words.length <= 1 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/**
 * Checks a decimal string: a number, at most 15 significant digits, at most `places` decimal places (counted on
 * the value: "20.000" has none), and within [min, max]. Throws BAD_USER_INPUT naming `param`.
 */
function checkDecimal(value: unknown, param: string, rules: { places: number; placesWhy: string; min: string; max?: string }): void {
  const text = typeof value === 'string' ? value.trim() : typeof value === 'number' && Number.isFinite(value) ? String(value) : null;
  if (text === null || !DECIMAL_RE.test(text)) throw badInput(`${param} must be a decimal number such as "20.00"`, param);
  const d = new Decimal(text);
  if (d.precision(true) > MAX_SIGNIFICANT_DIGITS) {
    throw badInput(`${param} must have at most ${MAX_SIGNIFICANT_DIGITS} significant digits; got ${d.precision(true)}`, param);
  }
  if (d.decimalPlaces() > rules.places) {
    throw badInput(`${param} must have at most ${rules.places} decimal places (${rules.placesWhy}); got ${d.decimalPlaces()}`, param);
  }
  if (d.lt(rules.min) || (rules.max !== undefined && d.gt(rules.max))) {
    const range = rules.max !== undefined ? `between ${rules.min} and ${rules.max}` : `${rules.min} or more`;
    throw badInput(`${param} must be ${range}; got ${text}`, param);
  }
}

/** Throws BAD_USER_INPUT (with `param`, e.g. `input.rules.2.percentage`) for the first violation in a plan. */
export function validatePlan(input: PlanInput): void {
  const name = typeof input.name === 'string' ? input.name : '';
  if (name.trim() === '') throw badInput('input.name must not be empty', 'input.name');
  if ([...name].length > MAX_PLAN_NAME) throw badInput(`input.name must be at most ${MAX_PLAN_NAME} characters`, 'input.name');

  const currency = input.currency;
  if (typeof currency !== 'string' || !isCurrency(currency)) {
    throw badInput(`input.currency must be an ISO 4217 currency code such as USD; got ${JSON.stringify(currency)}`, 'input.currency');
  }
  const moneyPlaces = minorDigits(currency);
  const money = { places: moneyPlaces, placesWhy: `${currency} has ${moneyPlaces}`, min: '0' };
  const percent = { places: RATE_PLACES, placesWhy: 'a percent', min: '0', max: '100' };

  if (!Number.isInteger(input.holdDays) || input.holdDays < 0 || input.holdDays > MAX_HOLD_DAYS) {
    throw badInput(`input.holdDays must be a whole number of days from 0 to ${MAX_HOLD_DAYS}; got ${input.holdDays}`, 'input.holdDays');
  }

  if (input.productId != null) {
    if (typeof input.productId !== 'string' || input.productId.trim() === '') {
      throw badInput('input.productId must not be empty; leave it out for a plan that covers every product', 'input.productId');
    }
    if ([...input.productId].length > MAX_PRODUCT_ID) throw badInput(`input.productId must be at most ${MAX_PRODUCT_ID} characters`, 'input.productId');
  }

  if (input.salePercentage != null) checkDecimal(input.salePercentage, 'input.salePercentage', percent);

  const rules = Array.isArray(input.rules) ? input.rules : [];
  if (rules.length < 1 || rules.length > MAX_RULES) {
    throw badInput(`input.rules must have 1 to ${MAX_RULES} rules; got ${rules.length}`, 'input.rules');
  }

  rules.forEach((rule, i) => {
    const at = `input.rules.${i}`;
    if (!COMMISSION_KINDS.includes(rule.kind)) {
      throw badInput(`${at}.kind must be one of ${listOf(COMMISSION_KINDS)}; got ${JSON.stringify(rule.kind)}`, `${at}.kind`);
    }
    const takes = FIELDS_OF[rule.kind];
    for (const field of RULE_FIELDS) {
      if (rule[field] != null && !takes.includes(field)) {
        const only = field === 'minAmount' ? ' (minAmount is for CPA rules only)' : '';
        throw badInput(`${rule.kind} rules take ${listOf([...takes, 'tierRates'])}; ${field} does not apply to them${only}`, `${at}.${field}`);
      }
    }

    if (rule.eventType != null) {
      if (!(Object.values(EventType) as string[]).includes(rule.eventType)) {
        throw badInput(`${at}.eventType is not an event type: ${JSON.stringify(rule.eventType)}`, `${at}.eventType`);
      }
      if (REVERSING.includes(rule.eventType)) {
        throw badInput(`${at}.eventType ${rule.eventType} reverses commissions; it cannot earn one`, `${at}.eventType`);
      }
    }

    switch (rule.kind) {
      case 'CPA':
        if (rule.eventType == null) throw badInput(`${at}.eventType is required: a CPA rule pays for one event type`, `${at}.eventType`);
        if (rule.amount == null) throw badInput(`${at}.amount is required: the CPA paid per event`, `${at}.amount`);
        checkDecimal(rule.amount, `${at}.amount`, money);
        if (rule.minAmount != null) checkDecimal(rule.minAmount, `${at}.minAmount`, money);
        break;
      case 'REVSHARE':
      case 'SPREAD_SHARE':
        if (rule.percentage == null) throw badInput(`${at}.percentage is required: the percent a ${rule.kind} rule shares`, `${at}.percentage`);
        checkDecimal(rule.percentage, `${at}.percentage`, percent);
        break;
      case 'LOT_REBATE':
        if (rule.perLot == null) throw badInput(`${at}.perLot is required: the rebate per lot traded`, `${at}.perLot`);
        checkDecimal(rule.perLot, `${at}.perLot`, { places: RATE_PLACES, placesWhy: 'a per-lot rate', min: '0' });
        break;
      case 'BONUS':
        if (rule.amount != null) checkDecimal(rule.amount, `${at}.amount`, money);
        break;
    }

    const tierRates: unknown = rule.tierRates ?? [];
    if (!Array.isArray(tierRates)) throw badInput(`${at}.tierRates must be a list of percents`, `${at}.tierRates`);
    if (tierRates.length > MAX_TIER_RATES) {
      throw badInput(`${at}.tierRates must have at most ${MAX_TIER_RATES} entries (one per upline level); got ${tierRates.length}`, `${at}.tierRates`);
    }
    tierRates.forEach((rate, t) => checkDecimal(rate, `${at}.tierRates.${t}`, percent));

    validateRuleConditions(rule, at);
  });
}

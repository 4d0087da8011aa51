import { isCountryCode } from '../../../shared/src/codes';
import { badInput } from '../../../shared/src/errors';
import { ConditionField, CONDITION_FIELDS } from '../../../shared/src/rule-conditions';
import type { CommissionKind, Rule } from './compute';

export const MAX_CONDITION_ENTRIES = 50;
export const MAX_ACCOUNT_TYPE = 50;
export const INSTRUMENT_RE = /^[A-Z0-9._/-]{1,20}$/;
// Control, format, unassigned and private-use characters: an account type is printable text.
const UNPRINTABLE_RE = /\p{C}/u;

/**
 * The conditions each kind takes. A KYC approval (BONUS) tells neither account type nor country, and only trading
 * activity has an instrument, so a condition those sources can never match is refused rather than stored.
 */
export const CONDITIONS_OF: Record<CommissionKind, readonly ConditionField[]> = {
  CPA: ['accountTypes', 'countries'],
  REVSHARE: ['accountTypes', 'countries'],
  LOT_REBATE: ['accountTypes', 'instruments', 'countries'],
  SPREAD_SHARE: ['accountTypes', 'instruments', 'countries'],
  BONUS: [],
};

/**
 * Checks a rule's conditions (`at` is its path, e.g. `input.rules.2`): each list, when given, holds 1 to 50 entries
 * without duplicates; account types are 1-50 printable characters (duplicates ignoring case), instruments 1-20 of
 * A-Z 0-9 . _ / -, countries ISO 3166-1 alpha-2 codes in capitals. Throws BAD_USER_INPUT naming the list or entry.
 */
export function validateRuleConditions(rule: Rule, at: string): void {
  const takes = CONDITIONS_OF[rule.kind] ?? [];
  for (const field of CONDITION_FIELDS) {
    const list: unknown = rule[field];
    if (list == null) continue;
    const param = `${at}.${field}`;
    if (!takes.includes(field)) {
      const why = field === 'instruments' ? 'only trading activity (LOT_REBATE, SPREAD_SHARE) has an instrument' : 'a KYC approval tells no account type or country';
      throw badInput(`${rule.kind} rules take no ${field} condition: ${why}`, param);
    }
    if (!Array.isArray(list)) throw badInput(`${param} must be a list`, param);
    if (list.length < 1 || list.length > MAX_CONDITION_ENTRIES) {
      throw badInput(`${param} must hold 1 to ${MAX_CONDITION_ENTRIES} entries (leave it out for no ${field} condition); got ${list.length}`, param);
    }
    const seen = new Set<string>();
    list.forEach((entry: unknown, n) => {
      const p = `${param}.${n}`;
      const text = typeof entry === 'string' ? entry : '';
      let key: string;
      if (field === 'accountTypes') {
        if (text.trim() === '' || [...text].length > MAX_ACCOUNT_TYPE || UNPRINTABLE_RE.test(text) || text !== text.trim()) {
          throw badInput(`${p} must be an account type of 1 to ${MAX_ACCOUNT_TYPE} printable characters without leading or trailing spaces, such as "ECN"; got ${JSON.stringify(entry)}`, p);
        }
        key = text.toLowerCase();
      } else if (field === 'instruments') {
        if (!INSTRUMENT_RE.test(text)) {
          throw badInput(`${p} must be an instrument symbol of 1 to 20 capital letters, digits and . _ / - such as "EURUSD"; got ${JSON.stringify(entry)}`, p);
        }
        key = text;
      } else {
        if (!isCountryCode(text)) {
          throw badInput(`${p} must be an ISO 3166-1 alpha-2 country code in capitals such as "MX"; got ${JSON.stringify(entry)}`, p);
        }
        key = text;
      }
      if (seen.has(key)) throw badInput(`${p} repeats ${JSON.stringify(entry)}${field === 'accountTypes' ? ' (account types are compared ignoring case)' : ''}`, p);
      seen.add(key);
    });
  }
}

import { GraphQLError } from 'graphql';
import { EventType } from '../../subgraphs/shared/src/event-type';
import { qualifiesForCpa } from '../../subgraphs/shared/src/plan-rules';
import { RuleConditions, RuleContext, ruleMatches } from '../../subgraphs/shared/src/rule-conditions';
import { computeCommissions, Plan, Rule, Source } from '../../subgraphs/commissions/src/domain/compute';
import { fxTable } from '../../subgraphs/commissions/src/domain/fx';
import { PlanInput, validatePlan } from '../../subgraphs/commissions/src/domain/plan-input';

const NO_FX = fxTable({});

/** Rule conditions: a rule for some account types, instruments or customer countries applies only to those. */
describe('ruleMatches: every condition a rule has must match the source', () => {
  const ecn: RuleConditions = { accountTypes: ['ECN'] };
  it.each<[string, RuleConditions, RuleContext | null, boolean]>([
    ['a rule without conditions applies to anything', {}, null, true],
    ['a rule with null lists has no conditions', { accountTypes: null, instruments: null, countries: null }, {}, true],
    ['the account type matches', ecn, { accountType: 'ECN' }, true],
    ['account types compare ignoring case (Track360 sends "standard")', { accountTypes: ['Standard'] }, { accountType: 'standard' }, true],
    ['account types ignore surrounding spaces of the source', ecn, { accountType: ' ecn ' }, true],
    ['another account type does not match', ecn, { accountType: 'Standard' }, false],
    ['an unknown account type does not match a rule that needs one', ecn, { accountType: null }, false],
    ['a blank account type is unknown', ecn, { accountType: '  ' }, false],
    ['no context at all does not match a rule with conditions', ecn, null, false],
    ['one of several account types', { accountTypes: ['micro', 'ECN'] }, { accountType: 'Micro' }, true],
    ['the instrument matches', { instruments: ['XAUUSD'] }, { instrument: 'XAUUSD' }, true],
    ['the source instrument is compared in upper case', { instruments: ['XAUUSD'] }, { instrument: 'xauusd' }, true],
    ['another instrument does not match', { instruments: ['XAUUSD'] }, { instrument: 'EURUSD' }, false],
    ['no instrument (an event) does not match an instrument condition', { instruments: ['XAUUSD'] }, { accountType: 'ECN' }, false],
    ['the country matches', { countries: ['MX'] }, { country: 'MX' }, true],
    ['the source country is compared in upper case', { countries: ['MX'] }, { country: 'mx' }, true],
    ['another country does not match', { countries: ['MX'] }, { country: 'BR' }, false],
    ['an unknown country does not match', { countries: ['MX'] }, { country: null }, false],
    ['all conditions match', { accountTypes: ['ECN'], instruments: ['EURUSD'], countries: ['MX'] }, { accountType: 'ecn', instrument: 'EURUSD', country: 'MX' }, true],
    ['one condition of three fails', { accountTypes: ['ECN'], instruments: ['EURUSD'], countries: ['MX'] }, { accountType: 'ecn', instrument: 'EURUSD', country: 'BR' }, false],
    ['a condition the rule lacks plays no part', { countries: ['MX'] }, { country: 'MX', accountType: 'demo', instrument: 'US500' }, true],
  ])('%s', (_name, rule, context, expected) => {
    expect(ruleMatches(rule, context)).toBe(expected);
  });
});

describe('lot rebates on ECN vs standard (Track360: "trading_account_type enables commission differentiation")', () => {
  const plan: Plan = {
    id: 'cpl_ib',
    version: 1,
    currency: 'USD',
    holdDays: 0,
    rules: [
      { kind: 'LOT_REBATE', perLot: '7', tierRates: ['10'], accountTypes: ['ECN'] },
      { kind: 'LOT_REBATE', perLot: '5', tierRates: ['10'], accountTypes: ['Standard'] },
      { kind: 'SPREAD_SHARE', percentage: '20', tierRates: [], instruments: ['XAUUSD'] },
    ],
  };
  const trading = (accountType: string | null, instrument: string, lots: string, spreadCost: string): Source => ({
    kind: 'trading',
    key: 'fact_1',
    lots,
    spreadCost,
    currency: 'USD',
    date: '2026-03-15',
    context: { accountType, country: 'MX', instrument },
  });
  const paid = (source: Source) => computeCommissions(source, plan, ['ib_1', 'ib_parent'], NO_FX).drafts.map((d) => [d.ruleIndex, d.tier, d.kind, d.amount]);

  it('an ECN customer trading 2.5 lots of EURUSD earns 2.5 x 7 = 17.50 from the ECN rule only (and its upline 10 % = 1.75)', () => {
    expect(paid(trading('ECN', 'EURUSD', '2.5', '7.5'))).toEqual([
      [0, 0, 'LOT_REBATE', '17.50'],
      [0, 1, 'LOT_REBATE', '1.75'],
    ]);
  });

  it('a standard customer (sent as "standard") trading 2.5 lots earns 2.5 x 5 = 12.50 from the Standard rule only', () => {
    expect(paid(trading('standard', 'EURUSD', '2.5', '7.5'))).toEqual([
      [1, 0, 'LOT_REBATE', '12.50'],
      [1, 1, 'LOT_REBATE', '1.25'],
    ]);
  });

  it('a customer without an account type earns no rebate from rules that need one', () => {
    expect(paid(trading(null, 'EURUSD', '2.5', '7.5'))).toEqual([]);
  });

  it('a micro account matches neither rule', () => {
    const result = computeCommissions(trading('micro', 'EURUSD', '2.5', '7.5'), plan, ['ib_1'], NO_FX);
    // Not "skipped": a rule whose conditions do not match does not apply at all.
    expect([result.drafts, result.skipped]).toEqual([[], []]);
  });

  it('the spread share for XAUUSD pays on gold (20 % of 37.50 = 7.50) and not on EURUSD', () => {
    expect(paid(trading('ECN', 'XAUUSD', '1', '37.5'))).toEqual([
      [0, 0, 'LOT_REBATE', '7.00'],
      [0, 1, 'LOT_REBATE', '0.70'],
      [2, 0, 'SPREAD_SHARE', '7.50'],
    ]);
    expect(paid(trading('ECN', 'EURUSD', '1', '37.5')).map(([rule]) => rule)).toEqual([0, 0]);
  });
});

describe('conditions on event rules: CPA and REVSHARE pay matching customers only', () => {
  const plan: Plan = {
    id: 'cpl_geo',
    version: 1,
    currency: 'USD',
    holdDays: 0,
    rules: [
      { kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '100', tierRates: [], countries: ['MX'] },
      { kind: 'REVSHARE', percentage: '10', tierRates: [], accountTypes: ['ECN'] },
    ],
  };
  const deposit = (context: RuleContext | null): Source => ({
    kind: 'event',
    eventId: 'evt_1',
    eventType: EventType.FIRST_DEPOSIT,
    amount: '500.00',
    currency: 'USD',
    isDuplicate: false,
    occurredAt: new Date('2026-03-15T10:00:00Z'),
    context,
  });
  const paid = (context: RuleContext | null) => computeCommissions(deposit(context), plan, ['ib_1'], NO_FX).drafts.map((d) => [d.kind, d.amount]);

  it.each<[string, RuleContext | null, string[][]]>([
    ['a Mexican ECN customer: CPA and revenue share', { country: 'MX', accountType: 'ECN' }, [['CPA', '100.00'], ['REVSHARE', '50.00']]],
    ['a Brazilian ECN customer: revenue share only', { country: 'BR', accountType: 'ECN' }, [['REVSHARE', '50.00']]],
    ['a Mexican standard customer: CPA only', { country: 'MX', accountType: 'Standard' }, [['CPA', '100.00']]],
    ['a customer the event tells nothing of: nothing', null, []],
  ])('%s', (_name, context, expected) => {
    expect(paid(context)).toEqual(expected);
  });

  it('isConversion (events) decides by the same conditions: a CPA for MX customers only', () => {
    const version = { currency: 'USD', rules: [{ kind: 'CPA', eventType: 'FIRST_DEPOSIT', minAmount: null, countries: ['MX'] }] };
    const event = (country: string | null) => ({ eventType: 'FIRST_DEPOSIT', amount: '500.00', currency: 'USD', isDuplicate: false, context: { country } });
    expect(qualifiesForCpa(event('MX'), version)).toBe(true);
    expect(qualifiesForCpa(event('BR'), version)).toBe(false);
    expect(qualifiesForCpa(event(null), version)).toBe(false);
    // A version from a fact before conditions existed (no lists) qualifies everyone, as before.
    expect(qualifiesForCpa(event(null), { currency: 'USD', rules: [{ kind: 'CPA', eventType: 'FIRST_DEPOSIT', minAmount: null }] })).toBe(true);
  });

  it('a CPA for ECN accounts only does not make a Standard account\'s event a conversion', () => {
    const version = { currency: 'USD', rules: [{ kind: 'CPA', eventType: 'FIRST_DEPOSIT', minAmount: null, accountTypes: ['ECN'] }] };
    const event = (accountType: string) => ({ eventType: 'FIRST_DEPOSIT', amount: '500.00', currency: 'USD', isDuplicate: false, context: { accountType } });
    expect(qualifiesForCpa(event('ecn'), version)).toBe(true);
    expect(qualifiesForCpa(event('Standard'), version)).toBe(false);
  });
});

describe('validatePlan: rule conditions', () => {
  const plan = (rule: Partial<Rule> & Pick<Rule, 'kind'>): PlanInput => ({
    name: 'Conditions',
    currency: 'USD',
    holdDays: 0,
    rules: [{ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '100', tierRates: [] }, { tierRates: [], ...rule }],
  });
  const rebate = (conditions: Partial<Rule>) => plan({ kind: 'LOT_REBATE', perLot: '7', ...conditions });

  function refusal(input: PlanInput): GraphQLError {
    try {
      validatePlan(input);
    } catch (e) {
      expect(e).toBeInstanceOf(GraphQLError);
      return e as GraphQLError;
    }
    throw new Error('validatePlan accepted the input');
  }

  it.each<[string, Partial<Rule>]>([
    ['account types', { accountTypes: ['ECN', 'Standard', 'micro pro', 'Cuenta estándar'] }],
    ['instruments', { instruments: ['EURUSD', 'XAUUSD', 'US500', 'BTC/USD', 'GER40.cash'.toUpperCase(), 'ES_F-1'] }],
    ['countries', { countries: ['MX', 'DE', 'GB'] }],
    ['all three at once', { accountTypes: ['ECN'], instruments: ['EURUSD'], countries: ['MX'] }],
    ['50 entries', { instruments: Array.from({ length: 50 }, (_, i) => `SYM${i}`) }],
  ])('accepts %s', (_name, conditions) => {
    expect(() => validatePlan(rebate(conditions))).not.toThrow();
  });

  it('accepts account types and countries on CPA and REVSHARE rules', () => {
    expect(() => validatePlan(plan({ kind: 'REVSHARE', percentage: '10', accountTypes: ['ECN'], countries: ['MX'] }))).not.toThrow();
    expect(() => validatePlan(plan({ kind: 'CPA', eventType: EventType.FIRST_TRADE, amount: '10', countries: ['MX'] }))).not.toThrow();
  });

  it.each<[string, PlanInput, string, RegExp]>([
    ['an empty list', rebate({ accountTypes: [] }), 'input.rules.1.accountTypes', /1 to 50 entries/],
    ['51 entries', rebate({ countries: Array.from({ length: 51 }, () => 'MX') }), 'input.rules.1.countries', /1 to 50 entries.*got 51/],
    ['a blank account type', rebate({ accountTypes: ['ECN', '  '] }), 'input.rules.1.accountTypes.1', /printable characters/],
    ['an account type of 51 characters', rebate({ accountTypes: ['x'.repeat(51)] }), 'input.rules.1.accountTypes.0', /1 to 50/],
    ['an account type with a control character', rebate({ accountTypes: ['EC\u0000N'] }), 'input.rules.1.accountTypes.0', /printable/],
    ['an account type with surrounding spaces', rebate({ accountTypes: [' ECN'] }), 'input.rules.1.accountTypes.0', /leading or trailing spaces/],
    ['the same account type twice ignoring case', rebate({ accountTypes: ['ECN', 'ecn'] }), 'input.rules.1.accountTypes.1', /repeats "ecn".*ignoring case/],
    ['a lower-case instrument', rebate({ instruments: ['eurusd'] }), 'input.rules.1.instruments.0', /capital letters.*"EURUSD"/],
    ['an instrument of 21 characters', rebate({ instruments: ['A'.repeat(21)] }), 'input.rules.1.instruments.0', /1 to 20/],
    ['an instrument with a space', rebate({ instruments: ['EUR USD'] }), 'input.rules.1.instruments.0', /instrument symbol/],
    ['the same instrument twice', rebate({ instruments: ['XAUUSD', 'EURUSD', 'XAUUSD'] }), 'input.rules.1.instruments.2', /repeats "XAUUSD"/],
    ['a country that is no ISO 3166-1 code', rebate({ countries: ['XX'] }), 'input.rules.1.countries.0', /ISO 3166-1 alpha-2/],
    ['a lower-case country', rebate({ countries: ['mx'] }), 'input.rules.1.countries.0', /in capitals such as "MX"/],
    ['an alpha-3 country', rebate({ countries: ['MEX'] }), 'input.rules.1.countries.0', /alpha-2/],
    ['the same country twice', rebate({ countries: ['MX', 'MX'] }), 'input.rules.1.countries.1', /repeats "MX"/],
    ['instruments on a CPA rule', plan({ kind: 'CPA', eventType: EventType.FIRST_TRADE, amount: '10', instruments: ['EURUSD'] }), 'input.rules.1.instruments', /only trading activity/],
    ['instruments on a REVSHARE rule', plan({ kind: 'REVSHARE', percentage: '10', instruments: ['EURUSD'] }), 'input.rules.1.instruments', /REVSHARE rules take no instruments condition/],
    ['a country on a BONUS rule', plan({ kind: 'BONUS', amount: '10', countries: ['MX'] }), 'input.rules.1.countries', /BONUS rules take no countries.*KYC approval/],
  ])('refuses %s', (_name, input, param, message) => {
    const e = refusal(input);
    expect(e.extensions).toMatchObject({ code: 'BAD_USER_INPUT', param });
    expect(e.message).toMatch(message);
  });
});

import { GraphQLError } from 'graphql';
import { EventType } from '../../subgraphs/shared/src/event-type';
import { Rule } from '../../subgraphs/commissions/src/domain/compute';
import { fxTable, INVERSE_RATE_DIGITS, parseFxRates } from '../../subgraphs/commissions/src/domain/fx';
import { PlanInput, validatePlan } from '../../subgraphs/commissions/src/domain/plan-input';

describe('FX rates', () => {
  const fx = parseFxRates('EUR:USD=1.0850, GBP:USD=1.27');

  it('parses the configured pairs, in canonical form', () => {
    expect(fx.rate('EUR', 'USD')).toBe('1.085');
    expect(fx.rate('GBP', 'USD')).toBe('1.27');
  });

  it('derives the opposite direction as 1 / rate, half-even to 20 significant digits', () => {
    expect(INVERSE_RATE_DIGITS).toBe(20);
    expect(fx.rate('USD', 'EUR')).toBe('0.92165898617511520737');
    expect(fx.rate('USD', 'GBP')).toBe('0.7874015748031496063'); // ...0630: the trailing zero is not kept
    expect(parseFxRates('USD:JPY=150').rate('JPY', 'USD')).toBe('0.0066666666666666666667');
    expect(parseFxRates('EUR:USD=2').rate('USD', 'EUR')).toBe('0.5'); // exact when it terminates
  });

  it('is deterministic', () => {
    const again = parseFxRates('GBP:USD=1.27 , EUR:USD=1.0850');
    for (const [from, to] of [['EUR', 'USD'], ['USD', 'EUR'], ['GBP', 'USD'], ['USD', 'GBP']]) expect(again.rate(from, to)).toBe(fx.rate(from, to));
  });

  it('an explicit rate for the opposite direction wins over the derived one', () => {
    const both = parseFxRates('EUR:USD=1.085, USD:EUR=0.92');
    expect(both.rate('USD', 'EUR')).toBe('0.92');
    expect(both.rate('EUR', 'USD')).toBe('1.085');
  });

  it('converts a currency to itself at 1', () => {
    expect(fx.rate('USD', 'USD')).toBe('1');
    expect(fx.rate('JPY', 'JPY')).toBe('1');
    expect(parseFxRates('').rate('EUR', 'EUR')).toBe('1');
  });

  it('knows nothing it was not told, and never chains through a third currency', () => {
    expect(fx.rate('EUR', 'GBP')).toBeNull();
    expect(fx.rate('GBP', 'EUR')).toBeNull();
    expect(fx.rate('USD', 'JPY')).toBeNull();
    expect(fx.rate('usd', 'eur')).toBeNull();
  });

  it('tolerates whitespace, newlines and blank entries', () => {
    const loose = parseFxRates('  EUR : USD = 1.0850 ,\n\tGBP:USD=1.27 , ');
    expect(loose.rate('EUR', 'USD')).toBe('1.085');
    expect(loose.rate('GBP', 'USD')).toBe('1.27');
  });

  it('reads blank text as no rates', () => {
    expect(parseFxRates('').rate('EUR', 'USD')).toBeNull();
    expect(parseFxRates('   ').rate('EUR', 'USD')).toBeNull();
  });

  it('accepts rates written without a leading or trailing digit', () => {
    expect(parseFxRates('EUR:USD=.5').rate('EUR', 'USD')).toBe('0.5');
    expect(parseFxRates('EUR:USD=2.').rate('EUR', 'USD')).toBe('2');
  });

  it.each([
    ['EUR:USD', 'EUR:USD'],
    ['EUR-USD=1.08', 'EUR-USD=1.08'],
    ['EUR:USD:GBP=1', 'EUR:USD:GBP=1'],
    [':USD=1', ':USD=1'],
    ['EUR:XYZ=1.08', 'XYZ is not an ISO 4217'],
    ['eur:USD=1.08', 'eur is not an ISO 4217'],
    ['EUR:USD=0', 'positive decimal'],
    ['EUR:USD=0.000', 'positive decimal'],
    ['EUR:USD=-1.08', 'positive decimal'],
    ['EUR:USD=abc', 'positive decimal'],
    ['EUR:USD=1e3', 'positive decimal'],
    ['EUR:USD=1,08', '08'],
    ['EUR:USD=', 'positive decimal'],
    ['EUR:USD=1.08=2', 'positive decimal'],
    ['EUR:EUR=1', 'converts to itself'],
    ['EUR:USD=1.08, EUR:USD=1.09', 'given twice'],
  ])('refuses %s, naming the entry', (text, message) => {
    expect(() => parseFxRates(text)).toThrow(message);
  });

  it('names the bad entry among good ones', () => {
    expect(() => parseFxRates('EUR:USD=1.085, GBP:USD=zero, CHF:USD=1.1')).toThrow('FX rate entry "GBP:USD=zero"');
  });

  it('fxTable builds the same table from a record, with the same checks', () => {
    const t = fxTable({ 'EUR:USD': '1.0850', 'GBP:USD': '1.27' });
    expect(t.rate('EUR', 'USD')).toBe('1.085');
    expect(t.rate('USD', 'EUR')).toBe(fx.rate('USD', 'EUR'));
    expect(t.rate('EUR', 'GBP')).toBeNull();
    expect(fxTable({}).rate('EUR', 'USD')).toBeNull();
    expect(() => fxTable({ 'EUR:USD': '-1' })).toThrow('FX rate entry "EUR:USD=-1"');
    expect(() => fxTable({ EURUSD: '1' })).toThrow('must look like EUR:USD=1.0850');
    expect(() => fxTable({ 'EUR:USD': '1', ' EUR : USD ': '2' })).toThrow('given twice');
  });
});

describe('commission plan input', () => {
  const valid = (): PlanInput => ({
    name: 'IB standard',
    currency: 'USD',
    holdDays: 14,
    productId: null,
    isDefault: true,
    salePercentage: null,
    rules: [
      { kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '100', minAmount: '50', tierRates: ['10', '5'] },
      { kind: 'REVSHARE', percentage: '20', tierRates: ['10', '5'] },
      { kind: 'LOT_REBATE', perLot: '5', tierRates: ['10', '5'] },
      { kind: 'SPREAD_SHARE', percentage: '30', tierRates: [] },
      { kind: 'BONUS', amount: '10', tierRates: [] },
    ],
  });
  const withRule = (r: Partial<Rule> & Pick<Rule, 'kind'>, index = 0): PlanInput => {
    const input = valid();
    input.rules[index] = { tierRates: [], ...r };
    return input;
  };

  /** The BAD_USER_INPUT error validatePlan throws for `input`, or a failure when it throws none. */
  function refusal(input: PlanInput): GraphQLError {
    try {
      validatePlan(input);
    } catch (e) {
      expect(e).toBeInstanceOf(GraphQLError);
      return e as GraphQLError;
    }
    throw new Error('validatePlan accepted the input');
  }
  function expectRefused(input: PlanInput, param: string, message?: string | RegExp) {
    const e = refusal(input);
    expect(e.extensions).toMatchObject({ code: 'BAD_USER_INPUT', param });
    if (message !== undefined) expect(e.message).toMatch(message);
  }

  it('accepts the three-level IB plan', () => {
    expect(() => validatePlan(valid())).not.toThrow();
  });

  it('accepts the zero-rate test product plan', () => {
    expect(() =>
      validatePlan({
        name: 'Test Product',
        currency: 'USD',
        holdDays: 0,
        productId: 'product_123',
        rules: [
          { kind: 'CPA', eventType: EventType.REGISTRATION, amount: '0.00', tierRates: ['0'] },
          { kind: 'REVSHARE', percentage: '0', tierRates: [] },
        ],
      }),
    ).not.toThrow();
  });

  it('accepts the boundaries', () => {
    const input = valid();
    input.name = 'x'.repeat(200);
    input.holdDays = 365;
    input.productId = 'p'.repeat(200);
    input.salePercentage = '100';
    input.rules = Array.from({ length: 50 }, () => ({ kind: 'REVSHARE' as const, eventType: EventType.CUSTOM, percentage: '100.000000', tierRates: Array(10).fill('100') }));
    expect(() => validatePlan(input)).not.toThrow();
    expect(() => validatePlan({ ...valid(), holdDays: 0, salePercentage: '0' })).not.toThrow();
  });

  describe('plan fields', () => {
    it.each([
      ['', 'must not be empty'],
      ['   ', 'must not be empty'],
      ['x'.repeat(201), 'at most 200'],
    ])('refuses the name %j', (name, message) => {
      expectRefused({ ...valid(), name }, 'input.name', message);
    });

    it('counts the name in characters, not UTF-16 units', () => {
      expect(() => validatePlan({ ...valid(), name: '💶'.repeat(200) })).not.toThrow();
    });

    it.each(['usd', 'US', 'XYZ', '', 'USDX'])('refuses the currency %j', (currency) => {
      expectRefused({ ...valid(), currency }, 'input.currency', 'ISO 4217');
    });

    it.each([-1, 366, 1.5, NaN, Infinity])('refuses holdDays %p', (holdDays) => {
      expectRefused({ ...valid(), holdDays }, 'input.holdDays', '0 to 365');
    });

    it('refuses a productId over 200 characters or blank', () => {
      expectRefused({ ...valid(), productId: 'p'.repeat(201) }, 'input.productId', 'at most 200');
      expectRefused({ ...valid(), productId: ' ' }, 'input.productId', 'must not be empty');
    });

    it.each([
      ['-1', 'between 0 and 100'],
      ['100.01', 'between 0 and 100'],
      ['12.1234567', 'at most 6 decimal places'],
      ['abc', 'decimal number'],
    ])('refuses salePercentage %s', (salePercentage, message) => {
      expectRefused({ ...valid(), salePercentage }, 'input.salePercentage', message);
    });

    it('refuses no rules and more than 50', () => {
      expectRefused({ ...valid(), rules: [] }, 'input.rules', '1 to 50');
      const many = Array.from({ length: 51 }, () => ({ kind: 'REVSHARE' as const, percentage: '1', tierRates: [] }));
      expectRefused({ ...valid(), rules: many }, 'input.rules', 'got 51');
    });

    it('reports the first violation only', () => {
      expectRefused({ ...valid(), name: '', currency: 'XYZ', holdDays: -1 }, 'input.name');
      expectRefused({ ...valid(), currency: 'XYZ', holdDays: -1 }, 'input.currency');
      const input = withRule({ kind: 'REVSHARE', percentage: '101' }, 3);
      input.rules[4] = { kind: 'BONUS', amount: '-1', tierRates: [] };
      expectRefused(input, 'input.rules.3.percentage');
    });
  });

  describe('rules', () => {
    it('refuses an unknown kind', () => {
      expectRefused(withRule({ kind: 'FLAT' as Rule['kind'] }), 'input.rules.0.kind', 'CPA, REVSHARE, LOT_REBATE, SPREAD_SHARE and BONUS');
    });

    it('CPA needs an event type and an amount of zero or more', () => {
      expectRefused(withRule({ kind: 'CPA', amount: '100' }), 'input.rules.0.eventType', 'required');
      expectRefused(withRule({ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT }), 'input.rules.0.amount', 'required');
      expectRefused(withRule({ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '-0.01' }), 'input.rules.0.amount', '0 or more');
      expect(() => validatePlan(withRule({ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '0' }))).not.toThrow();
    });

    it('refuses an event type that does not exist or that reverses money', () => {
      expectRefused(withRule({ kind: 'CPA', eventType: 'SIGNUP' as EventType, amount: '1' }), 'input.rules.0.eventType', 'not an event type');
      expectRefused(withRule({ kind: 'CPA', eventType: EventType.REFUND, amount: '1' }), 'input.rules.0.eventType', 'reverses');
      expectRefused(withRule({ kind: 'REVSHARE', eventType: EventType.CHARGEBACK, percentage: '1' }), 'input.rules.0.eventType', 'reverses');
    });

    it('REVSHARE needs a percentage from 0 to 100 and may name an event type', () => {
      expectRefused(withRule({ kind: 'REVSHARE' }), 'input.rules.0.percentage', 'required');
      expectRefused(withRule({ kind: 'REVSHARE', percentage: '100.5' }), 'input.rules.0.percentage', 'between 0 and 100');
      expectRefused(withRule({ kind: 'REVSHARE', percentage: '-5' }), 'input.rules.0.percentage', 'between 0 and 100');
      expect(() => validatePlan(withRule({ kind: 'REVSHARE', eventType: EventType.SUBSCRIPTION, percentage: '0.000001' }))).not.toThrow();
    });

    it('LOT_REBATE needs a perLot of zero or more, up to 6 decimal places', () => {
      expectRefused(withRule({ kind: 'LOT_REBATE' }), 'input.rules.0.perLot', 'required');
      expectRefused(withRule({ kind: 'LOT_REBATE', perLot: '-5' }), 'input.rules.0.perLot', '0 or more');
      expectRefused(withRule({ kind: 'LOT_REBATE', perLot: '0.0000001' }), 'input.rules.0.perLot', 'at most 6 decimal places');
      expect(() => validatePlan(withRule({ kind: 'LOT_REBATE', perLot: '0.000125' }))).not.toThrow(); // sub-cent rebates per lot
      expect(() => validatePlan(withRule({ kind: 'LOT_REBATE', perLot: '250' }))).not.toThrow(); // no upper bound
    });

    it('SPREAD_SHARE needs a percentage from 0 to 100', () => {
      expectRefused(withRule({ kind: 'SPREAD_SHARE' }), 'input.rules.0.percentage', 'required');
      expectRefused(withRule({ kind: 'SPREAD_SHARE', percentage: '101' }), 'input.rules.0.percentage', 'between 0 and 100');
    });

    it('BONUS may have an amount of zero or more', () => {
      expect(() => validatePlan(withRule({ kind: 'BONUS' }))).not.toThrow();
      expect(() => validatePlan(withRule({ kind: 'BONUS', amount: '0' }))).not.toThrow();
      expectRefused(withRule({ kind: 'BONUS', amount: '-1' }), 'input.rules.0.amount', '0 or more');
    });

    it('minAmount is zero or more, and only on CPA', () => {
      expectRefused(withRule({ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '1', minAmount: '-1' }), 'input.rules.0.minAmount', '0 or more');
      expectRefused(withRule({ kind: 'REVSHARE', percentage: '20', minAmount: '50' }), 'input.rules.0.minAmount', 'minAmount is for CPA rules only');
      expectRefused(withRule({ kind: 'BONUS', minAmount: '50' }), 'input.rules.0.minAmount', 'CPA rules only');
    });

    it.each<[Partial<Rule> & Pick<Rule, 'kind'>, string, string]>([
      [{ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '1', perLot: '5' }, 'perLot', 'CPA rules take eventType, amount, minAmount and tierRates; perLot does not apply'],
      [{ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '1', percentage: '5' }, 'percentage', 'CPA rules take eventType, amount, minAmount and tierRates'],
      [{ kind: 'REVSHARE', percentage: '5', amount: '1' }, 'amount', 'REVSHARE rules take eventType, percentage and tierRates'],
      [{ kind: 'REVSHARE', percentage: '5', perLot: '1' }, 'perLot', 'REVSHARE rules take'],
      [{ kind: 'LOT_REBATE', perLot: '5', eventType: EventType.FIRST_TRADE }, 'eventType', 'LOT_REBATE rules take perLot and tierRates'],
      [{ kind: 'LOT_REBATE', perLot: '5', percentage: '5' }, 'percentage', 'LOT_REBATE rules take perLot and tierRates'],
      [{ kind: 'SPREAD_SHARE', percentage: '5', perLot: '1' }, 'perLot', 'SPREAD_SHARE rules take percentage and tierRates'],
      [{ kind: 'SPREAD_SHARE', percentage: '5', eventType: EventType.FIRST_TRADE }, 'eventType', 'SPREAD_SHARE rules take'],
      [{ kind: 'BONUS', eventType: EventType.KYC_COMPLETED }, 'eventType', 'BONUS rules take amount and tierRates'],
      [{ kind: 'BONUS', percentage: '5' }, 'percentage', 'BONUS rules take amount and tierRates'],
    ])('refuses a field that does not belong to the kind: %o', (r, field, message) => {
      expectRefused(withRule(r, 2), `input.rules.2.${field}`, message);
    });

    it('reads a null field as absent', () => {
      expect(() => validatePlan(withRule({ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '1', perLot: null, percentage: null, minAmount: null }))).not.toThrow();
    });
  });

  describe('tier rates', () => {
    it('allow at most 10 levels', () => {
      expectRefused(withRule({ kind: 'REVSHARE', percentage: '1', tierRates: Array(11).fill('1') }, 1), 'input.rules.1.tierRates', 'at most 10');
    });

    it('are percents from 0 to 100 with at most 6 decimal places, each named by its index', () => {
      expectRefused(withRule({ kind: 'REVSHARE', percentage: '1', tierRates: ['10', '100.1'] }), 'input.rules.0.tierRates.1', 'between 0 and 100');
      expectRefused(withRule({ kind: 'REVSHARE', percentage: '1', tierRates: ['-1'] }), 'input.rules.0.tierRates.0', 'between 0 and 100');
      expectRefused(withRule({ kind: 'REVSHARE', percentage: '1', tierRates: ['1', '2', '0.1234567'] }), 'input.rules.0.tierRates.2', '6 decimal places');
      expectRefused(withRule({ kind: 'REVSHARE', percentage: '1', tierRates: ['ten'] }), 'input.rules.0.tierRates.0', 'decimal number');
    });
  });

  describe('decimal precision', () => {
    it('amounts have at most as many decimal places as the plan currency', () => {
      expectRefused(withRule({ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '10.001' }), 'input.rules.0.amount', 'at most 2 decimal places (USD has 2)');
      expectRefused({ ...withRule({ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '100.5' }), currency: 'JPY' }, 'input.rules.0.amount', 'at most 0 decimal places (JPY has 0)');
      expectRefused({ ...withRule({ kind: 'BONUS', amount: '1.0001' }), currency: 'BHD' }, 'input.rules.0.amount', '3 decimal places');
      expectRefused(withRule({ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '1', minAmount: '0.005' }), 'input.rules.0.minAmount', '2 decimal places');
      expect(() => validatePlan({ ...withRule({ kind: 'BONUS', amount: '1.234' }), currency: 'BHD' })).not.toThrow();
    });

    it('counts places on the value: trailing zeros add none', () => {
      expect(() => validatePlan({ ...withRule({ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '100.00' }), currency: 'JPY' })).not.toThrow();
      expect(() => validatePlan(withRule({ kind: 'REVSHARE', percentage: '20.0000000000' }))).not.toThrow();
    });

    it('every number has at most 15 significant digits', () => {
      expect(() => validatePlan(withRule({ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '1234567890123.45' }))).not.toThrow();
      expectRefused(withRule({ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '12345678901234.56' }), 'input.rules.0.amount', '15 significant digits');
      expectRefused(withRule({ kind: 'BONUS', amount: '1000000000000000' }), 'input.rules.0.amount', '15 significant digits');
      expectRefused(withRule({ kind: 'LOT_REBATE', perLot: '1234567890.123456' }), 'input.rules.0.perLot', '15 significant digits');
    });

    it('refuses text that is not a decimal number', () => {
      expectRefused(withRule({ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '1,00' }), 'input.rules.0.amount', 'decimal number');
      expectRefused(withRule({ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: 'NaN' }), 'input.rules.0.amount', 'decimal number');
      expectRefused(withRule({ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '' }), 'input.rules.0.amount', 'decimal number');
    });
  });
});

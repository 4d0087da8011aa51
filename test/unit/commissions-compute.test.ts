import { EventType } from '../../subgraphs/shared/src/event-type';
import { addDays, CommissionDraft, computeCommissions, ComputeResult, holdEnd, Plan, Rule, Source } from '../../subgraphs/commissions/src/domain/compute';
import { fxTable } from '../../subgraphs/commissions/src/domain/fx';

const NO_FX = fxTable({});
const FX = fxTable({ 'EUR:USD': '1.085', 'GBP:USD': '1.27' });
const CHAIN = ['ib_1', 'ib_2', 'ib_3'];

function plan(rules: Rule[], currency = 'USD', holdDays = 14): Plan {
  return { id: 'cpl_1', currency, holdDays, rules };
}

function rule(kind: Rule['kind'], fields: Partial<Rule> = {}): Rule {
  return { kind, tierRates: [], ...fields };
}

function event(eventType: EventType, amount: string | null, currency: string | null = 'USD', extra: Partial<Extract<Source, { kind: 'event' }>> = {}): Source {
  return { kind: 'event', eventId: 'evt_1', eventType, amount, currency, isDuplicate: false, occurredAt: new Date('2026-06-14T10:00:00Z'), ...extra };
}

function trading(lots: string, spreadCost = '0', currency = 'USD', date = '2026-03-15'): Source {
  return { kind: 'trading', key: 'tdr_50321|2026-03-15|EURUSD|USD', lots, spreadCost, currency, date };
}

function bonus(amount: string | null, currency: string | null): Source {
  return { kind: 'bonus', key: 'kyc_1', amount, currency, occurredAt: new Date('2026-06-14T10:00:00Z') };
}

/** [partnerId, tier, amount] per draft: the shape a reader checks first. */
const pay = (r: ComputeResult) => r.drafts.map((d) => [d.partnerId, d.tier, d.amount]);
const amounts = (r: ComputeResult) => r.drafts.map((d) => d.amount);
const only = (r: ComputeResult): CommissionDraft => {
  expect(r.drafts).toHaveLength(1);
  return r.drafts[0];
};

describe('CPA', () => {
  const cpa = plan([rule('CPA', { eventType: EventType.FIRST_DEPOSIT, amount: '100' })]);

  it('pays the fixed amount in the plan currency for its event type', () => {
    const r = computeCommissions(event(EventType.FIRST_DEPOSIT, '200.00'), cpa, ['ib_1'], NO_FX);
    expect(r).toEqual({
      drafts: [
        { partnerId: 'ib_1', tier: 0, kind: 'CPA', ruleIndex: 0, baseAmount: '200', amount: '100.00', currency: 'USD', fxRate: null, dueAt: new Date('2026-06-28T10:00:00Z'), holdUntil: '2026-06-28' },
      ],
      skipped: [],
    });
  });

  it('pays nothing for another event type', () => {
    expect(computeCommissions(event(EventType.RECURRING_DEPOSIT, '200.00'), cpa, ['ib_1'], NO_FX)).toEqual({ drafts: [], skipped: [] });
    expect(computeCommissions(event(EventType.REGISTRATION, null), cpa, ['ib_1'], NO_FX).drafts).toEqual([]);
  });

  it('pays an event without an amount, with no base amount', () => {
    const reg = plan([rule('CPA', { eventType: EventType.REGISTRATION, amount: '2.5' })]);
    const d = only(computeCommissions(event(EventType.REGISTRATION, null, null), reg, ['ib_1'], NO_FX));
    expect(d.amount).toBe('2.50');
    expect(d.baseAmount).toBeNull();
    expect(d.fxRate).toBeNull();
  });

  it('is paid in the plan currency whatever the event currency; the base is converted when a rate is known', () => {
    const d = only(computeCommissions(event(EventType.FIRST_DEPOSIT, '100', 'EUR'), cpa, ['ib_1'], FX));
    expect(d).toMatchObject({ amount: '100.00', currency: 'USD', baseAmount: '108.5', fxRate: '1.085' });
  });

  it('without minAmount, still pays when the event currency cannot be converted (the base is just unknown)', () => {
    const r = computeCommissions(event(EventType.FIRST_DEPOSIT, '100', 'CHF'), cpa, ['ib_1'], FX);
    expect(only(r)).toMatchObject({ amount: '100.00', baseAmount: null, fxRate: null });
    expect(r.skipped).toEqual([]);
  });

  describe('with minAmount 50 USD', () => {
    const min = plan([rule('CPA', { eventType: EventType.FIRST_DEPOSIT, amount: '100', minAmount: '50' })]);

    it('skips a deposit below the minimum', () => {
      const r = computeCommissions(event(EventType.FIRST_DEPOSIT, '49.99'), min, ['ib_1'], NO_FX);
      expect(r.drafts).toEqual([]);
      expect(r.skipped).toEqual([{ ruleIndex: 0, reason: expect.stringContaining('below the minimum 50') }]);
    });

    it('pays a deposit equal to the minimum', () => {
      expect(amounts(computeCommissions(event(EventType.FIRST_DEPOSIT, '50.00'), min, ['ib_1'], NO_FX))).toEqual(['100.00']);
    });

    it('pays a deposit above the minimum', () => {
      expect(amounts(computeCommissions(event(EventType.FIRST_DEPOSIT, '50.01'), min, ['ib_1'], NO_FX))).toEqual(['100.00']);
    });

    it('skips an event with no amount', () => {
      const r = computeCommissions(event(EventType.FIRST_DEPOSIT, null, null), min, ['ib_1'], NO_FX);
      expect(r.drafts).toEqual([]);
      expect(r.skipped).toEqual([{ ruleIndex: 0, reason: expect.stringContaining('no amount') }]);
    });

    it('skips an amount without a currency (never guessed)', () => {
      const r = computeCommissions(event(EventType.FIRST_DEPOSIT, '500', null), min, ['ib_1'], NO_FX);
      expect(r.drafts).toEqual([]);
      expect(r.skipped).toEqual([{ ruleIndex: 0, reason: 'the event amount has no currency' }]);
    });

    it('compares the amount converted to the plan currency, unrounded', () => {
      // 46.08 EUR x 1.085 = 49.9968 USD: below 50 even though it would round to 50.00.
      const below = computeCommissions(event(EventType.FIRST_DEPOSIT, '46.08', 'EUR'), min, ['ib_1'], FX);
      expect(below.drafts).toEqual([]);
      expect(below.skipped[0].reason).toContain('49.9968 USD');
      // 46.09 EUR x 1.085 = 50.00765 USD
      const above = only(computeCommissions(event(EventType.FIRST_DEPOSIT, '46.09', 'EUR'), min, ['ib_1'], FX));
      expect(above).toMatchObject({ amount: '100.00', currency: 'USD', baseAmount: '50.00765', fxRate: '1.085' });
    });

    it('is held FX_PENDING at the rule amount when the event currency has no rate to the plan currency (a rate decides it later)', () => {
      const r = computeCommissions(event(EventType.FIRST_DEPOSIT, '1000', 'CHF'), min, ['ib_1'], FX);
      expect(r.skipped).toEqual([]);
      expect(r.drafts).toEqual([expect.objectContaining({ kind: 'CPA', amount: '100.00', currency: 'USD', settlementCurrency: 'USD', baseAmount: '1000', fxRate: null })]);
    });
  });
});

describe('duplicates', () => {
  const p = plan([rule('CPA', { eventType: EventType.FIRST_DEPOSIT, amount: '100' }), rule('REVSHARE', { percentage: '20' })]);

  it('a duplicate event earns no CPA but still earns its revenue share', () => {
    const r = computeCommissions(event(EventType.FIRST_DEPOSIT, '200.00', 'USD', { isDuplicate: true }), p, ['ib_1'], NO_FX);
    expect(r.drafts).toEqual([expect.objectContaining({ kind: 'REVSHARE', ruleIndex: 1, amount: '40.00' })]);
    expect(r.skipped).toEqual([{ ruleIndex: 0, reason: 'a duplicate event earns no CPA' }]);
  });

  it('the same event, not a duplicate, earns both', () => {
    const r = computeCommissions(event(EventType.FIRST_DEPOSIT, '200.00'), p, ['ib_1'], NO_FX);
    expect(r.drafts.map((d) => [d.kind, d.amount])).toEqual([
      ['CPA', '100.00'],
      ['REVSHARE', '40.00'],
    ]);
  });
});

describe('REVSHARE', () => {
  const share = plan([rule('REVSHARE', { percentage: '20' })]);

  it('pays its percentage of a payment (the Refairn example: 20 % of 100 USD, held 14 days)', () => {
    const d = only(computeCommissions(event(EventType.SUBSCRIPTION, '100'), share, ['agent_xyz456'], NO_FX));
    expect(d).toEqual({
      partnerId: 'agent_xyz456',
      tier: 0,
      kind: 'REVSHARE',
      ruleIndex: 0,
      baseAmount: '100',
      amount: '20.00',
      currency: 'USD',
      fxRate: null,
      dueAt: new Date('2026-06-28T10:00:00Z'),
      holdUntil: '2026-06-28',
    });
  });

  it.each([EventType.FIRST_DEPOSIT, EventType.RECURRING_DEPOSIT, EventType.SUBSCRIPTION])('without an event type shares %s', (type) => {
    expect(amounts(computeCommissions(event(type, '50'), share, ['ib_1'], NO_FX))).toEqual(['10.00']);
  });

  it.each([EventType.REGISTRATION, EventType.WITHDRAWAL, EventType.FIRST_TRADE, EventType.KYC_COMPLETED, EventType.CUSTOM])(
    'without an event type ignores %s, even with an amount',
    (type) => {
      expect(computeCommissions(event(type, '50'), share, ['ib_1'], NO_FX)).toEqual({ drafts: [], skipped: [] });
    },
  );

  it('with an event type shares that type only', () => {
    const recurring = plan([rule('REVSHARE', { eventType: EventType.RECURRING_DEPOSIT, percentage: '10' })]);
    expect(amounts(computeCommissions(event(EventType.RECURRING_DEPOSIT, '80'), recurring, ['ib_1'], NO_FX))).toEqual(['8.00']);
    expect(computeCommissions(event(EventType.FIRST_DEPOSIT, '80'), recurring, ['ib_1'], NO_FX).drafts).toEqual([]);
    expect(computeCommissions(event(EventType.SUBSCRIPTION, '80'), recurring, ['ib_1'], NO_FX).drafts).toEqual([]);
  });

  it('with a non-payment event type shares that type', () => {
    const custom = plan([rule('REVSHARE', { eventType: EventType.CUSTOM, percentage: '5' })]);
    expect(amounts(computeCommissions(event(EventType.CUSTOM, '80'), custom, ['ib_1'], NO_FX))).toEqual(['4.00']);
  });

  it.each([
    [EventType.FIRST_DEPOSIT, '-1000'],
    [EventType.SUBSCRIPTION, '-100'],
    [EventType.RECURRING_DEPOSIT, '-0.01'],
  ])('never shares a negative payment (%s of %s): no negative commission from a payment', (type, amount) => {
    const r = computeCommissions(event(type, amount), share, ['ib_1'], NO_FX);
    expect(r).toEqual({ drafts: [], skipped: [{ ruleIndex: 0, reason: 'a negative payment earns no revenue share' }] });
  });

  it('pays nothing for a payment without an amount', () => {
    const r = computeCommissions(event(EventType.FIRST_DEPOSIT, null, null), share, ['ib_1'], NO_FX);
    expect(r).toEqual({ drafts: [], skipped: [{ ruleIndex: 0, reason: 'the event has no amount to share' }] });
  });

  it('converts the payment to the plan currency first and records the rate', () => {
    const d = only(computeCommissions(event(EventType.FIRST_DEPOSIT, '100', 'GBP'), share, ['ib_1'], FX));
    expect(d).toMatchObject({ baseAmount: '127', amount: '25.40', currency: 'USD', fxRate: '1.27' });
  });

  it('converts with a derived inverse rate (1 / 1.085 to 20 significant digits)', () => {
    const eurPlan = plan([rule('REVSHARE', { percentage: '10' })], 'EUR');
    const d = only(computeCommissions(event(EventType.FIRST_DEPOSIT, '100', 'USD'), eurPlan, ['ib_1'], FX));
    expect(d).toMatchObject({ baseAmount: '92.165898617511520737', amount: '9.22', currency: 'EUR', fxRate: '0.92165898617511520737' });
  });

  it('holds the share FX_PENDING in the payment currency when the pair is unknown, and never chains through a third currency', () => {
    // EUR:USD and GBP:USD are known; EUR -> GBP would need a guess through USD.
    const gbpPlan = plan([rule('REVSHARE', { percentage: '10' })], 'GBP');
    const r = computeCommissions(event(EventType.FIRST_DEPOSIT, '100', 'EUR'), gbpPlan, ['ib_1'], FX);
    expect(r.skipped).toEqual([]);
    expect(r.drafts.map((d) => [d.amount, d.currency, d.settlementCurrency, d.fxRate, d.baseAmount])).toEqual([['10.00', 'EUR', 'GBP', null, '100']]);
  });
});

describe('reversing events', () => {
  const p = plan([
    rule('CPA', { eventType: EventType.REFUND, amount: '10' }),
    rule('REVSHARE', { percentage: '20' }),
    rule('REVSHARE', { eventType: EventType.CHARGEBACK, percentage: '20' }),
    rule('CPA', { eventType: EventType.CHARGEBACK, amount: '10' }),
  ]);

  it.each([EventType.REFUND, EventType.CHARGEBACK])('%s earns nothing, whatever the rules say', (type) => {
    expect(computeCommissions(event(type, '100'), p, CHAIN, NO_FX)).toEqual({ drafts: [], skipped: [] });
  });
});

describe('rule kinds that do not apply to the source', () => {
  const tradingAndBonus = plan([rule('LOT_REBATE', { perLot: '5' }), rule('SPREAD_SHARE', { percentage: '30' }), rule('BONUS', { amount: '10' })]);
  const eventRules = plan([rule('CPA', { eventType: EventType.FIRST_DEPOSIT, amount: '100' }), rule('REVSHARE', { percentage: '20' })]);

  it('events ignore LOT_REBATE, SPREAD_SHARE and BONUS rules', () => {
    expect(computeCommissions(event(EventType.FIRST_DEPOSIT, '100'), tradingAndBonus, CHAIN, NO_FX)).toEqual({ drafts: [], skipped: [] });
  });

  it('trading ignores CPA, REVSHARE and BONUS rules', () => {
    expect(computeCommissions(trading('10', '30'), eventRules, CHAIN, NO_FX)).toEqual({ drafts: [], skipped: [] });
    expect(computeCommissions(trading('10', '30'), plan([rule('BONUS', { amount: '10' })]), CHAIN, NO_FX).drafts).toEqual([]);
  });

  it('bonuses ignore CPA, REVSHARE, LOT_REBATE and SPREAD_SHARE rules', () => {
    expect(computeCommissions(bonus(null, null), eventRules, CHAIN, NO_FX)).toEqual({ drafts: [], skipped: [] });
    expect(computeCommissions(bonus(null, null), plan([rule('LOT_REBATE', { perLot: '5' })]), CHAIN, NO_FX).drafts).toEqual([]);
  });
});

describe('LOT_REBATE', () => {
  const rebate = plan([rule('LOT_REBATE', { perLot: '5' })]);

  it('pays perLot x lots in the plan currency ("$5 per lot"), lots as the base', () => {
    const d = only(computeCommissions(trading('12.5'), rebate, ['ib_1'], NO_FX));
    expect(d).toEqual({
      partnerId: 'ib_1',
      tier: 0,
      kind: 'LOT_REBATE',
      ruleIndex: 0,
      baseAmount: '12.5',
      amount: '62.50',
      currency: 'USD',
      fxRate: null,
      dueAt: new Date('2026-03-29T00:00:00Z'),
      holdUntil: '2026-03-29',
    });
  });

  it('needs no rate: lots are unitless, whatever the activity currency', () => {
    expect(only(computeCommissions(trading('2', '0', 'CHF'), rebate, ['ib_1'], NO_FX))).toMatchObject({ amount: '10.00', fxRate: null, currency: 'USD' });
  });

  it('handles fractional per-lot rates exactly', () => {
    const micro = plan([rule('LOT_REBATE', { perLot: '0.015' })]);
    expect(amounts(computeCommissions(trading('0.01'), micro, ['ib_1'], NO_FX))).toEqual([]); // 0.00015 rounds to 0.00: no commission
    expect(amounts(computeCommissions(trading('3'), micro, ['ib_1'], NO_FX))).toEqual(['0.04']); // 0.045 -> 4 is even
    expect(amounts(computeCommissions(trading('7'), micro, ['ib_1'], NO_FX))).toEqual(['0.10']); // 0.105 -> 0 is even
  });

  it('a zero lot delta yields no draft (and says why)', () => {
    for (const lots of ['0', '0.00', '-0']) {
      const r = computeCommissions(trading(lots, '1.5'), rebate, ['ib_1'], NO_FX);
      expect(r).toEqual({ drafts: [], skipped: [{ ruleIndex: 0, reason: 'the lots traded did not change' }] });
    }
  });
});

describe('SPREAD_SHARE', () => {
  const spread = plan([rule('SPREAD_SHARE', { percentage: '30' })]);

  it('pays its percentage of the spread cost', () => {
    const d = only(computeCommissions(trading('12.5', '37.5'), spread, ['ib_1'], NO_FX));
    expect(d).toMatchObject({ kind: 'SPREAD_SHARE', baseAmount: '37.5', amount: '11.25', currency: 'USD', fxRate: null });
  });

  it('converts the spread cost from the activity currency to the plan currency', () => {
    // 37.5 EUR x 1.085 = 40.6875 USD; 30 % = 12.20625 -> 12.21
    const d = only(computeCommissions(trading('12.5', '37.5', 'EUR'), spread, ['ib_1'], FX));
    expect(d).toMatchObject({ baseAmount: '40.6875', amount: '12.21', currency: 'USD', fxRate: '1.085' });
  });

  it('holds the share FX_PENDING in the activity currency when it has no rate', () => {
    const r = computeCommissions(trading('12.5', '37.5', 'JPY'), spread, ['ib_1'], FX);
    expect(r.skipped).toEqual([]);
    // 30 % of JPY 37.5 = 11.25 -> JPY 11 (no minor unit), to settle in USD when a rate arrives.
    expect(r.drafts.map((d) => [d.amount, d.currency, d.settlementCurrency])).toEqual([['11', 'JPY', 'USD']]);
  });

  it('a zero spread delta yields no draft, while the lots still pay their rebate', () => {
    const both = plan([rule('SPREAD_SHARE', { percentage: '30' }), rule('LOT_REBATE', { perLot: '5' })]);
    const r = computeCommissions(trading('1', '0'), both, ['ib_1'], NO_FX);
    expect(r.drafts.map((d) => [d.kind, d.amount])).toEqual([['LOT_REBATE', '5.00']]);
    expect(r.skipped).toEqual([{ ruleIndex: 0, reason: 'the spread cost did not change' }]);
  });

  it('a delta of zero for both yields nothing at all', () => {
    const both = plan([rule('SPREAD_SHARE', { percentage: '30' }), rule('LOT_REBATE', { perLot: '5' })]);
    expect(computeCommissions(trading('0', '0'), both, ['ib_1'], NO_FX).drafts).toEqual([]);
  });

  it('a negative spread correction yields a negative draft', () => {
    expect(amounts(computeCommissions(trading('0', '-2.5'), spread, ['ib_1'], NO_FX))).toEqual(['-0.75']);
  });
});

describe('BONUS (a KYC code bonus)', () => {
  it("pays the code's own amount in the code's currency, with no conversion, through the BONUS rule's tier rates", () => {
    const p = plan([rule('CPA', { eventType: EventType.KYC_COMPLETED, amount: '1' }), rule('BONUS', { amount: '10', tierRates: ['10'] })]);
    const r = computeCommissions(bonus('25', 'EUR'), p, ['ib_1', 'ib_2'], NO_FX);
    expect(r.drafts).toEqual([
      { partnerId: 'ib_1', tier: 0, kind: 'BONUS', ruleIndex: 1, baseAmount: null, amount: '25.00', currency: 'EUR', fxRate: null, dueAt: new Date('2026-06-28T10:00:00Z'), holdUntil: '2026-06-28' },
      { partnerId: 'ib_2', tier: 1, kind: 'BONUS', ruleIndex: 1, baseAmount: null, amount: '2.50', currency: 'EUR', fxRate: null, dueAt: new Date('2026-06-28T10:00:00Z'), holdUntil: '2026-06-28' },
    ]);
    expect(r.skipped).toEqual([]);
  });

  it("pays the code's own amount to the owner alone when the plan has no BONUS rule (ruleIndex -1)", () => {
    const r = computeCommissions(bonus('500', 'JPY'), plan([]), ['ib_1', 'ib_2'], NO_FX);
    expect(r.drafts).toEqual([expect.objectContaining({ partnerId: 'ib_1', tier: 0, ruleIndex: -1, amount: '500', currency: 'JPY' })]);
  });

  it("rounds the code's amount to its own currency's minor unit", () => {
    expect(amounts(computeCommissions(bonus('2.5', 'JPY'), plan([]), ['ib_1'], NO_FX))).toEqual(['2']);
    expect(amounts(computeCommissions(bonus('1.2345', 'BHD'), plan([]), ['ib_1'], NO_FX))).toEqual(['1.234']);
  });

  it('without its own amount, pays the BONUS rule amount in the plan currency, with tier shares', () => {
    const p = plan([rule('BONUS', { amount: '10', tierRates: ['10', '5'] })], 'GBP');
    const r = computeCommissions(bonus(null, null), p, CHAIN, NO_FX);
    expect(r.drafts.map((d) => [d.partnerId, d.tier, d.amount, d.currency, d.baseAmount])).toEqual([
      ['ib_1', 0, '10.00', 'GBP', null],
      ['ib_2', 1, '1.00', 'GBP', null],
      ['ib_3', 2, '0.50', 'GBP', null],
    ]);
  });

  it('pays nothing without an amount on either side', () => {
    expect(computeCommissions(bonus(null, null), plan([]), CHAIN, NO_FX)).toEqual({ drafts: [], skipped: [] });
    const r = computeCommissions(bonus(null, null), plan([rule('BONUS', { tierRates: ['10'] })]), CHAIN, NO_FX);
    expect(r.drafts).toEqual([]);
    expect(r.skipped).toEqual([{ ruleIndex: 0, reason: expect.stringContaining('no amount') }]);
  });

  it("pays the code's own amount once, even with several BONUS rules", () => {
    const p = plan([rule('BONUS', { amount: '10' }), rule('BONUS', { amount: '20' })]);
    const r = computeCommissions(bonus('5', 'USD'), p, ['ib_1'], NO_FX);
    expect(r.drafts.map((d) => [d.ruleIndex, d.amount])).toEqual([[0, '5.00']]);
    expect(r.skipped).toEqual([{ ruleIndex: 1, reason: expect.stringContaining("code's own bonus") }]);
    // Without the code's amount, each BONUS rule pays its own.
    expect(computeCommissions(bonus(null, null), p, ['ib_1'], NO_FX).drafts.map((d) => [d.ruleIndex, d.amount])).toEqual([
      [0, '10.00'],
      [1, '20.00'],
    ]);
  });

  it("skips a code amount without a valid currency instead of guessing one", () => {
    const r = computeCommissions(bonus('5', null), plan([rule('BONUS', { amount: '10' })]), ['ib_1'], NO_FX);
    expect(r.drafts).toEqual([]);
    expect(r.skipped).toEqual([{ ruleIndex: 0, reason: expect.stringContaining('no valid currency') }]);
  });
});

describe('exact decimal arithmetic, rounded half-even to the minor unit', () => {
  const pct = (percentage: string, currency = 'USD') => plan([rule('REVSHARE', { percentage })], currency);
  const revshare = (percentage: string, amount: string, currency = 'USD') =>
    only(computeCommissions(event(EventType.FIRST_DEPOSIT, amount, currency), pct(percentage, currency), ['ib_1'], NO_FX)).amount;

  it('20 % of 0.15 is 0.03 (a 0.015 tier share of it: 0.02, half-even)', () => {
    expect(revshare('20', '0.15')).toBe('0.03');
    const p = plan([rule('REVSHARE', { percentage: '20', tierRates: ['50'] })]);
    expect(amounts(computeCommissions(event(EventType.FIRST_DEPOSIT, '0.15'), p, CHAIN, NO_FX))).toEqual(['0.03', '0.02']);
  });

  it('20 % of 29.99 is 5.998 -> 6.00', () => {
    expect(revshare('20', '29.99')).toBe('6.00');
  });

  it('50 % of 2.03 is 1.015 -> 1.02 (float toFixed gives 1.01, since 1.015 is 1.01499... as a double)', () => {
    expect(revshare('50', '2.03')).toBe('1.02');
  });

  it('0.1 x 3 is exactly 0.3 (float: 0.30000000000000004)', () => {
    const p = plan([rule('REVSHARE', { percentage: '100' })]);
    const d = only(computeCommissions(event(EventType.FIRST_DEPOSIT, '3', 'EUR'), p, ['ib_1'], fxTable({ 'EUR:USD': '0.1' })));
    expect(d).toMatchObject({ baseAmount: '0.3', amount: '0.30', fxRate: '0.1' });
    expect(revshare('10', '3')).toBe('0.30');
  });

  it('33.335 -> 33.34 (3 is odd: up), 33.345 -> 33.34 (4 is even: down), 33.325 -> 33.32', () => {
    expect(revshare('100', '33.335')).toBe('33.34');
    expect(revshare('100', '33.345')).toBe('33.34');
    expect(revshare('100', '33.325')).toBe('33.32');
    expect(revshare('100', '33.3451')).toBe('33.35'); // above half always rounds up
  });

  it('negative halves round to even too', () => {
    expect(amounts(computeCommissions(trading('-0.025'), plan([rule('LOT_REBATE', { perLot: '1' })]), ['ib_1'], NO_FX))).toEqual(['-0.02']);
    expect(amounts(computeCommissions(trading('-0.035'), plan([rule('LOT_REBATE', { perLot: '1' })]), ['ib_1'], NO_FX))).toEqual(['-0.04']);
  });

  it('never produces "-0.00" (nor "0.00": a draft that rounds to zero is no commission)', () => {
    const r = computeCommissions(trading('-0.001'), plan([rule('LOT_REBATE', { perLot: '1' })]), ['ib_1'], NO_FX);
    expect(r.drafts).toEqual([]);
    expect(r.skipped).toEqual([{ ruleIndex: 0, reason: 'tier 0 pays 0.00 USD: no commission is recorded' }]);
  });

  it('JPY has no minor unit: 2.5 -> 2 (Math.round says 3), 3.5 -> 4', () => {
    expect(revshare('50', '5', 'JPY')).toBe('2');
    expect(revshare('50', '7', 'JPY')).toBe('4');
    expect(revshare('10', '1234', 'JPY')).toBe('123');
  });

  it('BHD has three digits: 1.2345 -> 1.234, 1.2355 -> 1.236', () => {
    expect(revshare('10', '12.345', 'BHD')).toBe('1.234');
    expect(revshare('10', '12.355', 'BHD')).toBe('1.236');
    expect(revshare('20', '10', 'BHD')).toBe('2.000');
  });

  it('converts unrounded and rounds once: 0.015 GBP x 1.27 = 0.01905 USD, 100 % -> 0.02', () => {
    const p = plan([rule('REVSHARE', { percentage: '100' })]);
    expect(only(computeCommissions(event(EventType.FIRST_DEPOSIT, '0.015', 'GBP'), p, ['ib_1'], FX))).toMatchObject({ baseAmount: '0.01905', amount: '0.02' });
  });

  it('handles amounts beyond float precision exactly', () => {
    expect(revshare('12.345678', '123456789012.34')).toBe('15241577640.60'); // 15241577640.6028766652
  });
});

describe('tier rates', () => {
  const tiered = plan([rule('CPA', { eventType: EventType.FIRST_DEPOSIT, amount: '100', tierRates: ['10', '5', '2.5'] })]);
  const cpa = (chain: string[]) => pay(computeCommissions(event(EventType.FIRST_DEPOSIT, '1'), tiered, chain, NO_FX));

  it('API.md: ["10","5"] on a 100.00 CPA pays 100.00 / 10.00 / 5.00', () => {
    const p = plan([rule('CPA', { eventType: EventType.FIRST_DEPOSIT, amount: '100', tierRates: ['10', '5'] })]);
    expect(pay(computeCommissions(event(EventType.FIRST_DEPOSIT, null, null), p, CHAIN, NO_FX))).toEqual([
      ['ib_1', 0, '100.00'],
      ['ib_2', 1, '10.00'],
      ['ib_3', 2, '5.00'],
    ]);
  });

  it('a partner without uplines gets the direct commission alone', () => {
    expect(cpa(['p0'])).toEqual([['p0', 0, '100.00']]);
  });

  it('one upline', () => {
    expect(cpa(['p0', 'p1'])).toEqual([
      ['p0', 0, '100.00'],
      ['p1', 1, '10.00'],
    ]);
  });

  it('two uplines', () => {
    expect(cpa(['p0', 'p1', 'p2'])).toEqual([
      ['p0', 0, '100.00'],
      ['p1', 1, '10.00'],
      ['p2', 2, '5.00'],
    ]);
  });

  it('three uplines', () => {
    expect(cpa(['p0', 'p1', 'p2', 'p3'])).toEqual([
      ['p0', 0, '100.00'],
      ['p1', 1, '10.00'],
      ['p2', 2, '5.00'],
      ['p3', 3, '2.50'],
    ]);
  });

  it('uplines beyond the rates get nothing', () => {
    expect(cpa(['p0', 'p1', 'p2', 'p3', 'p4', 'p5'])).toHaveLength(4);
  });

  it('no rates pays the partner alone', () => {
    const flat = plan([rule('CPA', { eventType: EventType.FIRST_DEPOSIT, amount: '100' })]);
    expect(pay(computeCommissions(event(EventType.FIRST_DEPOSIT, null, null), flat, CHAIN, NO_FX))).toEqual([['ib_1', 0, '100.00']]);
  });

  it('an empty chain pays no one', () => {
    expect(cpa([])).toEqual([]);
  });

  it('a cycle in the chain does not pay anyone twice', () => {
    expect(cpa(['p0', 'p1', 'p0', 'p1'])).toEqual([
      ['p0', 0, '100.00'],
      ['p1', 1, '10.00'],
    ]);
  });

  it('each tier copies kind, ruleIndex, currency, base amount and rate of the direct draft', () => {
    const p = plan([rule('REVSHARE', { percentage: '20', tierRates: ['10'] })]);
    const [d0, d1] = computeCommissions(event(EventType.FIRST_DEPOSIT, '100', 'EUR'), p, CHAIN, FX).drafts;
    expect(d1).toEqual({ ...d0, partnerId: 'ib_2', tier: 1, amount: '2.17' }); // 21.70 x 10 % = 2.17
    expect(d0.amount).toBe('21.70');
  });

  it('shares are taken from the rounded direct amount, then rounded half-even themselves', () => {
    // 1 % of 1.49 = 0.0149 -> direct 0.01; 50 % of 0.01 = 0.005 -> 0.00 (the unrounded 0.00745 would give 0.01),
    // so the upline gets no commission at all.
    const p = plan([rule('REVSHARE', { percentage: '1', tierRates: ['50'] })]);
    expect(amounts(computeCommissions(event(EventType.FIRST_DEPOSIT, '1.49'), p, CHAIN, NO_FX))).toEqual(['0.01']);
    const whole = plan([rule('REVSHARE', { percentage: '1', tierRates: ['100'] })]);
    expect(amounts(computeCommissions(event(EventType.FIRST_DEPOSIT, '1.49'), whole, CHAIN, NO_FX))).toEqual(['0.01', '0.01']);
  });

  it('fractional tier rates are exact', () => {
    const p = plan([rule('CPA', { eventType: EventType.FIRST_DEPOSIT, amount: '33.33', tierRates: ['33.333333', '0.5'] })]);
    // 33.33 x 33.333333 % = 11.1099998889 -> 11.11; 33.33 x 0.5 % = 0.16665 -> 0.17
    expect(amounts(computeCommissions(event(EventType.FIRST_DEPOSIT, null, null), p, CHAIN, NO_FX))).toEqual(['33.33', '11.11', '0.17']);
  });
});

describe('a three-level IB chain (worked example)', () => {
  const tiers = ['10', '5'];
  const ib = plan([
    rule('CPA', { eventType: EventType.FIRST_DEPOSIT, amount: '100', minAmount: '50', tierRates: tiers }),
    rule('REVSHARE', { percentage: '20', tierRates: tiers }),
    rule('LOT_REBATE', { perLot: '5', tierRates: tiers }),
  ]);
  const by = (r: ComputeResult) => r.drafts.map((d) => [d.kind, d.partnerId, d.tier, d.amount]);

  it('a 200.00 first deposit pays CPA 100.00 / 10.00 / 5.00 and REVSHARE 40.00 / 4.00 / 2.00', () => {
    const r = computeCommissions(event(EventType.FIRST_DEPOSIT, '200.00'), ib, CHAIN, NO_FX);
    expect(by(r)).toEqual([
      ['CPA', 'ib_1', 0, '100.00'],
      ['CPA', 'ib_2', 1, '10.00'],
      ['CPA', 'ib_3', 2, '5.00'],
      ['REVSHARE', 'ib_1', 0, '40.00'],
      ['REVSHARE', 'ib_2', 1, '4.00'],
      ['REVSHARE', 'ib_3', 2, '2.00'],
    ]);
    expect(r.drafts.map((d) => d.ruleIndex)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(r.drafts.every((d) => d.baseAmount === '200' && d.currency === 'USD' && d.holdUntil === '2026-06-28')).toBe(true);
    expect(r.skipped).toEqual([]);
  });

  it('a 40.00 first deposit is below the CPA minimum: revenue share only', () => {
    const r = computeCommissions(event(EventType.FIRST_DEPOSIT, '40.00'), ib, CHAIN, NO_FX);
    expect(by(r)).toEqual([
      ['REVSHARE', 'ib_1', 0, '8.00'],
      ['REVSHARE', 'ib_2', 1, '0.80'],
      ['REVSHARE', 'ib_3', 2, '0.40'],
    ]);
    expect(r.skipped.map((s) => s.ruleIndex)).toEqual([0]);
  });

  it('a trading day of 12.5 lots pays 62.50 / 6.25 / 3.12 (3.125 rounds half-even to 3.12)', () => {
    const r = computeCommissions(trading('12.5'), ib, CHAIN, NO_FX);
    expect(by(r)).toEqual([
      ['LOT_REBATE', 'ib_1', 0, '62.50'],
      ['LOT_REBATE', 'ib_2', 1, '6.25'],
      ['LOT_REBATE', 'ib_3', 2, '3.12'],
    ]);
    expect(r.drafts.every((d) => d.baseAmount === '12.5' && d.ruleIndex === 2 && d.holdUntil === '2026-03-29')).toBe(true);
  });

  it('a corrected re-send of +0.75 lots pays 3.75 / 0.38 / 0.19', () => {
    // 3.75 x 10 % = 0.375 -> 0.38 (7 is odd: up); 3.75 x 5 % = 0.1875 -> 0.19
    expect(pay(computeCommissions(trading('0.75'), ib, CHAIN, NO_FX))).toEqual([
      ['ib_1', 0, '3.75'],
      ['ib_2', 1, '0.38'],
      ['ib_3', 2, '0.19'],
    ]);
  });

  it('a correction of -0.75 lots pays the mirror image, negative', () => {
    const r = computeCommissions(trading('-0.75'), ib, CHAIN, NO_FX);
    expect(pay(r)).toEqual([
      ['ib_1', 0, '-3.75'],
      ['ib_2', 1, '-0.38'],
      ['ib_3', 2, '-0.19'],
    ]);
    expect(r.drafts[0].baseAmount).toBe('-0.75');
  });

  it('a correction that changes nothing pays nothing', () => {
    const r = computeCommissions(trading('0'), ib, CHAIN, NO_FX);
    expect(r.drafts).toEqual([]);
    expect(r.skipped).toEqual([{ ruleIndex: 2, reason: 'the lots traded did not change' }]);
  });

  it('a shorter chain stops the shares at the last upline', () => {
    expect(pay(computeCommissions(trading('12.5'), ib, ['ib_1', 'ib_2'], NO_FX))).toEqual([
      ['ib_1', 0, '62.50'],
      ['ib_2', 1, '6.25'],
    ]);
  });
});

describe('several matching rules', () => {
  it('each produce their own drafts, ordered by rule then tier', () => {
    const p = plan([
      rule('REVSHARE', { percentage: '10', tierRates: ['50'] }),
      rule('CPA', { eventType: EventType.REGISTRATION, amount: '1' }),
      rule('CPA', { eventType: EventType.FIRST_DEPOSIT, amount: '25', tierRates: ['10'] }),
      rule('REVSHARE', { eventType: EventType.FIRST_DEPOSIT, percentage: '1' }),
      rule('CPA', { eventType: EventType.FIRST_DEPOSIT, amount: '5' }),
    ]);
    const r = computeCommissions(event(EventType.FIRST_DEPOSIT, '300'), p, CHAIN, NO_FX);
    expect(r.drafts.map((d) => [d.ruleIndex, d.tier, d.kind, d.amount])).toEqual([
      [0, 0, 'REVSHARE', '30.00'],
      [0, 1, 'REVSHARE', '15.00'],
      [2, 0, 'CPA', '25.00'],
      [2, 1, 'CPA', '2.50'],
      [3, 0, 'REVSHARE', '3.00'],
      [4, 0, 'CPA', '5.00'],
    ]);
  });

  it('a skipped rule does not stop the others', () => {
    const p = plan([rule('SPREAD_SHARE', { percentage: '50' }), rule('LOT_REBATE', { perLot: '2' })]);
    const r = computeCommissions(trading('0', '10'), p, ['ib_1'], FX);
    expect(r.drafts.map((d) => [d.ruleIndex, d.amount])).toEqual([[0, '5.00']]);
    expect(r.skipped).toEqual([{ ruleIndex: 1, reason: 'the lots traded did not change' }]);
  });
});

describe('a plan with zero rates (Refairn test product)', () => {
  const zero = plan([
    rule('CPA', { eventType: EventType.FIRST_DEPOSIT, amount: '0', tierRates: ['0'] }),
    rule('REVSHARE', { percentage: '0', tierRates: ['0'] }),
    rule('LOT_REBATE', { perLot: '0', tierRates: ['0'] }),
    rule('SPREAD_SHARE', { percentage: '0.00', tierRates: ['0'] }),
    rule('BONUS', { amount: '0', tierRates: ['0'] }),
  ]);

  it('a test product at zero rates attributes but generates no commission records (Refairn)', () => {
    const r = computeCommissions(event(EventType.FIRST_DEPOSIT, '100'), zero, CHAIN, NO_FX);
    expect(r.drafts).toEqual([]);
    expect(r.skipped.map((s) => [s.ruleIndex, s.reason])).toEqual([
      [0, 'tier 0 pays 0.00 USD: no commission is recorded'],
      [0, 'tier 1 pays 0.00 USD: no commission is recorded'],
      [1, 'tier 0 pays 0.00 USD: no commission is recorded'],
      [1, 'tier 1 pays 0.00 USD: no commission is recorded'],
    ]);
  });

  it('and none for trading or bonuses either', () => {
    expect(amounts(computeCommissions(trading('3', '4'), zero, ['ib_1'], NO_FX))).toEqual([]);
    expect(amounts(computeCommissions(bonus(null, null), zero, ['ib_1'], NO_FX))).toEqual([]);
  });

  it('a zero tier rate on a real commission pays that upline nothing, and the next upline its share', () => {
    const p = plan([rule('CPA', { eventType: EventType.FIRST_DEPOSIT, amount: '10', tierRates: ['0', '5'] })]);
    expect(pay(computeCommissions(event(EventType.FIRST_DEPOSIT, '1'), p, CHAIN, NO_FX))).toEqual([
      ['ib_1', 0, '10.00'],
      ['ib_3', 2, '0.50'],
    ]);
  });
});

describe('dueAt: holds in hours', () => {
  const p = (holdDays: number) => plan([rule('CPA', { eventType: EventType.FIRST_DEPOSIT, amount: '1' })], 'USD', holdDays);
  const draft = (occurredAt: string, holdDays: number) =>
    only(computeCommissions(event(EventType.FIRST_DEPOSIT, '1', 'USD', { occurredAt: new Date(occurredAt) }), p(holdDays), ['ib_1'], NO_FX));

  it('a 2-day hold on an event at 20:33 ends 48 h later at 20:33, not at midnight', () => {
    const d = draft('2026-03-10T20:33:00Z', 2);
    expect(d.dueAt).toEqual(new Date('2026-03-12T20:33:00Z'));
    expect(d.holdUntil).toBe('2026-03-12');
  });

  it('is the event time itself with no hold, and keeps milliseconds', () => {
    expect(draft('2026-03-10T20:33:01.250Z', 0).dueAt).toEqual(new Date('2026-03-10T20:33:01.250Z'));
  });

  it('counts a trading day from 00:00 UTC', () => {
    const lot = plan([rule('LOT_REBATE', { perLot: '1' })], 'USD', 2);
    expect(only(computeCommissions(trading('1', '0', 'USD', '2026-03-15'), lot, ['ib_1'], NO_FX)).dueAt).toEqual(new Date('2026-03-17T00:00:00Z'));
  });

  it('holdEnd adds whole days of 24 h', () => {
    expect(holdEnd(new Date('2026-12-31T23:59:59.999Z'), 1)).toEqual(new Date('2027-01-01T23:59:59.999Z'));
    expect(holdEnd('2028-02-28', 1)).toEqual(new Date('2028-02-29T00:00:00Z'));
    expect(() => holdEnd(new Date('nope'), 1)).toThrow('not a valid date');
    expect(() => holdEnd('2026-02-30', 1)).toThrow('not a calendar date');
  });
});

describe('holdUntil (the UTC date of dueAt)', () => {
  const p = (holdDays: number) => plan([rule('CPA', { eventType: EventType.FIRST_DEPOSIT, amount: '1' })], 'USD', holdDays);
  const held = (occurredAt: string, holdDays: number) =>
    only(computeCommissions(event(EventType.FIRST_DEPOSIT, '1', 'USD', { occurredAt: new Date(occurredAt) }), p(holdDays), ['ib_1'], NO_FX)).holdUntil;

  it('is the event date plus the hold period (Refairn: 2026-06-14 + 14 days = 2026-06-28)', () => {
    expect(held('2026-06-14T00:00:00Z', 14)).toBe('2026-06-28');
  });

  it('crosses month and year ends', () => {
    expect(held('2026-01-25T12:00:00Z', 14)).toBe('2026-02-08');
    expect(held('2026-02-20T12:00:00Z', 10)).toBe('2026-03-02');
    expect(held('2026-12-25T12:00:00Z', 10)).toBe('2027-01-04');
    expect(held('2028-02-28T12:00:00Z', 1)).toBe('2028-02-29'); // leap year
    expect(held('2026-01-01T00:00:00Z', 365)).toBe('2027-01-01');
  });

  it('uses the UTC date of the event', () => {
    expect(held('2026-03-31T23:30:00-05:00', 0)).toBe('2026-04-01');
    expect(held('2026-04-01T00:30:00+02:00', 0)).toBe('2026-03-31');
  });

  it('uses the trading date for trading activity', () => {
    const lot = plan([rule('LOT_REBATE', { perLot: '1' })], 'USD', 30);
    expect(only(computeCommissions(trading('1', '0', 'USD', '2026-03-15'), lot, ['ib_1'], NO_FX)).holdUntil).toBe('2026-04-14');
    expect(only(computeCommissions(trading('1', '0', 'USD', '2026-01-31'), plan([rule('LOT_REBATE', { perLot: '1' })], 'USD', 1), ['ib_1'], NO_FX)).holdUntil).toBe('2026-02-01');
  });

  it('is the same for every tier of a commission', () => {
    const tiered = plan([rule('CPA', { eventType: EventType.FIRST_DEPOSIT, amount: '1', tierRates: ['10', '10'] })], 'USD', 7);
    const r = computeCommissions(event(EventType.FIRST_DEPOSIT, null, null), tiered, CHAIN, NO_FX);
    expect(r.drafts.map((d) => d.holdUntil)).toEqual(['2026-06-21', '2026-06-21', '2026-06-21']);
  });

  it('refuses a trading date that is not a calendar date', () => {
    const lot = plan([rule('LOT_REBATE', { perLot: '1' })]);
    expect(() => computeCommissions(trading('1', '0', 'USD', '2026-02-30'), lot, ['ib_1'], NO_FX)).toThrow('not a calendar date');
    expect(() => computeCommissions(trading('1', '0', 'USD', '15/03/2026'), lot, ['ib_1'], NO_FX)).toThrow('YYYY-MM-DD');
  });

  it('addDays works on dates and strings', () => {
    expect(addDays('2026-03-15', 0)).toBe('2026-03-15');
    expect(addDays(new Date('2026-03-15T23:59:59.999Z'), 1)).toBe('2026-03-16');
    expect(() => addDays(new Date('nope'), 1)).toThrow('not a valid date');
  });
});

describe('purity', () => {
  it('does not modify its inputs and gives the same answer twice', () => {
    const p = plan([rule('REVSHARE', { percentage: '20', tierRates: ['10'] })]);
    const src = event(EventType.FIRST_DEPOSIT, '100', 'EUR');
    const chain = ['a', 'b'];
    const snapshot = JSON.stringify([p, src, chain]);
    const first = computeCommissions(src, p, chain, FX);
    expect(computeCommissions(src, p, chain, FX)).toEqual(first);
    expect(JSON.stringify([p, src, chain])).toBe(snapshot);
  });
});

import { amountInPlanCurrency, fxAt, NO_RATES } from '../../subgraphs/shared/src/fx';
import { AmountInPlanCurrency, choosePlan, cpaDecision, cpaQualification, meetsMinAmount, qualifiesForCpa, versionAt } from '../../subgraphs/shared/src/plan-rules';

/** The plan choice and the CPA rule that events (isConversion) and commissions (payouts) both apply. */
describe('choosePlan: product plan, else assigned, else the tenant default', () => {
  const product = { id: 'cpl_product', isDefault: false, productId: 'gold' };
  const assigned = { id: 'cpl_assigned', isDefault: false, productId: null };
  const fallback = { id: 'cpl_default', isDefault: true, productId: null };
  const productDefault = { id: 'cpl_product_default', isDefault: true, productId: 'silver' };
  const all = [product, assigned, fallback, productDefault];

  it.each([
    ['the product has a plan', all, 'cpl_assigned', 'gold', 'cpl_product'],
    ['the product has no plan: the assigned one', all, 'cpl_assigned', 'bronze', 'cpl_assigned'],
    ['no product: the assigned one', all, 'cpl_assigned', null, 'cpl_assigned'],
    ['no assignment: the default', all, null, null, 'cpl_default'],
    ['an assignment to a plan that is gone: the default', all, 'cpl_deleted', null, 'cpl_default'],
    ['a product plan may be assigned to a partner', all, 'cpl_product', null, 'cpl_product'],
    ['a default that is a product plan is no tenant default', [product, productDefault], null, null, null],
    ['no plans at all', [], 'cpl_assigned', 'gold', null],
  ] as const)('%s', (_name, plans, assignedId, productId, expected) => {
    expect(choosePlan(plans, assignedId, productId)?.id ?? null).toBe(expected);
  });
});

describe('versionAt: the version in force when the event occurred', () => {
  const versions = [
    { version: 1, effectiveFrom: '2026-05-01T12:00:00.000Z' },
    { version: 2, effectiveFrom: '2026-05-05T00:00:00.000Z' },
    { version: 3, effectiveFrom: '2026-05-05T00:00:00.000Z' },
    { version: 4, effectiveFrom: new Date('2026-06-01T00:00:00.000Z') },
  ];

  it.each([
    ['before the plan existed: version 1', '2020-01-01T00:00:00.000Z', 1],
    ['the instant version 1 starts', '2026-05-01T12:00:00.000Z', 1],
    ['a millisecond before the next version', '2026-05-04T23:59:59.999Z', 1],
    ['two versions from the same instant: the later one', '2026-05-05T00:00:00.000Z', 3],
    ['between versions', '2026-05-20T00:00:00.000Z', 3],
    ['after the last', '2030-01-01T00:00:00.000Z', 4],
  ])('%s', (_name, at, expected) => {
    expect(versionAt(versions, new Date(at))?.version).toBe(expected);
  });

  it('does not depend on the order of the list, and an empty list has none', () => {
    expect(versionAt([...versions].reverse(), new Date('2026-05-20T00:00:00.000Z'))?.version).toBe(3);
    expect(versionAt([], new Date())).toBeNull();
  });
});

describe('cpaDecision / qualifiesForCpa (FYNXT isConversion: "true if this event qualifies for a CPA payout")', () => {
  const rule = { kind: 'CPA', eventType: 'FIRST_DEPOSIT', minAmount: '100' };
  const known = (value: string): AmountInPlanCurrency => ({ known: true, value });
  const deposit = { eventType: 'FIRST_DEPOSIT', isDuplicate: false };

  it.each([
    ['above the minimum', known('100.01'), true],
    ['equal to the minimum', known('100'), true],
    ['equal, written with more places', known('100.000'), true],
    ['below the minimum', known('99.99'), false],
    ['zero', known('0'), false],
    ['no amount', null, false],
    ['an amount that cannot be compared', { known: false, reason: 'no FX rate from EUR to USD' } as AmountInPlanCurrency, 'unknown'],
  ])('minAmount 100: %s', (_name, amount, pays) => {
    expect(cpaDecision(rule, deposit, amount, 'USD')?.pays).toBe(pays);
  });

  it('without minAmount the amount plays no part; a duplicate never pays; another type or kind is not concerned', () => {
    const noMin = { kind: 'CPA', eventType: 'FIRST_DEPOSIT', minAmount: null };
    expect(cpaDecision(noMin, deposit, null, 'USD')).toEqual({ pays: true });
    expect(cpaDecision(noMin, { ...deposit, isDuplicate: true }, known('500'), 'USD')).toEqual({ pays: false, reason: 'a duplicate event earns no CPA' });
    expect(cpaDecision(noMin, { eventType: 'REGISTRATION', isDuplicate: false }, null, 'USD')).toBeNull();
    expect(cpaDecision({ kind: 'REVSHARE', eventType: 'FIRST_DEPOSIT' }, deposit, known('500'), 'USD')).toBeNull();
  });

  const version = { currency: 'USD', rules: [{ kind: 'REVSHARE', eventType: null }, rule, { kind: 'CPA', eventType: 'REGISTRATION', minAmount: null }] };
  it.each([
    ['a first deposit of 150 USD', { eventType: 'FIRST_DEPOSIT', amount: '150.00', currency: 'USD', isDuplicate: false }, true],
    ['a first deposit of 50 USD (below minAmount)', { eventType: 'FIRST_DEPOSIT', amount: '50.00', currency: 'USD', isDuplicate: false }, false],
    ['a first deposit without an amount', { eventType: 'FIRST_DEPOSIT', amount: null, currency: null, isDuplicate: false }, false],
    ['a first deposit of 50 EUR: not comparable without a rate, so it counts', { eventType: 'FIRST_DEPOSIT', amount: '50.00', currency: 'EUR', isDuplicate: false }, true],
    ['a registration (CPA without minimum)', { eventType: 'REGISTRATION', amount: null, currency: null, isDuplicate: false }, true],
    ['a duplicate registration', { eventType: 'REGISTRATION', amount: null, currency: null, isDuplicate: true }, false],
    ['a recurring deposit (revenue share only)', { eventType: 'RECURRING_DEPOSIT', amount: '500.00', currency: 'USD', isDuplicate: false }, false],
  ])('%s', (_name, event, expected) => {
    expect(qualifiesForCpa(event, version)).toBe(expected);
  });
});

/**
 * "Amount in plan currency", the one rule events (isConversion) and commissions (CPA minAmount, revenue shares)
 * both apply: amountUsd wins for a USD plan, else the tenant's rate in force at the event's time.
 */
describe('amountInPlanCurrency / qualifiesForCpa across currencies', () => {
  const at = new Date('2026-05-10T12:00:00.000Z');
  const rows = [
    { id: 'r1', from: 'EUR', to: 'USD', rate: '1.10', effectiveFrom: new Date('2026-05-01T00:00:00.000Z'), createdAt: new Date('2026-05-01T00:00:00.000Z') },
    // Set later but dated after the event: does not apply to it.
    { id: 'r2', from: 'EUR', to: 'USD', rate: '1.20', effectiveFrom: new Date('2026-05-11T00:00:00.000Z'), createdAt: new Date('2026-05-11T00:00:00.000Z') },
    { id: 'r3', from: 'USD', to: 'GBP', rate: '0.8', effectiveFrom: new Date('2026-05-01T00:00:00.000Z'), createdAt: new Date('2026-05-01T00:00:00.000Z') },
  ];
  const fx = fxAt(rows, at, null);

  it.each([
    ['the plan currency itself: the amount as given', { amount: '45.00', currency: 'USD' }, 'USD', { known: true, value: '45', fxRate: null }],
    ['EUR on a USD plan, rate 1.10 in force: 45 x 1.10 = 49.5, exact, unrounded', { amount: '45', currency: 'EUR' }, 'USD', { known: true, value: '49.5', fxRate: '1.10' }],
    ['46 EUR x 1.10 = 50.6', { amount: '46.00', currency: 'EUR' }, 'USD', { known: true, value: '50.6', fxRate: '1.10' }],
    ['amountUsd wins over the rate for a USD plan (45 EUR, amountUsd 54)', { amount: '45.00', currency: 'EUR', amountUsd: '54.00' }, 'USD', { known: true, value: '54', fxRate: '1.2' }],
    ['amountUsd plays no part for a plan in another currency: USD -> GBP by the rate', { amount: '100', currency: 'USD', amountUsd: '100' }, 'GBP', { known: true, value: '80', fxRate: '0.8' }],
    ['the opposite direction is derived: GBP -> USD = 1 / 0.8', { amount: '8', currency: 'GBP' }, 'USD', { known: true, value: '10', fxRate: '1.25' }],
    ['no rate for the pair at the event time: unknown, waiting for a rate', { amount: '45', currency: 'NGN' }, 'USD', { known: false, reason: "no FX rate from NGN to USD at the event's time", missingRate: true }],
    ['no currency: unknown, and no rate can help', { amount: '45', currency: null }, 'USD', { known: false, reason: 'the event amount has no currency', missingRate: false }],
    ['no amount', { amount: null, currency: null }, 'USD', null],
  ] as const)('%s', (_name, event, planCurrency, expected) => {
    expect(amountInPlanCurrency(event, planCurrency, fx)).toEqual(expected);
  });

  it('a rate dated after the event does not apply; none at all leaves it unknown', () => {
    expect(amountInPlanCurrency({ amount: '45', currency: 'EUR' }, 'USD', fxAt(rows, new Date('2026-04-30T23:59:59.999Z'), null))).toMatchObject({ known: false, missingRate: true });
    expect(amountInPlanCurrency({ amount: '45', currency: 'EUR' }, 'USD', fxAt(rows, new Date('2026-05-11T00:00:00.000Z'), null))).toMatchObject({ known: true, value: '54' });
    expect(amountInPlanCurrency({ amount: '45', currency: 'EUR' }, 'USD', NO_RATES)).toMatchObject({ known: false, missingRate: true });
  });

  const version = { currency: 'USD', rules: [{ kind: 'CPA', eventType: 'FIRST_DEPOSIT', minAmount: '50' }] };
  const deposit = (amount: string, currency: string, amountUsd?: string) => ({ eventType: 'FIRST_DEPOSIT', isDuplicate: false, amount, currency, amountUsd });
  it.each([
    ['45 EUR at 1.10 = 49.50 USD: below minAmount 50', deposit('45.00', 'EUR'), fx, false],
    ['46 EUR at 1.10 = 50.60 USD: qualifies', deposit('46.00', 'EUR'), fx, true],
    ['45 EUR with amountUsd 54: qualifies whatever the rate', deposit('45.00', 'EUR', '54.00'), fx, true],
    ['50 EUR with amountUsd 40: does not, though the rate would make 55', deposit('50.00', 'EUR', '40.00'), fx, false],
    ['exactly 50.00 in amountUsd: equal qualifies', deposit('45.00', 'EUR', '50.00'), NO_RATES, true],
    ['45 EUR and no rate yet: counts as qualifying (commissions holds the CPA FX_PENDING)', deposit('45.00', 'EUR'), NO_RATES, true],
  ])('minAmount 50 USD: %s', (_name, event, table, expected) => {
    expect(qualifiesForCpa(event, version, table)).toBe(expected);
  });

  it('cpaQualification says when only a missing rate made it qualify (events decides it again when a rate arrives)', () => {
    expect(cpaQualification(deposit('45.00', 'EUR'), version, NO_RATES)).toEqual({ qualifies: true, awaitsRate: true });
    expect(cpaQualification(deposit('45.00', 'EUR'), version, fx)).toEqual({ qualifies: false, awaitsRate: false });
    expect(cpaQualification(deposit('45.00', 'EUR', '54.00'), version, NO_RATES)).toEqual({ qualifies: true, awaitsRate: false });
    // A rule without minAmount pays whatever the rate: nothing to wait for.
    const both = { currency: 'USD', rules: [...version.rules, { kind: 'CPA', eventType: 'FIRST_DEPOSIT', minAmount: null }] };
    expect(cpaQualification(deposit('45.00', 'EUR'), both, NO_RATES)).toEqual({ qualifies: true, awaitsRate: false });
    // No currency: unknown, but no rate can decide it.
    expect(cpaQualification({ eventType: 'FIRST_DEPOSIT', isDuplicate: false, amount: '45', currency: null }, version, NO_RATES)).toEqual({ qualifies: true, awaitsRate: false });
  });

  it('meetsMinAmount is the minAmount part of cpaDecision', () => {
    expect(meetsMinAmount('50', { known: true, value: '49.5' }, 'USD')).toEqual({ pays: false, reason: 'the event amount 49.5 USD is below the minimum 50' });
    expect(meetsMinAmount('50', { known: true, value: '50' }, 'USD')).toEqual({ pays: true });
    expect(meetsMinAmount(null, null, 'USD')).toEqual({ pays: true });
    expect(meetsMinAmount('50', { known: false, reason: 'no rate' }, 'USD')).toEqual({ pays: 'unknown', reason: 'no rate' });
  });
});

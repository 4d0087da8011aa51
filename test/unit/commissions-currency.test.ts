import { configureLogger, newId } from '../../subgraphs/shared/src';
import { computeCommissions, Plan } from '../../subgraphs/commissions/src/domain/compute';
import { fxTable } from '../../subgraphs/commissions/src/domain/fx';
import { rateAt, validateFxRateInput } from '../../subgraphs/commissions/src/domain/fx-rates';
import { settleHeld } from '../../subgraphs/commissions/src/domain/fx-settlement';
import { EventType } from '../../subgraphs/shared/src/event-type';
import { CommissionsHarness, EventRep, eventRecorded, openCommissions, representation } from '../helpers/commissions-harness';

/**
 * Currency, exactly: the payment's own USD value (amountUsd), the tenant's dated rate table over FX_RATES, and
 * commissions held FX_PENDING until a rate arrives, settled once. Every amount is worked out by hand in the comments.
 */
beforeAll(() => configureLogger('silent'));

const IB = 'prt_01JCURIB00000000000000000IB';
const MID = 'prt_01JCURMID0000000000000000MD';
const TOP = 'prt_01JCURTOP0000000000000000TP';
const TRADER = 'trd_01JCURTRADER0000000000000T';
const REVSHARE_3_TIERS: Plan = { id: 'cpl_1', version: 1, currency: 'USD', holdDays: 2, rules: [{ kind: 'REVSHARE', percentage: '10', tierRates: ['10', '5'] }] };
const AT = new Date('2026-05-01T10:00:00.000Z');
const payment = (amount: string, currency: string, amountUsd: string | null = null) => ({
  kind: 'event' as const,
  eventId: 'evt_1',
  eventType: EventType.FIRST_DEPOSIT,
  amount,
  currency,
  amountUsd,
  isDuplicate: false,
  occurredAt: AT,
});
const amounts = (drafts: { amount: string; currency: string }[]) => drafts.map((d) => `${d.amount} ${d.currency}`);

describe('currency: pure rules', () => {
  it("a EUR deposit of 500 with amountUsd 540 on a USD plan pays 10 % of 540: 54.00, then the uplines' 10 % and 5 % of it, 5.40 and 2.70", () => {
    // FX_RATES says EUR:USD=1.085 (542.50); the sender's own USD value wins.
    const { drafts } = computeCommissions(payment('500.00', 'EUR', '540.00'), REVSHARE_3_TIERS, [IB, MID, TOP], fxTable({ 'EUR:USD': '1.085' }));
    expect(amounts(drafts)).toEqual(['54.00 USD', '5.40 USD', '2.70 USD']);
    expect(drafts[0].baseAmount).toBe('540');
    expect(drafts[0].fxRate).toBe('1.08');
  });

  it('amountUsd is not used by a plan settling in another currency: the rate table converts', () => {
    const eurPlan = { ...REVSHARE_3_TIERS, currency: 'GBP' };
    // 500 EUR x 0.85 = 425 GBP; 10 % = 42.50.
    const { drafts } = computeCommissions(payment('500.00', 'EUR', '540.00'), eurPlan, [IB], fxTable({ 'EUR:GBP': '0.85' }));
    expect(amounts(drafts)).toEqual(['42.50 GBP']);
  });

  it("a payment without a rate is held FX_PENDING in the payment's currency, tiers included, never dropped", () => {
    const { drafts } = computeCommissions(payment('150000.00', 'NGN'), REVSHARE_3_TIERS, [IB, MID, TOP], fxTable({}));
    // 10 % of NGN 150,000.00 = 15,000.00; uplines 10 % and 5 % of it.
    expect(amounts(drafts)).toEqual(['15000.00 NGN', '1500.00 NGN', '750.00 NGN']);
    expect(drafts.every((d) => d.settlementCurrency === 'USD' && d.fxRate === null && d.baseAmount === '150000')).toBe(true);
  });

  it('settling a held commission gives exactly what the payment would have paid with the rate, rounding half-even once per tier', () => {
    const held = computeCommissions(payment('150000.00', 'NGN'), REVSHARE_3_TIERS, [IB, MID, TOP], fxTable({})).drafts;
    const settled = settleHeld(held.map((d) => ({ tier: d.tier, baseAmount: d.baseAmount, amount: d.amount, currency: d.currency, adjustsId: null })), { percentage: '10', tierRates: ['10', '5'] }, '0.00065', 'USD');
    // 150,000 x 0.00065 = 97.50 USD; 10 % = 9.75; 10 % of 9.75 = 0.975 -> 0.98 (half-even: 7 is odd); 5 % = 0.4875 -> 0.49.
    expect(settled.map((s) => s.amount)).toEqual(['9.75', '0.98', '0.49']);
    expect(settled[0].baseAmount).toBe('97.5');
    for (const amount of ['0.01', '1.00', '333.33', '150000.00', '98765432.19']) {
      for (const rate of ['0.00065', '1.085', '1234.5678']) {
        const direct = computeCommissions(payment(amount, 'NGN'), REVSHARE_3_TIERS, [IB, MID, TOP], fxTable({ 'NGN:USD': rate })).drafts;
        const pending = computeCommissions(payment(amount, 'NGN'), REVSHARE_3_TIERS, [IB, MID, TOP], fxTable({})).drafts;
        const later = settleHeld(pending.map((d) => ({ tier: d.tier, baseAmount: d.baseAmount, amount: d.amount, currency: d.currency, adjustsId: null })), { percentage: '10', tierRates: ['10', '5'] }, rate, 'USD');
        const byTier = new Map(direct.map((d) => [d.tier, d.amount]));
        pending.forEach((d, i) => expect([amount, rate, d.tier, later[i].amount]).toEqual([amount, rate, d.tier, byTier.get(d.tier) ?? null]));
      }
    }
  });

  it('the rate of a payment is the latest one effective at its time; the opposite direction is derived; the table wins over FX_RATES', () => {
    const rows = [
      { from: 'NGN', to: 'USD', rate: '0.0006', effectiveFrom: new Date('2026-01-01T00:00:00Z') },
      { from: 'NGN', to: 'USD', rate: '0.00065', effectiveFrom: new Date('2026-04-01T00:00:00Z') },
      { from: 'NGN', to: 'USD', rate: '0.0007', effectiveFrom: new Date('2026-06-01T00:00:00Z') },
      { from: 'USD', to: 'EUR', rate: '0.8', effectiveFrom: new Date('2026-01-01T00:00:00Z') },
    ];
    const config = fxTable({ 'NGN:USD': '0.001', 'GBP:USD': '1.27' });
    expect(rateAt(rows, 'NGN', 'USD', AT, config)).toBe('0.00065');
    expect(rateAt(rows, 'NGN', 'USD', new Date('2026-03-31T23:59:59Z'), config)).toBe('0.0006');
    // Before any table rate of the pair: FX_RATES (undated).
    expect(rateAt(rows, 'NGN', 'USD', new Date('2025-12-31T00:00:00Z'), config)).toBe('0.001');
    expect(rateAt(rows, 'NGN', 'USD', new Date('2025-12-31T00:00:00Z'), null)).toBeNull();
    expect(rateAt(rows, 'EUR', 'USD', AT, config)).toBe('1.25');
    expect(rateAt(rows, 'GBP', 'USD', AT, config)).toBe('1.27');
    expect(rateAt(rows, 'USD', 'USD', AT, null)).toBe('1');
  });

  it.each([
    [{ from: 'usd', to: 'NGN', rate: '1500' }, 'input.from'],
    [{ from: 'USD', to: 'XXY', rate: '1500' }, 'input.to'],
    [{ from: 'USD', to: 'USD', rate: '1' }, 'input.to'],
    [{ from: 'NGN', to: 'USD', rate: '0' }, 'input.rate'],
    [{ from: 'NGN', to: 'USD', rate: '-0.00065' }, 'input.rate'],
    [{ from: 'NGN', to: 'USD', rate: '1.000000000000000000001' }, 'input.rate'],
  ])('setFxRate refuses %j naming %s', (input, param) => {
    expect(() => validateFxRateInput(input, AT)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', param }) }));
  });
});

const READ = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ReferralEvent { commissions {
  id partner { id } tier amount currency status settlementCurrency fxRate baseAmount dueAt } } } }`;
const STORED = `query { commissions(first: 100) { nodes { id partner { id } tier amount currency status settlementCurrency fxRate baseAmount dueAt } } }`;
const EARNINGS = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Partner { earnings { currency pendingIncome approvedIncome totalIncome fxPending { amount currency } } } } }`;
const SET_RATE = `mutation($i: FxRateInput!) { setFxRate(input: $i) { id from to rate effectiveFrom } }`;

describe('currency: held for a rate, settled once (commissions in-process)', () => {
  let h: CommissionsHarness;
  beforeAll(async () => {
    h = await openCommissions({ tenantId: 'ten_currency' });
    await h.deliver(h.fact('partner.changed', { partner: { id: TOP, parentId: null, externalId: null } }));
    await h.deliver(h.fact('partner.changed', { partner: { id: MID, parentId: TOP, externalId: null } }));
    await h.deliver(h.fact('partner.changed', { partner: { id: IB, parentId: MID, externalId: null } }));
    await h.run(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
      i: { name: 'USD revshare', currency: 'USD', holdDays: 2, isDefault: true, rules: [{ kind: 'REVSHARE', percentage: '10', tierRates: ['10', '5'] }] },
    });
  });
  afterAll(() => h?.close());

  const ev = (amount: string, currency: string, timestamp: string, amountUsd?: string): EventRep & { amountUsd?: string } => ({
    id: newId('evt'), eventType: 'FIRST_DEPOSIT', amount, currency, isDuplicate: false, timestamp, productId: null, partnerId: IB, traderId: TRADER, ...(amountUsd ? { amountUsd } : {}),
  });
  const read = async (e: EventRep & { amountUsd?: string }) => (await h.run(READ, { r: [{ ...representation(e), amountUsd: e.amountUsd ?? null }] }))._entities[0].commissions;
  const stored = async (ids: string[]) => (await h.run(STORED)).commissions.nodes.filter((c: any) => ids.includes(c.id)).sort((a: any, b: any) => a.tier - b.tier);
  const earnings = async (id: string) => (await h.run(EARNINGS, { r: [{ __typename: 'Partner', id }] }))._entities[0].earnings;
  const factsOf = async (type: string) => (await h.ds.query(`SELECT body FROM outbox WHERE type = ?`, [type])).map((f: any) => JSON.parse(f.body));

  it('a EUR deposit with amountUsd pays 54.00 / 5.40 / 2.70 to a three-tier chain, and the read equals the stored rows', async () => {
    const e = ev('500.00', 'EUR', '2026-04-30T09:00:00.000Z', '540.00');
    const shown = await read(e);
    expect(shown.map((c: any) => [c.tier, c.amount, c.currency, c.status])).toEqual([[0, '54.00', 'USD', 'PENDING'], [1, '5.40', 'USD', 'PENDING'], [2, '2.70', 'USD', 'PENDING']]);
    await h.deliver(h.fact('event.recorded', { ...eventRecorded(e), event: { ...eventRecorded(e).event, amountUsd: '540.00' } }));
    expect(await stored(shown.map((c: any) => c.id))).toEqual(shown);
  });

  it('an NGN payment with no rate is FX_PENDING (shown and stored alike), in fxPending, never approved; a rate dated before it settles it once to the cent', async () => {
    const e = ev('150000.00', 'NGN', '2026-04-30T10:00:00.000Z');
    const shown = await read(e);
    expect(shown.map((c: any) => [c.tier, c.amount, c.currency, c.status, c.settlementCurrency])).toEqual([
      [0, '15000.00', 'NGN', 'FX_PENDING', 'USD'],
      [1, '1500.00', 'NGN', 'FX_PENDING', 'USD'],
      [2, '750.00', 'NGN', 'FX_PENDING', 'USD'],
    ]);
    await h.deliver(h.fact('event.recorded', eventRecorded(e)));
    const ids = shown.map((c: any) => c.id);
    expect(await stored(ids)).toEqual(shown);
    // The referrer is not told of a credit yet: no "created" for a held commission.
    expect((await factsOf('commission.changed')).filter((f: any) => ids.includes(f.payload.commission.id)).map((f: any) => f.payload.change)).toEqual(['fx_pending', 'fx_pending', 'fx_pending']);
    expect(await earnings(IB)).toEqual({ currency: 'USD', pendingIncome: '54.00', approvedIncome: '0.00', totalIncome: '0.00', fxPending: [{ amount: '15000.00', currency: 'NGN' }] });

    // Past the 2-day hold: approval leaves FX_PENDING alone.
    h.clock.now = new Date('2026-05-03T12:00:00.000Z');
    await h.run(`mutation { approveDueCommissions }`);
    expect((await stored(ids)).map((c: any) => c.status)).toEqual(['FX_PENDING', 'FX_PENDING', 'FX_PENDING']);

    // A rate effective only after the payment does not settle it.
    await h.run(SET_RATE, { i: { from: 'NGN', to: 'USD', rate: '0.0007', effectiveFrom: '2026-04-30T10:00:00.001Z' } });
    for (const f of await factsOf('fx_rate.changed')) await h.deliver(f);
    expect((await stored(ids)).map((c: any) => c.status)).toEqual(['FX_PENDING', 'FX_PENDING', 'FX_PENDING']);

    // A rate dated before the payment settles it: 150,000 x 0.00065 = 97.50 USD -> 9.75, 0.98 (0.975 half-even), 0.49 (0.4875).
    await h.run(SET_RATE, { i: { from: 'NGN', to: 'USD', rate: '0.00065', effectiveFrom: '2026-04-01T00:00:00.000Z' } });
    const rateFacts = await factsOf('fx_rate.changed');
    for (const f of rateFacts) await h.deliver(f);
    const settled = await stored(ids);
    expect(settled.map((c: any) => [c.tier, c.amount, c.currency, c.status, c.fxRate])).toEqual([
      [0, '9.75', 'USD', 'PENDING', '0.00065'],
      [1, '0.98', 'USD', 'PENDING', '0.00065'],
      [2, '0.49', 'USD', 'PENDING', '0.00065'],
    ]);
    // Its hold is the one it had: occurredAt + 2 x 24 h.
    expect(settled.map((c: any) => c.dueAt)).toEqual(shown.map((c: any) => c.dueAt));
    const changes = async () => (await factsOf('commission.changed')).filter((f: any) => ids.includes(f.payload.commission.id)).map((f: any) => f.payload.change);
    expect(await changes()).toEqual(['fx_pending', 'fx_pending', 'fx_pending', 'created', 'created', 'created']);

    // The rate's fact delivered again, and republished under a new id: nothing changes, nothing more is announced.
    for (const f of rateFacts) {
      await h.deliver(f);
      await h.deliver({ ...f, id: newId('fct') });
    }
    expect(await stored(ids)).toEqual(settled);
    expect(await changes()).toEqual(['fx_pending', 'fx_pending', 'fx_pending', 'created', 'created', 'created']);
    // The EUR deposit's 54.00 was approved after its hold; the settled 9.75 is pending its own.
    expect(await earnings(IB)).toEqual({ currency: 'USD', pendingIncome: '9.75', approvedIncome: '54.00', totalIncome: '54.00', fxPending: [] });
    // A read after settlement shows the stored rows.
    expect(await read(e)).toEqual(settled);
  });

  it('a payment made after a rate exists converts at once with that dated rate', async () => {
    const e = ev('1000.00', 'NGN', '2026-05-01T10:00:00.000Z');
    // The latest NGN:USD rate effective on 05-01 is 0.0007 (from 04-30 10:00:00.001): 1000 x 0.0007 = 0.70; 10 % = 0.07.
    expect((await read(e)).map((c: any) => [c.tier, c.amount, c.currency, c.status])).toEqual([[0, '0.07', 'USD', 'PENDING'], [1, '0.01', 'USD', 'PENDING']]);
    const rates = (await h.run(`query { fxRates(from: "NGN", to: "USD") { rate effectiveFrom } }`)).fxRates;
    expect(rates).toEqual([
      { rate: '0.0007', effectiveFrom: '2026-04-30T10:00:00.001Z' },
      { rate: '0.00065', effectiveFrom: '2026-04-01T00:00:00.000Z' },
    ]);
  });
});

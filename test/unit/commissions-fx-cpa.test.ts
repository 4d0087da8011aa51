import { configureLogger, newId } from '../../subgraphs/shared/src';
import { computeCommissions, Plan } from '../../subgraphs/commissions/src/domain/compute';
import { fxTable } from '../../subgraphs/commissions/src/domain/fx';
import { decideHeldCpa } from '../../subgraphs/commissions/src/domain/fx-settlement';
import { EventType } from '../../subgraphs/shared/src/event-type';
import { CommissionsHarness, EventRep, eventRecorded, openCommissions, representation } from '../helpers/commissions-harness';

/**
 * A CPA rule with minAmount when the payment is in another currency than the plan's: amountUsd decides at once for
 * a USD plan; without it and without a rate the CPA is held FX_PENDING at the rule's amount and decided exactly once
 * when a rate covering the payment arrives (PENDING at or above minAmount, REVERSED below it), uplines alike.
 * Amounts worked out by hand in the comments. (The harness's FX_RATES know EUR:USD only, so GBP stands for "no rate".)
 */
beforeAll(() => configureLogger('silent'));

const IB = 'prt_01JFXCPAIB000000000000000IB';
const TOP = 'prt_01JFXCPATOP00000000000000TP';
const TRADER = 'trd_01JFXCPATRADER00000000000T';
const CPA_PLAN: Plan = { id: 'cpl_1', version: 1, currency: 'USD', holdDays: 14, rules: [{ kind: 'CPA', eventType: EventType.FIRST_DEPOSIT, amount: '100', minAmount: '50', tierRates: ['10'] }] };
const AT = new Date('2026-05-01T10:00:00.000Z');
const deposit = (amount: string, currency: string, amountUsd: string | null = null) => ({
  kind: 'event' as const,
  eventId: 'evt_1',
  eventType: EventType.FIRST_DEPOSIT,
  amount,
  currency,
  amountUsd,
  isDuplicate: false,
  occurredAt: AT,
});
const noRates = fxTable({});

describe('CPA minAmount across currencies: pure rules', () => {
  it('45 GBP with no rate: held FX_PENDING at the rule amount 100.00 USD (upline 10.00), baseAmount the payment amount', () => {
    const { drafts, skipped } = computeCommissions(deposit('45.00', 'GBP'), CPA_PLAN, [IB, TOP], noRates);
    expect(skipped).toEqual([]);
    expect(drafts.map((d) => [d.tier, d.amount, d.currency, d.settlementCurrency, d.baseAmount, d.fxRate])).toEqual([
      [0, '100.00', 'USD', 'USD', '45', null],
      [1, '10.00', 'USD', 'USD', '45', null],
    ]);
    // Its hold counts from the payment: 14 x 24 h.
    expect(drafts[0].dueAt.toISOString()).toBe('2026-05-15T10:00:00.000Z');
  });

  it('amountUsd decides at once for a USD plan: 54 pays, 40 does not (no rate needed)', () => {
    expect(computeCommissions(deposit('45.00', 'GBP', '54.00'), CPA_PLAN, [IB], noRates).drafts.map((d) => [d.amount, d.currency, d.settlementCurrency ?? null, d.baseAmount])).toEqual([['100.00', 'USD', null, '54']]);
    const low = computeCommissions(deposit('50.00', 'GBP', '40.00'), CPA_PLAN, [IB], noRates);
    expect(low.drafts).toEqual([]);
    expect(low.skipped).toEqual([{ ruleIndex: 0, reason: 'the event amount 40 USD is below the minimum 50' }]);
  });

  it('a rate in force at the payment decides at once: 45 x 1.10 = 49.50 skipped, 46 x 1.10 = 50.60 paid', () => {
    const fx = fxTable({ 'GBP:USD': '1.10' });
    expect(computeCommissions(deposit('45.00', 'GBP'), CPA_PLAN, [IB], fx).skipped).toEqual([{ ruleIndex: 0, reason: 'the event amount 49.5 USD is below the minimum 50' }]);
    expect(computeCommissions(deposit('46.00', 'GBP'), CPA_PLAN, [IB], fx).drafts.map((d) => [d.amount, d.baseAmount, d.fxRate])).toEqual([['100.00', '50.6', '1.1']]);
  });

  it('decideHeldCpa: the same comparison once the rate arrives; equal qualifies', () => {
    expect(decideHeldCpa({ amount: '45', currency: 'GBP' }, '1.1', '50', 'USD')).toEqual({ pays: false, baseAmount: '49.5', reason: 'no CPA: 45 GBP at 1.1 GBP/USD: the event amount 49.5 USD is below the minimum 50' });
    expect(decideHeldCpa({ amount: '46', currency: 'GBP' }, '1.1', '50', 'USD')).toEqual({ pays: true, baseAmount: '50.6' });
    expect(decideHeldCpa({ amount: '40', currency: 'GBP' }, '1.25', '50', 'USD')).toEqual({ pays: true, baseAmount: '50' });
  });
});

const STORED = `query { commissions(first: 100) { nodes { id partner { id } kind tier amount currency status settlementCurrency fxRate baseAmount dueAt reversalReason } } }`;
const READ = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ReferralEvent { commissions { id tier amount currency status settlementCurrency } } } }`;
const EARNINGS = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Partner { earnings { currency pendingIncome reversedIncome fxPending { amount currency } } } } }`;
const SET_RATE = `mutation($i: FxRateInput!) { setFxRate(input: $i) { id } }`;

describe('CPA minAmount held for a rate, decided once (commissions in-process)', () => {
  let h: CommissionsHarness;
  beforeAll(async () => {
    h = await openCommissions({ tenantId: 'ten_fx_cpa' });
    await h.deliver(h.fact('partner.changed', { partner: { id: TOP, parentId: null, externalId: null } }));
    await h.deliver(h.fact('partner.changed', { partner: { id: IB, parentId: TOP, externalId: null } }));
    await h.run(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
      i: { name: 'USD CPA', currency: 'USD', holdDays: 14, isDefault: true, rules: [{ kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '100', minAmount: '50', tierRates: ['10'] }] },
    });
  });
  afterAll(() => h?.close());

  const ev = (amount: string, timestamp: string): EventRep => ({ id: newId('evt'), eventType: 'FIRST_DEPOSIT', amount, currency: 'GBP', isDuplicate: false, timestamp, productId: null, partnerId: IB, traderId: TRADER });
  const stored = async (eventIds: string[]) => {
    const all = (await h.run(STORED)).commissions.nodes as any[];
    return eventIds.map((id) => all.filter((c) => idsOf.get(id)!.includes(c.id)).sort((a, b) => a.tier - b.tier));
  };
  const idsOf = new Map<string, string[]>();
  const earnings = async (id: string) => (await h.run(EARNINGS, { r: [{ __typename: 'Partner', id }] }))._entities[0].earnings;
  const changesOf = async (ids: string[]) =>
    (await h.ds.query(`SELECT body FROM outbox WHERE type = 'commission.changed'`)).map((f: any) => JSON.parse(f.body).payload).filter((p: any) => ids.includes(p.commission.id)).map((p: any) => `${p.change} ${p.commission.tier} ${p.commission.amount} ${p.commission.status}`);

  it('45 GBP and 46 GBP with no rate are held FX_PENDING; a rate of 1.10 dated before them voids the first (49.50) and pays the second (50.60) once; redelivery changes nothing', async () => {
    const low = ev('45.00', '2026-05-01T08:00:00.000Z');
    const high = ev('46.00', '2026-05-01T09:00:00.000Z');
    for (const e of [low, high]) {
      const shown = (await h.run(READ, { r: [representation(e)] }))._entities[0].commissions;
      expect(shown.map((c: any) => [c.tier, c.amount, c.currency, c.status, c.settlementCurrency])).toEqual([
        [0, '100.00', 'USD', 'FX_PENDING', 'USD'],
        [1, '10.00', 'USD', 'FX_PENDING', 'USD'],
      ]);
      idsOf.set(e.id, shown.map((c: any) => c.id));
      await h.deliver(h.fact('event.recorded', eventRecorded(e)));
    }
    const [heldLow, heldHigh] = await stored([low.id, high.id]);
    expect(heldLow.map((c) => c.status)).toEqual(['FX_PENDING', 'FX_PENDING']);
    // Shown apart in earnings, in the plan currency: 100 + 100 to the IB, 10 + 10 to its upline.
    expect(await earnings(IB)).toEqual({ currency: 'USD', pendingIncome: '0.00', reversedIncome: '0.00', fxPending: [{ amount: '200.00', currency: 'USD' }] });
    expect(await earnings(TOP)).toEqual({ currency: 'USD', pendingIncome: '0.00', reversedIncome: '0.00', fxPending: [{ amount: '20.00', currency: 'USD' }] });

    // Dated after both payments: covers neither.
    await h.run(SET_RATE, { i: { from: 'GBP', to: 'USD', rate: '2', effectiveFrom: '2026-05-01T09:30:00.000Z' } });
    // Dated before both.
    await h.run(SET_RATE, { i: { from: 'GBP', to: 'USD', rate: '1.10', effectiveFrom: '2026-05-01T00:00:00.000Z' } });
    const rateFacts = (await h.ds.query(`SELECT body FROM outbox WHERE type = 'fx_rate.changed'`)).map((f: any) => JSON.parse(f.body));
    expect(rateFacts[1].payload.rate).toMatchObject({ from: 'GBP', to: 'USD', rate: '1.1', effectiveFrom: '2026-05-01T00:00:00.000Z', createdAt: expect.any(String) });
    for (const f of rateFacts) await h.deliver(f);

    const [voided, paid] = await stored([low.id, high.id]);
    // 45 x 1.10 = 49.50 < 50: REVERSED at 0.00 with the reason, the upline's too.
    expect(voided.map((c) => [c.tier, c.amount, c.currency, c.status, c.fxRate, c.baseAmount, c.reversalReason])).toEqual([
      [0, '0.00', 'USD', 'REVERSED', '1.1', '49.5', 'no CPA: 45 GBP at 1.1 GBP/USD: the event amount 49.5 USD is below the minimum 50'],
      [1, '0.00', 'USD', 'REVERSED', '1.1', '49.5', 'no CPA: 45 GBP at 1.1 GBP/USD: the event amount 49.5 USD is below the minimum 50'],
    ]);
    // 46 x 1.10 = 50.60 >= 50: 100.00 PENDING (upline 10 % = 10.00), its hold from the payment: 09:00 + 14 days.
    expect(paid.map((c) => [c.tier, c.amount, c.currency, c.status, c.fxRate, c.baseAmount, c.dueAt])).toEqual([
      [0, '100.00', 'USD', 'PENDING', '1.1', '50.6', '2026-05-15T09:00:00.000Z'],
      [1, '10.00', 'USD', 'PENDING', '1.1', '50.6', '2026-05-15T09:00:00.000Z'],
    ]);
    const ids = [...idsOf.get(low.id)!, ...idsOf.get(high.id)!];
    const announced = [
      'fx_pending 0 100.00 FX_PENDING', 'fx_pending 1 10.00 FX_PENDING', 'fx_pending 0 100.00 FX_PENDING', 'fx_pending 1 10.00 FX_PENDING',
      'reversed 0 0.00 REVERSED', 'reversed 1 0.00 REVERSED', 'created 0 100.00 PENDING', 'created 1 10.00 PENDING',
    ];
    expect(await changesOf(ids)).toEqual(announced);
    expect(await earnings(IB)).toEqual({ currency: 'USD', pendingIncome: '100.00', reversedIncome: '0.00', fxPending: [] });

    // The rate facts delivered again, and republished under new ids: nothing changes, nothing more is announced.
    for (const f of rateFacts) {
      await h.deliver(f);
      await h.deliver({ ...f, id: newId('fct') });
    }
    expect(await stored([low.id, high.id])).toEqual([voided, paid]);
    expect(await changesOf(ids)).toEqual(announced);
  });
});

describe("a rate decides a held CPA once, whether events' isConversion correction or the rate's own fact comes first", () => {
  let h: CommissionsHarness;
  beforeAll(async () => {
    h = await openCommissions({ tenantId: 'ten_fx_cpa_order' });
    await h.deliver(h.fact('partner.changed', { partner: { id: TOP, parentId: null, externalId: null } }));
    await h.deliver(h.fact('partner.changed', { partner: { id: IB, parentId: TOP, externalId: null } }));
    await h.run(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
      i: { name: 'USD CPA', currency: 'USD', holdDays: 14, isDefault: true, rules: [{ kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '100', minAmount: '50', tierRates: ['10'] }] },
    });
  });
  afterAll(() => h?.close());

  // The `referral_event.corrected` events publishes when the rate decides an event recorded without one
  // (rateDecidesConversions): the same label and amount, isConversion true -> false.
  const correction = (e: EventRep) =>
    h.fact('referral_event.corrected', {
      ...eventRecorded({ ...e }),
      event: { ...e, refundOf: null, isConversion: false, cursor: '1' },
      previous: { eventType: e.eventType, isConversion: true, timestamp: e.timestamp, amount: e.amount },
      reason: `${e.amount} GBP at the GBP/USD rate 1.1 effective 2026-05-01T00:00:00.000Z (fxr_x) is below the CPA minAmount: not a conversion`,
    });
  const rows = async (eventId: string) =>
    ((await h.run(READ, { r: [representation({ ...ev(eventId) })] }))._entities[0].commissions as any[]).sort((a, b) => a.tier - b.tier).map((c) => [c.tier, c.amount, c.status]);
  const ev = (id: string): EventRep => ({ id, eventType: 'FIRST_DEPOSIT', amount: '45.00', currency: 'GBP', isDuplicate: false, timestamp: '2026-05-01T08:00:00.000Z', productId: null, partnerId: IB, traderId: TRADER });
  const reversals = async () =>
    (await h.ds.query(`SELECT body FROM outbox WHERE type = 'commission.changed'`)).map((f: any) => JSON.parse(f.body).payload).filter((p: any) => p.change === 'reversed').map((p: any) => p.commission.id).sort();

  it('correction first (nothing moves), then the rate (one REVERSED each); rate first, then the correction (nothing more)', async () => {
    const first = ev(newId('evt'));
    const second = { ...ev(newId('evt')), traderId: 'trd_01JFXCPATRADER00000000000U' };
    for (const e of [first, second]) await h.deliver(h.fact('event.recorded', eventRecorded(e)));
    const held = [[0, '100.00', 'FX_PENDING'], [1, '10.00', 'FX_PENDING']];
    expect(await rows(first.id)).toEqual(held);

    // Order 1: the rate is in the table (setFxRate committed) but its fact not yet consumed here, and events'
    // correction of `first` comes first: the CPA stays held, nothing is announced.
    await h.run(SET_RATE, { i: { from: 'GBP', to: 'USD', rate: '1.10', effectiveFrom: '2026-05-01T00:00:00.000Z' } });
    await h.deliver(correction(first));
    expect(await rows(first.id)).toEqual(held);
    expect(await reversals()).toEqual([]);

    // Then the rate's fact: the FX settlement decides both, once, with its reason.
    const [rateFact] = (await h.ds.query(`SELECT body FROM outbox WHERE type = 'fx_rate.changed'`)).map((f: any) => JSON.parse(f.body));
    await h.deliver(rateFact);
    const voided = [[0, '0.00', 'REVERSED'], [1, '0.00', 'REVERSED']];
    expect(await rows(first.id)).toEqual(voided);
    expect(await rows(second.id)).toEqual(voided);
    const reasons = (await h.run(STORED)).commissions.nodes.map((c: any) => c.reversalReason);
    expect(new Set(reasons)).toEqual(new Set(['no CPA: 45 GBP at 1.1 GBP/USD: the event amount 49.5 USD is below the minimum 50']));
    const once = await reversals();
    expect(once).toHaveLength(4);

    // Order 2: the correction of `second` after the rate settled it, and the first correction again: one decision stands.
    await h.deliver(correction(second));
    await h.deliver(correction(first));
    expect(await rows(first.id)).toEqual(voided);
    expect(await rows(second.id)).toEqual(voided);
    expect(await reversals()).toEqual(once);
  });

  it('a CPA voided by the rate is paid once when its deposit is later corrected above minAmount (60 GBP x 1.10 = 66 USD)', async () => {
    const e = { ...ev(newId('evt')), traderId: 'trd_01JFXCPATRADER00000000000V' };
    await h.deliver(h.fact('event.recorded', eventRecorded(e)));
    // The GBP/USD rate of the first test covers it: decided at once, below minAmount (49.50 USD), no row.
    expect(await rows(e.id)).toEqual([]);
    const held = { ...ev(newId('evt')), timestamp: '2026-04-30T08:00:00.000Z', traderId: 'trd_01JFXCPATRADER00000000000W' };
    await h.deliver(h.fact('event.recorded', eventRecorded(held)));
    await h.run(SET_RATE, { i: { from: 'GBP', to: 'USD', rate: '1.10', effectiveFrom: '2026-04-30T00:00:00.000Z' } });
    const facts = (await h.ds.query(`SELECT body FROM outbox WHERE type = 'fx_rate.changed'`)).map((f: any) => JSON.parse(f.body));
    await h.deliver(facts[facts.length - 1]);
    expect(await rows(held.id)).toEqual([[0, '0.00', 'REVERSED'], [1, '0.00', 'REVERSED']]);

    const raised = { ...held, amount: '60.00' };
    const fact = h.fact('referral_event.corrected', {
      ...eventRecorded({ ...raised }),
      event: { ...raised, refundOf: null, isConversion: true, cursor: '2' },
      previous: { eventType: held.eventType, isConversion: false, timestamp: held.timestamp, amount: held.amount },
      reason: 'corrected: deposit re-sent approved for 60.00 GBP (was 45.00)',
    });
    await h.deliver(fact);
    const paid = [[0, '0.00', 'REVERSED'], [0, '100.00', 'PENDING'], [1, '0.00', 'REVERSED'], [1, '10.00', 'PENDING']];
    expect((await rows(held.id)).sort()).toEqual(paid);
    await h.deliver(fact);
    expect((await rows(held.id)).sort()).toEqual(paid);
  });
});

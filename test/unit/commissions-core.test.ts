import { configureLogger, newId } from '../../subgraphs/shared/src';
import { CommissionsHarness, EventRep, eventRecorded, openCommissions, representation } from '../helpers/commissions-harness';

/**
 * The commissions core, in-process (schema executed directly, real consumers, injected clock, SQLite in memory):
 * reads never write, immutable plan versions, holds in hours, refunds that name their payment, zero-rate rules.
 * Every amount below is worked out by hand in the comments.
 */
beforeAll(() => configureLogger('silent'));

const READ = `query($r: [_Any!]!) { _entities(representations: $r) { ... on ReferralEvent { commissions {
  id partner { id } kind tier amount currency status planVersion holdUntil dueAt createdAt baseAmount approvedAt reversalReason adjusts { id } } } } }`;
const EARNINGS = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Partner { earnings(currency: "USD") { pendingIncome approvedIncome paidIncome totalIncome reversedIncome } } } }`;
const PLAN = `mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id version } }`;

const IB = 'prt_01JIB0000000000000000000IB';
const TOP = 'prt_01JTOP000000000000000000TP';
const TRADER = 'trd_01JTRADER000000000000000TR';

async function partners(h: CommissionsHarness): Promise<void> {
  await h.deliver(h.fact('partner.changed', { partner: { id: TOP, parentId: null, externalId: null } }));
  await h.deliver(h.fact('partner.changed', { partner: { id: IB, parentId: TOP, externalId: null } }));
}

function ev(eventType: string, amount: string | null, timestamp: string, extra: Partial<EventRep> = {}): EventRep {
  return { id: newId('evt'), eventType, amount, currency: amount === null ? null : 'USD', isDuplicate: false, timestamp, productId: null, partnerId: IB, traderId: TRADER, ...extra };
}

async function read(h: CommissionsHarness, e: EventRep): Promise<any[]> {
  return (await h.run(READ, { r: [representation(e)] }))._entities[0].commissions;
}

async function record(h: CommissionsHarness, e: EventRep, refunded: EventRep | null = null): Promise<void> {
  await h.deliver(h.fact('event.recorded', eventRecorded(e, refunded)));
}

const who = (id: string) => (id === IB ? 'IB' : id === TOP ? 'TOP' : id);
const rows = (cs: any[]) => cs.map((c) => [who(c.partner.id), c.kind, c.tier, c.amount, c.status]);

async function earnings(h: CommissionsHarness, partnerId: string) {
  return (await h.run(EARNINGS, { r: [{ __typename: 'Partner', id: partnerId }] }))._entities[0].earnings;
}

async function defaultPlan(h: CommissionsHarness, holdDays = 2) {
  return (
    await h.run(PLAN, {
      i: {
        name: 'IB standard',
        currency: 'USD',
        holdDays,
        isDefault: true,
        rules: [
          { kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '50', minAmount: '100', tierRates: ['10'] },
          { kind: 'REVSHARE', percentage: '10', tierRates: ['10'] },
        ],
      },
    })
  ).createCommissionPlan;
}

describe('reads never write', () => {
  let h: CommissionsHarness;
  beforeEach(async () => {
    h = await openCommissions();
    await partners(h);
    await defaultPlan(h);
  });
  afterEach(() => h.close());

  it("a trackEvent response read before the consumer ran writes nothing, and shows the very rows the consumer then stores", async () => {
    const deposit = ev('FIRST_DEPOSIT', '200.00', '2026-05-02T09:15:00.000Z');
    const before = await h.counts();
    const shown = await read(h, deposit);
    for (let i = 0; i < 3; i++) expect(await read(h, deposit)).toEqual(shown);
    expect(await h.counts()).toEqual(before);
    // CPA 50.00 (200.00 >= 100 minimum), upline 10 % of it 5.00; revenue share 10 % of 200.00 = 20.00, upline 2.00.
    expect(rows(shown)).toEqual([
      ['IB', 'CPA', 0, '50.00', 'PENDING'],
      ['TOP', 'CPA', 1, '5.00', 'PENDING'],
      ['IB', 'REVSHARE', 0, '20.00', 'PENDING'],
      ['TOP', 'REVSHARE', 1, '2.00', 'PENDING'],
    ]);
    expect(shown.every((c) => c.planVersion === 1 && c.dueAt === '2026-05-04T09:15:00.000Z' && c.holdUntil === '2026-05-04')).toBe(true);
    expect(shown.every((c) => /^com_[0-7][0-9A-HJKMNP-TV-Z]{25}$/.test(c.id))).toBe(true);

    await record(h, deposit);
    const stored = await read(h, deposit);
    expect(stored).toEqual(shown);
    expect((await h.counts()).commissions).toBe(before.commissions + 4);
  });

  it('event.recorded delivered again, or published again under a new fact id, creates nothing more', async () => {
    const deposit = ev('FIRST_DEPOSIT', '200.00', '2026-05-02T09:15:00.000Z');
    const fact = h.fact('event.recorded', eventRecorded(deposit));
    await h.deliver(fact);
    const once = await h.counts();
    await h.deliver(fact);
    expect(await h.counts()).toEqual(once);
    await record(h, deposit); // republished: another fact id, the same event
    const again = await h.counts();
    expect({ ...again, processed_facts: once.processed_facts }).toEqual(once);
    expect(again.processed_facts).toBe(once.processed_facts + 1);
  });

  it('an event whose partner has not reached commissions yet reads as no commissions and writes nothing; the consumer waits for the partner', async () => {
    const stranger = ev('FIRST_DEPOSIT', '200.00', '2026-05-02T09:15:00.000Z', { partnerId: 'prt_01JNEW000000000000000000NW' });
    const before = await h.counts();
    expect(await read(h, stranger)).toEqual([]);
    expect(await h.counts()).toEqual(before);
    await expect(record(h, stranger)).rejects.toThrow(/not in the commissions read model yet/);
    expect(await h.counts()).toEqual(before);
  });

  it('an event recorded before this database kept applied events reads as its stored commissions only, never computed', async () => {
    const old = ev('FIRST_DEPOSIT', '200.00', '2026-05-02T09:15:00.000Z');
    expect(await read(h, old)).toHaveLength(4);
    // As if the upgrade that added applied_events ran after this event was recorded (and applied by the old consumer).
    await h.ds.query(`UPDATE engine_marks SET at = ? WHERE name = 'events_applied_before'`, [new Date(Date.now() + 60_000).toISOString().replace('T', ' ').replace('Z', '')]);
    expect(await read(h, old)).toEqual([]);
  });

  it('a refund read before the consumer ran shows nothing and reverses nothing', async () => {
    const deposit = ev('FIRST_DEPOSIT', '200.00', '2026-05-02T09:15:00.000Z');
    await record(h, deposit);
    const refund = ev('REFUND', '200.00', '2026-05-03T09:15:00.000Z', { refundOf: deposit.id });
    const before = await h.counts();
    for (let i = 0; i < 3; i++) expect(await read(h, refund)).toEqual([]);
    expect(await h.counts()).toEqual(before);
    expect((await read(h, deposit)).map((c) => c.status)).toEqual(['PENDING', 'PENDING', 'PENDING', 'PENDING']);
  });
});

describe('immutable plan versions', () => {
  let h: CommissionsHarness;
  let planId: string;
  beforeEach(async () => {
    h = await openCommissions();
    await partners(h);
    planId = (await defaultPlan(h)).id;
  });
  afterEach(() => h.close());

  const UPDATE = `mutation($id: ID!, $i: CommissionPlanInput!, $from: DateTime) { updateCommissionPlan(id: $id, input: $i, effectiveFrom: $from) {
    version rules { kind percentage } versions { version effectiveFrom holdDays rules { kind percentage amount } } } }`;
  const twenty = {
    name: 'IB standard',
    currency: 'USD',
    holdDays: 2,
    isDefault: true,
    rules: [
      { kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '50', minAmount: '100', tierRates: ['10'] },
      { kind: 'REVSHARE', percentage: '20', tierRates: ['10'] },
    ],
  };

  it('a plan edited between two events pays each by its own version, and each trackEvent response equals the stored rows', async () => {
    const first = ev('RECURRING_DEPOSIT', '150.00', '2026-05-03T10:00:00.000Z');
    const shownFirst = await read(h, first);
    h.clock.now = new Date('2026-05-05T00:00:00.000Z');
    const updated = (await h.run(UPDATE, { id: planId, i: twenty })).updateCommissionPlan;
    expect(updated.version).toBe(2);
    expect(updated.versions.map((v: any) => [v.version, v.effectiveFrom, v.rules[1].percentage])).toEqual([
      [1, '2026-05-01T12:00:00.000Z', '10'],
      [2, '2026-05-05T00:00:00.000Z', '20'],
    ]);
    const second = ev('RECURRING_DEPOSIT', '150.00', '2026-05-06T10:00:00.000Z');
    const shownSecond = await read(h, second);
    // The consumer runs after the edit for both: each event is still paid by the version in force when it occurred.
    await record(h, first);
    await record(h, second);
    const storedFirst = await read(h, first);
    const storedSecond = await read(h, second);
    expect(storedFirst).toEqual(shownFirst);
    expect(storedSecond).toEqual(shownSecond);
    // 10 % of 150.00 = 15.00 (upline 1.50) under version 1; 20 % = 30.00 (upline 3.00) under version 2.
    expect(storedFirst.map((c) => [c.amount, c.planVersion])).toEqual([['15.00', 1], ['1.50', 1]]);
    expect(storedSecond.map((c) => [c.amount, c.planVersion])).toEqual([['30.00', 2], ['3.00', 2]]);
  });

  it('an edit may take effect from a past time, not before the current version and never in the future', async () => {
    h.clock.now = new Date('2026-05-10T00:00:00.000Z');
    const early = await h.runRaw(UPDATE, { id: planId, i: twenty, from: '2026-04-30T00:00:00.000Z' });
    expect(early.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'effectiveFrom', reason: 'plan.version_order' });
    const future = await h.runRaw(UPDATE, { id: planId, i: twenty, from: '2026-05-10T00:00:01.000Z' });
    expect(future.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'effectiveFrom' });
    expect(future.errors?.[0].message).toMatch(/must not be in the future/);
    const past = (await h.run(UPDATE, { id: planId, i: twenty, from: '2026-05-04T00:00:00.000Z' })).updateCommissionPlan;
    expect(past.versions.map((v: any) => v.effectiveFrom)).toEqual(['2026-05-01T12:00:00.000Z', '2026-05-04T00:00:00.000Z']);
    // From that date forward: an event of May 5 not yet applied is paid 20 %, one of May 3 10 %.
    expect((await read(h, ev('RECURRING_DEPOSIT', '100.00', '2026-05-05T00:00:00.000Z')))[0].amount).toBe('20.00');
    expect((await read(h, ev('RECURRING_DEPOSIT', '100.00', '2026-05-03T23:59:59.999Z')))[0].amount).toBe('10.00');
    // Version 1 also covers events dated before the plan existed.
    expect((await read(h, ev('RECURRING_DEPOSIT', '100.00', '2026-01-01T00:00:00.000Z')))[0]).toMatchObject({ amount: '10.00', planVersion: 1 });
  });

  it('commission_plan.changed carries every version with its CPA rules for isConversion', async () => {
    h.clock.now = new Date('2026-05-05T00:00:00.000Z');
    await h.run(UPDATE, { id: planId, i: twenty });
    const [row] = await h.ds.query(`SELECT body FROM outbox WHERE type = 'commission_plan.changed' ORDER BY seq DESC LIMIT 1`);
    expect(JSON.parse(row.body).payload.plan).toMatchObject({
      id: planId,
      version: 2,
      versions: [
        { version: 1, effectiveFrom: '2026-05-01T12:00:00.000Z', currency: 'USD', rules: [{ kind: 'CPA', eventType: 'FIRST_DEPOSIT', minAmount: '100' }] },
        { version: 2, effectiveFrom: '2026-05-05T00:00:00.000Z', currency: 'USD', rules: [{ kind: 'CPA', eventType: 'FIRST_DEPOSIT', minAmount: '100' }] },
      ],
    });
  });
});

describe('holds in hours', () => {
  let h: CommissionsHarness;
  beforeEach(async () => {
    h = await openCommissions();
    await partners(h);
    await defaultPlan(h, 2);
  });
  afterEach(() => h.close());

  const APPROVE_DUE = `mutation($asOf: DateTime) { approveDueCommissions(asOf: $asOf) }`;

  it('a 2-day hold is not due at 47 h 59 min and is at 48 h; approvedAt is the real time of approval, not asOf', async () => {
    const payment = ev('RECURRING_DEPOSIT', '100.00', '2026-05-02T20:33:00.000Z');
    await record(h, payment);
    const [direct] = await read(h, payment);
    expect(direct).toMatchObject({ dueAt: '2026-05-04T20:33:00.000Z', holdUntil: '2026-05-04' });

    h.clock.now = new Date('2026-05-04T20:32:00.000Z'); // 47 h 59 min
    expect((await h.run(APPROVE_DUE)).approveDueCommissions).toBe(0);
    h.clock.now = new Date('2026-05-05T00:00:00.000Z'); // the date of holdUntil has come, but asOf is before dueAt
    expect((await h.run(APPROVE_DUE, { asOf: '2026-05-04T20:32:59.999Z' })).approveDueCommissions).toBe(0);
    expect((await read(h, payment)).map((c) => c.status)).toEqual(['PENDING', 'PENDING']);

    h.clock.now = new Date('2026-05-06T08:00:00.000Z');
    expect((await h.run(APPROVE_DUE, { asOf: '2026-05-04T20:33:00.000Z' })).approveDueCommissions).toBe(2); // exactly 48 h
    expect((await read(h, payment)).map((c) => [c.status, c.approvedAt])).toEqual([
      ['APPROVED', '2026-05-06T08:00:00.000Z'],
      ['APPROVED', '2026-05-06T08:00:00.000Z'],
    ]);
    const facts = await h.ds.query(`SELECT body FROM outbox WHERE type = 'commission.changed'`);
    expect(facts.map((f: any) => JSON.parse(f.body).payload.change).filter((c: string) => c === 'approved')).toHaveLength(2);
  });

  it('asOf in the future is refused with param asOf and approves nothing', async () => {
    const payment = ev('RECURRING_DEPOSIT', '100.00', '2026-05-02T20:33:00.000Z');
    await record(h, payment);
    const res = await h.runRaw(APPROVE_DUE, { asOf: '2026-05-01T12:00:00.001Z' });
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'asOf' });
    expect((await read(h, payment)).map((c) => c.status)).toEqual(['PENDING', 'PENDING']);
  });

  it('approveCommissions approves chosen PENDING commissions early, all or nothing', async () => {
    const APPROVE = `mutation($ids: [ID!]!) { approveCommissions(ids: $ids) { id status approvedAt } }`;
    const a = ev('RECURRING_DEPOSIT', '100.00', '2026-05-02T20:33:00.000Z');
    const b = ev('RECURRING_DEPOSIT', '300.00', '2026-05-02T21:00:00.000Z');
    await record(h, a);
    await record(h, b);
    const [aIb, aTop] = await read(h, a);
    const [bIb] = await read(h, b);
    h.clock.now = new Date('2026-05-03T09:00:00.000Z');
    const ok = (await h.run(APPROVE, { ids: [aIb.id, aTop.id] })).approveCommissions;
    expect(ok).toEqual([
      { id: aIb.id, status: 'APPROVED', approvedAt: '2026-05-03T09:00:00.000Z' },
      { id: aTop.id, status: 'APPROVED', approvedAt: '2026-05-03T09:00:00.000Z' },
    ]);
    const twice = await h.runRaw(APPROVE, { ids: [bIb.id, aIb.id] });
    expect(twice.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', param: 'ids.1', reason: 'commission.not_pending' });
    const unknown = await h.runRaw(APPROVE, { ids: [bIb.id, 'com_01JUNKNOWN0000000000000000'] });
    expect(unknown.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', param: 'ids.1' });
    expect((await read(h, b))[0].status).toBe('PENDING'); // all or nothing
  });
});

describe('refunds name their payment (hand-calculated, to the cent)', () => {
  let h: CommissionsHarness;
  beforeEach(async () => {
    h = await openCommissions();
    await partners(h);
    await defaultPlan(h, 30);
  });
  afterEach(() => h.close());

  it('four payments, a full and a partial refund, a chargeback, read many times', async () => {
    // Plan: CPA 50 on a first deposit of at least 100 (upline 10 %), revenue share 10 % (upline 10 % of it).
    const p1 = ev('FIRST_DEPOSIT', '200.00', '2026-05-02T10:00:00.000Z'); // CPA 50.00 / 5.00, share 20.00 / 2.00
    const p2 = ev('RECURRING_DEPOSIT', '250.00', '2026-05-03T10:00:00.000Z'); // share 25.00 / 2.50
    const p3 = ev('RECURRING_DEPOSIT', '80.00', '2026-05-04T10:00:00.000Z'); // share 8.00 / 0.80
    const p4 = ev('RECURRING_DEPOSIT', '33.33', '2026-05-05T10:00:00.000Z'); // share 3.333 -> 3.33 / 0.333 -> 0.33
    for (const p of [p1, p2, p3, p4]) await record(h, p);

    // A full refund of p2, named: its commissions are reversed.
    const full = ev('REFUND', '250.00', '2026-05-06T10:00:00.000Z', { refundOf: p2.id });
    // A partial refund of p1, 50.00 of 200.00 = 1/4: every commission of p1 loses a quarter.
    const partial = ev('REFUND', '50.00', '2026-05-06T11:00:00.000Z', { refundOf: p1.id });
    // A chargeback of 80.00 without refundOf: the latest payment of that amount, p3, is reversed.
    const chargeback = ev('CHARGEBACK', '80.00', '2026-05-06T12:00:00.000Z');
    // A partial refund of p4: 10.00 of 33.33. 3.33 x 10 / 33.33 = 0.99909 -> 1.00; 0.33 x 10 / 33.33 = 0.0990 -> 0.10.
    const p4part = ev('REFUND', '10.00', '2026-05-06T13:00:00.000Z', { refundOf: p4.id });
    for (const r of [full, partial, chargeback, p4part]) await record(h, r);
    const once = await h.counts();

    for (let i = 0; i < 3; i++) {
      for (const e of [p1, p2, p3, p4, full, partial, chargeback, p4part]) await read(h, e);
      for (const r of [full, partial, chargeback, p4part]) await record(h, r); // redelivered under new fact ids
    }
    expect({ ...(await h.counts()), processed_facts: 0 }).toEqual({ ...once, processed_facts: 0 });

    expect(rows(await read(h, p2))).toEqual([
      ['IB', 'REVSHARE', 0, '25.00', 'REVERSED'],
      ['TOP', 'REVSHARE', 1, '2.50', 'REVERSED'],
    ]);
    expect(rows(await read(h, p3))).toEqual([
      ['IB', 'REVSHARE', 0, '8.00', 'REVERSED'],
      ['TOP', 'REVSHARE', 1, '0.80', 'REVERSED'],
    ]);
    const partialRows = await read(h, partial);
    expect(rows(partialRows)).toEqual([
      ['IB', 'CPA', 0, '-12.50', 'PENDING'],
      ['TOP', 'CPA', 1, '-1.25', 'PENDING'],
      ['IB', 'REVSHARE', 0, '-5.00', 'PENDING'],
      ['TOP', 'REVSHARE', 1, '-0.50', 'PENDING'],
    ]);
    const p1Rows = await read(h, p1);
    expect(partialRows.map((c) => c.adjusts.id)).toEqual(p1Rows.map((c) => c.id));
    // An adjustment of an unpaid commission keeps the original's hold.
    expect(partialRows.map((c) => c.dueAt)).toEqual(p1Rows.map((c) => c.dueAt));
    expect(rows(await read(h, p4part))).toEqual([
      ['IB', 'REVSHARE', 0, '-1.00', 'PENDING'],
      ['TOP', 'REVSHARE', 1, '-0.10', 'PENDING'],
    ]);

    // IB: pending 50 + 20 + 3.33 - 12.50 - 5.00 - 1.00 = 54.83; reversed 25.00 + 8.00 = 33.00.
    expect(await earnings(h, IB)).toEqual({ pendingIncome: '54.83', approvedIncome: '0.00', paidIncome: '0.00', totalIncome: '0.00', reversedIncome: '33.00' });
    // TOP: pending 5 + 2 + 0.33 - 1.25 - 0.50 - 0.10 = 5.48; reversed 2.50 + 0.80 = 3.30.
    expect(await earnings(h, TOP)).toEqual({ pendingIncome: '5.48', approvedIncome: '0.00', paidIncome: '0.00', totalIncome: '0.00', reversedIncome: '3.30' });
  });

  it('partial refunds of one payment add up exactly: halves of 0.05 round half-even to 0.02, then 0.03', async () => {
    const small = ev('RECURRING_DEPOSIT', '0.50', '2026-05-02T10:00:00.000Z'); // share 0.05; upline 0.005 -> 0.00: no row
    await record(h, small);
    expect(rows(await read(h, small))).toEqual([['IB', 'REVSHARE', 0, '0.05', 'PENDING']]);
    const half1 = ev('REFUND', '0.25', '2026-05-03T10:00:00.000Z', { refundOf: small.id });
    const half2 = ev('REFUND', '0.25', '2026-05-04T10:00:00.000Z', { refundOf: small.id });
    const more = ev('REFUND', null, '2026-05-05T10:00:00.000Z', { refundOf: small.id }); // nothing is left to refund
    for (const r of [half1, half2, more]) await record(h, r);
    expect((await read(h, half1)).map((c) => c.amount)).toEqual(['-0.02']); // 5 x 1/2 = 2.5 -> 2 (even)
    expect((await read(h, half2)).map((c) => c.amount)).toEqual(['-0.03']); // 5 x 2/2 = 5, less the 2 taken
    expect(await read(h, more)).toEqual([]);
    expect((await earnings(h, IB)).pendingIncome).toBe('0.00');
  });

  it('a paid commission partly refunded gets an approved negative adjustment of its share, at once', async () => {
    const payment = ev('RECURRING_DEPOSIT', '300.00', '2026-05-02T10:00:00.000Z'); // 30.00 / 3.00
    await record(h, payment);
    const [ib, top] = await read(h, payment);
    await h.run(`mutation($ids: [ID!]!) { approveCommissions(ids: $ids) { id } }`, { ids: [ib.id, top.id] });
    await h.run(`mutation($ids: [ID!]!) { markCommissionsPaid(ids: $ids) { id } }`, { ids: [ib.id] });
    h.clock.now = new Date('2026-05-07T00:00:00.000Z');
    const refund = ev('REFUND', '100.00', '2026-05-06T10:00:00.000Z', { refundOf: payment.id }); // a third
    await record(h, refund);
    const adj = await read(h, refund);
    expect(adj.map((c) => [who(c.partner.id), c.amount, c.status, c.approvedAt])).toEqual([
      ['IB', '-10.00', 'APPROVED', '2026-05-07T00:00:00.000Z'],
      ['TOP', '-1.00', 'APPROVED', '2026-05-07T00:00:00.000Z'],
    ]);
    // The rest of the payment refunded too: the paid commission is clawed back to exactly zero in total.
    await record(h, ev('REFUND', null, '2026-05-06T11:00:00.000Z', { refundOf: payment.id }));
    expect(await earnings(h, IB)).toMatchObject({ paidIncome: '30.00', approvedIncome: '-30.00', totalIncome: '0.00' });
    expect(await earnings(h, TOP)).toMatchObject({ approvedIncome: '0.00', totalIncome: '0.00' });
  });

  it("a refund whose payment's own fact has not arrived yet applies the payment first, and the late fact changes nothing", async () => {
    const payment = ev('RECURRING_DEPOSIT', '120.00', '2026-05-02T10:00:00.000Z');
    const refund = ev('REFUND', '120.00', '2026-05-03T10:00:00.000Z', { refundOf: payment.id });
    await record(h, refund, payment);
    expect(rows(await read(h, payment))).toEqual([
      ['IB', 'REVSHARE', 0, '12.00', 'REVERSED'],
      ['TOP', 'REVSHARE', 1, '1.20', 'REVERSED'],
    ]);
    const after = await h.counts();
    await record(h, payment);
    expect((await h.counts()).commissions).toBe(after.commissions);
    expect((await read(h, payment)).map((c) => c.status)).toEqual(['REVERSED', 'REVERSED']);
  });
});

describe('zero-rate rules', () => {
  it('a test product at zero rates attributes but generates no commission records (Refairn)', async () => {
    const h = await openCommissions();
    try {
      await partners(h);
      await defaultPlan(h);
      await h.run(PLAN, { i: { name: 'Test Product', currency: 'USD', holdDays: 0, productId: 'test-product', rules: [{ kind: 'REVSHARE', percentage: '0', tierRates: ['0'] }] } });
      const sale = ev('SUBSCRIPTION', '99.00', '2026-05-02T10:00:00.000Z', { productId: 'test-product' });
      expect(await read(h, sale)).toEqual([]);
      const before = await h.counts();
      await record(h, sale);
      expect((await h.counts()).commissions).toBe(before.commissions);
      expect(await read(h, sale)).toEqual([]);
    } finally {
      await h.close();
    }
  });
});

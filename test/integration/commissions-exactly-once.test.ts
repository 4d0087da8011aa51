import { configureLogger, newId } from '../../subgraphs/shared/src';
import { CommissionsHarness, EventRep, eventRecorded, openCommissions } from '../helpers/commissions-harness';
import { createDatabase, describeWithPostgres } from '../helpers/services';

/**
 * event.recorded changes money exactly once on PostgreSQL, where consumer replicas run in parallel: the same payment
 * delivered under many fact ids at once (redelivered, republished, and carried by its refund) stores its rows once
 * and announces each once.
 */
beforeAll(() => configureLogger('silent'));

const IB = 'prt_01JIB0000000000000000000IB';

describeWithPostgres('event.recorded exactly once, concurrently, on PostgreSQL', () => {
  let h: CommissionsHarness;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await createDatabase('rgw_once');
    drop = db.drop;
    h = await openCommissions({ databaseUrl: db.url });
    await h.deliver(h.fact('partner.changed', { partner: { id: 'prt_01JTOP000000000000000000TP', parentId: null, externalId: null } }));
    await h.deliver(h.fact('partner.changed', { partner: { id: IB, parentId: 'prt_01JTOP000000000000000000TP', externalId: null } }));
    await h.run(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
      i: { name: 'p', currency: 'USD', holdDays: 1, isDefault: true, rules: [{ kind: 'REVSHARE', percentage: '10', tierRates: ['10'] }] },
    });
  });
  afterAll(async () => {
    await h?.close();
    await drop?.();
  });

  it('twenty deliveries of one payment at once, and its partial refund carrying it, create its two rows once and announce each once', async () => {
    const payment: EventRep = { id: newId('evt'), eventType: 'RECURRING_DEPOSIT', amount: '80.00', currency: 'USD', isDuplicate: false, timestamp: '2026-05-02T10:00:00.000Z', productId: null, partnerId: IB, traderId: 'trd_1' };
    const refund: EventRep = { ...payment, id: newId('evt'), eventType: 'REFUND', amount: '20.00', timestamp: '2026-05-03T10:00:00.000Z', refundOf: payment.id };
    const deliveries = [
      ...Array.from({ length: 20 }, () => h.deliver(h.fact('event.recorded', eventRecorded(payment)))),
      ...Array.from({ length: 5 }, () => h.deliver(h.fact('event.recorded', eventRecorded(refund, payment)))),
    ];
    const results = await Promise.allSettled(deliveries);
    // Concurrent appliers wait on each other's keys and then find the work done: none fails.
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const rows = await h.ds.query(`SELECT id, amount_minor, status, adjusts_id FROM commissions WHERE trader_id = 'trd_1' ORDER BY amount_minor DESC`);
    // 10 % of 80.00 = 8.00, upline 0.80; a quarter refunded: -2.00 and -0.20.
    expect(rows.map((r: any) => [String(r.amount_minor), r.status])).toEqual([
      ['800', 'PENDING'],
      ['80', 'PENDING'],
      ['-20', 'PENDING'],
      ['-200', 'PENDING'],
    ]);
    const facts = (await h.ds.query(`SELECT body FROM outbox WHERE type = 'commission.changed'`)).map((f: any) => JSON.parse(f.body).payload);
    const mine = facts.filter((f: any) => rows.some((r: any) => r.id === f.commission.id));
    expect(mine.map((f: any) => f.change).sort()).toEqual(['adjusted', 'adjusted', 'created', 'created']);
  });
});

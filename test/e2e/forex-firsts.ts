import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';

const uid = () => randomBytes(4).toString('hex');
const UPSERT_CUSTOMERS = `mutation($r: [ForexCustomerInput!]!) { upsertForexCustomers(records: $r) { accepted rejected { index field message } } }`;
const UPSERT_TXN = `mutation($r: [ForexTransactionInput!]!) { upsertForexTransactions(records: $r) { accepted rejected { index field message } } }`;
const UPSERT_ACTIVITY = `mutation($r: [TradingActivityInput!]!) { upsertTradingActivity(records: $r) { accepted rejected { index field message } } }`;

/**
 * Track360 back-fills: the first deposit and the first trade are decided by the dates the broker
 * sends, not by the order the records arrive in, and the money follows a corrected label.
 * Transaction types give the direction of amount_currency.
 */
export function defineForexFirstsTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }

  describe('forex firsts by date, not arrival (Track360 back-fills)', () => {
    let partnerId: string;
    let affiliate: string;

    beforeAll(async () => {
      affiliate = `ib_firsts_${uid()}`;
      partnerId = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: 'Back-fill IB', externalId: affiliate } })).createPartner.id;
      const plan = await ok(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
        i: { name: `FTD ${uid()}`, currency: 'USD', holdDays: 30, rules: [{ kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '100' }, { kind: 'REVSHARE', percentage: '10' }] },
      });
      await waitFor('the partner to reach commissions', async () => {
        const r = await gql(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: partnerId, plan: plan.createCommissionPlan.id });
        return r.body.errors ? undefined : true;
      }, [], 15_000);
    });

    /** A Track360 customer of the partner, once events knows the partner. */
    async function customer(): Promise<{ customerId: string; traderId: string }> {
      const customerId = `tdr_${uid()}`;
      return waitFor('events to attribute the customer to the partner', async () => {
        await ok(UPSERT_CUSTOMERS, { r: [{ customerId, signupDate: '2026-11-01T09:00:00Z', affiliateId: affiliate, trackingData: 'backfill' }] });
        const t = (await ok(`query($e: String) { traders(filter: { externalId: $e }) { nodes { id partner { id } } } }`, { e: customerId })).traders.nodes[0];
        return t?.partner?.id === partnerId ? { customerId, traderId: t.id } : undefined;
      }, [], 15_000);
    }

    const events = async (traderId: string) =>
      (await ok(`query($t: ID!) { trader(id: $t) { events(first: 50) { nodes { id eventType amount timestamp isConversion } } } }`, { t: traderId })).trader.events.nodes.reverse();

    const commissions = async () =>
      (await ok(`query($p: ID!) { partner(id: $p) { commissions(first: 100) { nodes { kind amount status reversalReason event { id } } } } }`, { p: partnerId })).partner.commissions.nodes;

    it('a deposit dated 11-21 arriving after one dated 11-28 becomes the FIRST_DEPOSIT, and the CPA moves to it', async () => {
      const { customerId, traderId } = await customer();
      const deposit = (id: string, date: string, amount: string) => ({ transactionId: id, customerId, transactionType: 'deposit', amountCurrency: amount, currency: 'USD', transactionDate: date, status: 'approved' });
      const late = `dep_late_${uid()}`;
      const early = `dep_early_${uid()}`;
      expect((await ok(UPSERT_TXN, { r: [deposit(late, '2026-11-28T10:00:00Z', '500.00')] })).upsertForexTransactions.accepted).toBe(1);
      await waitFor('the CPA of the deposit that arrived first', async () => ((await commissions()).some((c: any) => c.kind === 'CPA') ? true : undefined), [], 15_000);
      expect((await ok(UPSERT_TXN, { r: [deposit(early, '2026-11-21T10:00:00Z', '200.00')] })).upsertForexTransactions.accepted).toBe(1);

      const [first, second] = await events(traderId);
      expect(first).toMatchObject({ eventType: 'RECURRING_DEPOSIT', amount: '500.00', isConversion: false });
      expect(second).toMatchObject({ eventType: 'FIRST_DEPOSIT', amount: '200.00', timestamp: '2026-11-21T10:00:00.000Z' });
      const rows = await waitFor('the CPA to move to the earlier deposit', async () => {
        const cs = await commissions();
        return cs.filter((c: any) => c.kind === 'CPA').length === 2 && cs.some((c: any) => c.status === 'REVERSED') ? cs : undefined;
      }, [], 15_000);
      const cpa = rows.filter((c: any) => c.kind === 'CPA');
      expect(cpa.find((c: any) => c.event.id === first.id)).toMatchObject({ amount: '100.00', status: 'REVERSED', reversalReason: expect.stringMatching(/FIRST_DEPOSIT is now RECURRING_DEPOSIT/) });
      expect(cpa.find((c: any) => c.event.id === second.id)).toMatchObject({ amount: '100.00', status: 'PENDING' });
      // Both are payments: each keeps its revenue share.
      expect(rows.filter((c: any) => c.kind === 'REVSHARE').map((c: any) => [c.event.id, c.amount, c.status]).sort()).toEqual(
        [[first.id, '50.00', 'PENDING'], [second.id, '20.00', 'PENDING']].sort(),
      );
      // Re-sending either changes nothing more.
      await ok(UPSERT_TXN, { r: [deposit(late, '2026-11-28T10:00:00Z', '500.00'), deposit(early, '2026-11-21T10:00:00Z', '200.00')] });
      expect((await events(traderId)).map((e: any) => e.eventType)).toEqual(['RECURRING_DEPOSIT', 'FIRST_DEPOSIT']);
    });

    it('a trading day dated earlier than the first trade moves FIRST_TRADE to it; there is still one', async () => {
      const { customerId, traderId } = await customer();
      const day = (date: string) => ({ date, customerId, instrument: 'EURUSD', lotsTraded: '1.5', spreadCost: '3.2', currency: 'USD' });
      await ok(UPSERT_ACTIVITY, { r: [day('2026-11-28')] });
      await ok(UPSERT_ACTIVITY, { r: [day('2026-11-21')] });
      await ok(UPSERT_ACTIVITY, { r: [day('2026-11-25')] });
      const trades = (await events(traderId)).filter((e: any) => e.eventType === 'FIRST_TRADE');
      expect(trades).toHaveLength(1);
      expect(trades[0].timestamp).toBe('2026-11-21T00:00:00.000Z');
    });

    it('a negative withdrawal is taken as its absolute value: the transaction type gives the direction', async () => {
      const { customerId, traderId } = await customer();
      const res = await ok(UPSERT_TXN, {
        r: [
          { transactionId: `wd_${uid()}`, customerId, transactionType: 'withdrawal', amountCurrency: '-300.00', currency: 'USD', transactionDate: '2026-11-20T10:00:00Z', status: 'approved' },
          { transactionId: `dep_${uid()}`, customerId, transactionType: 'deposit', amountCurrency: '-1000', currency: 'USD', transactionDate: '2026-11-19T10:00:00Z', status: 'approved' },
          { transactionId: `adj_${uid()}`, customerId, transactionType: 'adjustment', amountCurrency: '-50.00', currency: 'USD', transactionDate: '2026-11-21T10:00:00Z', status: 'approved' },
        ],
      });
      expect(res.upsertForexTransactions).toEqual({ accepted: 3, rejected: [] });
      expect((await events(traderId)).map((e: any) => [e.eventType, e.amount])).toEqual([
        ['WITHDRAWAL', '300.00'],
        ['FIRST_DEPOSIT', '1000.00'],
      ]);
      const deposit = (await events(traderId))[1];
      const cs = await waitFor('the deposit commissions', async () => {
        const rows = (await commissions()).filter((c: any) => c.event?.id === deposit.id);
        return rows.length === 2 ? rows : undefined;
      }, [], 15_000);
      expect(cs.map((c: any) => [c.kind, c.amount]).sort()).toEqual([['CPA', '100.00'], ['REVSHARE', '100.00']]);
    });

    it('a reversed deposit derives a CHARGEBACK that names the deposit (refundOf) and reverses its commissions', async () => {
      const { customerId, traderId } = await customer();
      const dep = { transactionId: `dep_${uid()}`, customerId, transactionType: 'deposit', amountCurrency: '400.00', currency: 'USD', transactionDate: '2026-11-10T10:00:00Z', status: 'approved' };
      await ok(UPSERT_TXN, { r: [dep] });
      const [deposit] = await events(traderId);
      await waitFor('the deposit commissions', async () => ((await commissions()).filter((c: any) => c.event?.id === deposit.id).length === 2 ? true : undefined), [], 15_000);
      await ok(UPSERT_TXN, { r: [{ ...dep, status: 'reversed', amountCurrency: '450.00' }] });
      const chargeback = (await ok(`query($t: ID) { events(first: 5, filter: { traderId: $t, eventType: CHARGEBACK }) { nodes { amount refundOf } } }`, { t: traderId })).events.nodes[0];
      expect(chargeback).toEqual({ amount: '400.00', refundOf: deposit.id });
      const reversed = await waitFor('the deposit commissions reversed', async () => {
        const rows = (await commissions()).filter((c: any) => c.event?.id === deposit.id);
        return rows.every((c: any) => c.status === 'REVERSED') ? rows : undefined;
      }, [], 15_000);
      expect(reversed.map((c: any) => [c.kind, c.amount]).sort()).toEqual([['CPA', '100.00'], ['REVSHARE', '40.00']]);
    });

    const commissionsOf = async (eventId: string) =>
      (await ok(`query($p: ID!) { partner(id: $p) { commissions(first: 100) { nodes { id kind amount status reversalReason event { id } } } } }`, { p: partnerId })).partner.commissions.nodes.filter(
        (c: any) => c.event?.id === eventId,
      );

    it('a deposit re-sent approved for less lowers the event amount and its revenue share pro rata; the CPA stays', async () => {
      const { customerId, traderId } = await customer();
      const dep = { transactionId: `dep_${uid()}`, customerId, transactionType: 'deposit', amountCurrency: '500.00', currency: 'USD', transactionDate: '2026-11-12T10:00:00Z', status: 'approved' };
      await ok(UPSERT_TXN, { r: [dep] });
      const [deposit] = await events(traderId);
      await waitFor('the deposit commissions', async () => ((await commissionsOf(deposit.id)).length === 2 ? true : undefined), [], 15_000);
      await ok(UPSERT_TXN, { r: [{ ...dep, amountCurrency: '300.00' }] });
      expect((await events(traderId)).map((e: any) => [e.eventType, e.amount])).toEqual([['FIRST_DEPOSIT', '300.00']]);
      const rows = await waitFor('the revenue share reduced', async () => {
        const cs = await commissionsOf(deposit.id);
        return cs.length === 3 ? cs : undefined;
      }, [], 15_000);
      // 10 % of 500.00 = 50.00, less 50.00 x 200/500 = 20.00: nets 30.00 = 10 % of 300.00; unpaid rows keep their status.
      expect(rows.map((c: any) => [c.kind, c.amount, c.status]).sort()).toEqual([
        ['CPA', '100.00', 'PENDING'],
        ['REVSHARE', '-20.00', 'PENDING'],
        ['REVSHARE', '50.00', 'PENDING'],
      ]);
      expect(rows.find((c: any) => c.amount === '-20.00').reversalReason).toMatch(/corrected/);
      // The same amount again changes nothing more; a later trigger (another transaction) proves the consumer ran past it.
      await ok(UPSERT_TXN, { r: [{ ...dep, amountCurrency: '300.00' }] });
      const other = { transactionId: `dep_${uid()}`, customerId, transactionType: 'deposit', amountCurrency: '10.00', currency: 'USD', transactionDate: '2026-11-13T10:00:00Z', status: 'approved' };
      await ok(UPSERT_TXN, { r: [other] });
      const second = (await events(traderId))[1];
      await waitFor('the later deposit commissions', async () => ((await commissionsOf(second.id)).length === 1 ? true : undefined), [], 15_000);
      expect((await commissionsOf(deposit.id)).map((c: any) => c.amount).sort()).toEqual(['-20.00', '100.00', '50.00']);
      expect((await events(traderId))[0].amount).toBe('300.00');
    });

    it('a deposit corrected downwards after its revenue share was paid claws back the difference; raising it pays nothing more', async () => {
      const { customerId, traderId } = await customer();
      const dep = { transactionId: `dep_${uid()}`, customerId, transactionType: 'deposit', amountCurrency: '500.00', currency: 'USD', transactionDate: '2026-11-14T10:00:00Z', status: 'approved' };
      await ok(UPSERT_TXN, { r: [dep] });
      const [deposit] = await events(traderId);
      const cs = await waitFor('the deposit commissions', async () => {
        const rows = await commissionsOf(deposit.id);
        return rows.length === 2 ? rows : undefined;
      }, [], 15_000);
      const revshare = cs.find((c: any) => c.kind === 'REVSHARE');
      await ok(`mutation($ids: [ID!]!) { approveCommissions(ids: $ids) { id } }`, { ids: [revshare.id] });
      await ok(`mutation($ids: [ID!]!) { markCommissionsPaid(ids: $ids) { id } }`, { ids: [revshare.id] });
      // Raised first: the event says 600.00, nothing more is paid. Then lowered to 200.00: 30.00 comes back.
      await ok(UPSERT_TXN, { r: [{ ...dep, amountCurrency: '600.00' }] });
      await ok(UPSERT_TXN, { r: [{ ...dep, amountCurrency: '200.00' }] });
      expect((await events(traderId))[0].amount).toBe('200.00');
      const rows = await waitFor('the clawback', async () => {
        const all = await commissionsOf(deposit.id);
        return all.length === 3 ? all : undefined;
      }, [], 15_000);
      expect(rows.map((c: any) => [c.kind, c.amount, c.status]).sort()).toEqual([
        ['CPA', '100.00', 'PENDING'],
        ['REVSHARE', '-30.00', 'APPROVED'],
        ['REVSHARE', '50.00', 'PAID'],
      ]);
    });
  });
}

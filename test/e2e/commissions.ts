import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';

const uid = () => randomBytes(4).toString('hex');
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';
const TRACK = `mutation($i: TrackEventInput!) { trackEvent(input: $i) { id eventType isConversion partner { id }
  commissions { partner { id } kind tier baseAmount amount currency status holdUntil } } }`;
const EARNINGS = `query($id: ID!) { partner(id: $id) { earnings { currency pendingIncome approvedIncome paidIncome totalIncome reversedIncome } } }`;

type Row = [string, string, number, string];
const rows = (cs: any[], ids: Record<string, string>): Row[] =>
  cs.map((c) => [Object.keys(ids).find((k) => ids[k] === c.partner.id)!, c.kind, c.tier, c.amount] as Row).sort((a, b) => (a[1] + a[2]).localeCompare(b[1] + b[2]));

/** Commissions through the gateway: a three-level IB chain paid to the cent, the lifecycle and the KYC bonus. */
export function defineCommissionsTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }

  describe('commissions for a three-level IB chain', () => {
    const ids: Record<string, string> = {};
    let planId: string;
    let clickId: string;
    const customer = `cust_${uid()}`;
    const email = `${customer}@example.com`;
    const externalC = `ib_c_${uid()}`;

    beforeAll(async () => {
      const create = async (name: string, extra: Record<string, unknown>) =>
        (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name, ...extra } })).createPartner.id as string;
      ids.A = await create('IB A (top)', {});
      ids.B = await create('IB B', { parentId: ids.A });
      ids.C = await create('IB C', { parentId: ids.B, externalId: externalC });
      const plan = await ok(
        `mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id currency holdDays rules { kind eventType amount percentage perLot minAmount tierRates } } }`,
        {
          i: {
            name: `IB plan ${uid()}`,
            currency: 'USD',
            holdDays: 14,
            rules: [
              { kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '100', minAmount: '50', tierRates: ['10', '5'] },
              { kind: 'REVSHARE', percentage: '20', tierRates: ['10', '5'] },
              { kind: 'LOT_REBATE', perLot: '5', tierRates: ['10', '5'] },
            ],
          },
        },
      );
      planId = plan.createCommissionPlan.id;
      expect(plan.createCommissionPlan.rules[1]).toEqual({ kind: 'REVSHARE', eventType: null, amount: null, percentage: '20', perLot: null, minAmount: null, tierRates: ['10', '5'] });
      for (const p of ['A', 'B', 'C']) {
        // The partner reaches commissions over the bus; until then assigning is NOT_FOUND.
        await waitFor(`assigning ${p}`, async () => {
          const r = await gql(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: ids[p], plan: planId });
          return r.body.errors ? undefined : true;
        }, [], 15_000);
      }
      // The chain reaches commissions over the bus; wait until it is known.
      await waitFor('commissions to know the IB chain', async () => {
        const d = await ok(`query($id: ID!) { partner(id: $id) { commissionUplines { id } } }`, { id: ids.C });
        return d.partner.commissionUplines.length === 2 ? true : undefined;
      }, [], 15_000);
      const link = (await ok(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { trackingUrl } }`, { i: { partnerId: ids.C, path: '/fx' } })).createReferralLink;
      const res = await fetch(link.trackingUrl, { headers: { 'user-agent': UA, 'x-forwarded-for': '81.2.69.162' }, redirect: 'manual' });
      clickId = new URL(res.headers.get('location')!).searchParams.get('click_id')!;
    });

    it('plans refuse bad rules with the param at fault', async () => {
      const bad = await gql(`mutation { createCommissionPlan(input: { name: "x", currency: "USD", holdDays: 1, rules: [{ kind: REVSHARE, percentage: "120" }] }) { id } }`);
      expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.rules.0.percentage' });
      const cur = await gql(`mutation { createCommissionPlan(input: { name: "x", currency: "US", holdDays: 1, rules: [{ kind: CPA, eventType: REGISTRATION, amount: "1" }] }) { id } }`);
      expect(cur.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.currency' });
    });

    it('a first deposit pays CPA and revenue share to the partner and its uplines, in the trackEvent response', async () => {
      const res = await ok(TRACK, { i: { eventType: 'FIRST_DEPOSIT', clickId, email, externalCustomerId: customer, amount: '200.00', currency: 'USD' } });
      expect(res.trackEvent.partner.id).toBe(ids.C);
      expect(rows(res.trackEvent.commissions, ids)).toEqual([
        ['C', 'CPA', 0, '100.00'],
        ['B', 'CPA', 1, '10.00'],
        ['A', 'CPA', 2, '5.00'],
        ['C', 'REVSHARE', 0, '40.00'],
        ['B', 'REVSHARE', 1, '4.00'],
        ['A', 'REVSHARE', 2, '2.00'],
      ]);
      const today = new Date();
      const hold = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() + 14)).toISOString().slice(0, 10);
      expect(res.trackEvent.commissions.every((c: any) => c.status === 'PENDING' && c.holdUntil === hold && c.currency === 'USD')).toBe(true);
      // The bus consumer sees the same event later and creates nothing twice.
      const again = await ok(`query($id: ID!) { event(id: $id) { commissions { id } } }`, { id: res.trackEvent.id });
      expect(again.event.commissions).toHaveLength(6);
    });

    it('a recurring payment pays revenue share only; a trading day and its corrected re-send pay lot rebates on the difference', async () => {
      const pay = await ok(TRACK, { i: { eventType: 'RECURRING_DEPOSIT', email, amount: '150.00', currency: 'USD' } });
      expect(rows(pay.trackEvent.commissions, ids)).toEqual([
        ['C', 'REVSHARE', 0, '30.00'],
        ['B', 'REVSHARE', 1, '3.00'],
        ['A', 'REVSHARE', 2, '1.50'],
      ]);
      const day = { date: new Date().toISOString().slice(0, 10), customerId: customer, instrument: 'EURUSD', lotsTraded: '12.5', spreadCost: '37.5', currency: 'USD' };
      const upsert = `mutation($r: [TradingActivityInput!]!) { upsertTradingActivity(records: $r) { accepted rejected { message } } }`;
      expect((await ok(upsert, { r: [day] })).upsertTradingActivity).toEqual({ accepted: 1, rejected: [] });
      expect((await ok(upsert, { r: [{ ...day, lotsTraded: '13.25' }] })).upsertTradingActivity.accepted).toBe(1);
      const rebates = await waitFor('lot rebates', async () => {
        const all: any[] = [];
        for (const p of ['A', 'B', 'C']) {
          const d = await ok(`query($id: ID!) { partner(id: $id) { commissions(filter: { kind: LOT_REBATE }) { nodes { partner { id } kind tier amount baseAmount } } } }`, { id: ids[p] });
          all.push(...d.partner.commissions.nodes);
        }
        return all.length === 6 ? all : undefined;
      }, [], 15_000);
      expect(rows(rebates, ids).sort()).toEqual(
        [
          ['C', 'LOT_REBATE', 0, '62.50'],
          ['B', 'LOT_REBATE', 1, '6.25'],
          ['A', 'LOT_REBATE', 2, '3.12'],
          ['C', 'LOT_REBATE', 0, '3.75'],
          ['B', 'LOT_REBATE', 1, '0.38'],
          ['A', 'LOT_REBATE', 2, '0.19'],
        ].sort(),
      );
    });

    it('a refund reverses the commissions of the payment it refunds, and earnings add up to the cent', async () => {
      await ok(TRACK, { i: { eventType: 'REFUND', email, amount: '150.00', currency: 'USD' } });
      const expected: Record<string, { pendingIncome: string; reversedIncome: string }> = {
        C: { pendingIncome: '206.25', reversedIncome: '30.00' },
        B: { pendingIncome: '20.63', reversedIncome: '3.00' },
        A: { pendingIncome: '10.31', reversedIncome: '1.50' },
      };
      for (const p of ['A', 'B', 'C']) {
        const e = await waitFor(`${p}'s earnings`, async () => {
          const d = await ok(EARNINGS, { id: ids[p] });
          return d.partner.earnings.reversedIncome === expected[p].reversedIncome ? d.partner.earnings : undefined;
        }, [], 15_000);
        expect(e).toEqual({ currency: 'USD', approvedIncome: '0.00', paidIncome: '0.00', totalIncome: '0.00', ...expected[p] });
      }
    });

    it('approved (here early, by an operator, since the hold is 14 days), paid, and paid ones reversed later become negative adjustments', async () => {
      const future = new Date(Date.now() + 15 * 86_400_000).toISOString();
      const refused = await gql(`mutation($d: DateTime) { approveDueCommissions(asOf: $d) }`, { d: future });
      expect(refused.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'asOf' });
      const pending: string[] = [];
      for (const p of ['A', 'B', 'C']) {
        const d = await ok(`query($id: ID!) { partner(id: $id) { commissions(first: 100, filter: { status: PENDING }) { nodes { id } } } }`, { id: ids[p] });
        pending.push(...d.partner.commissions.nodes.map((c: any) => c.id));
      }
      expect(pending).toHaveLength(12);
      const approved = (await ok(`mutation($ids: [ID!]!) { approveCommissions(ids: $ids) { status } }`, { ids: pending })).approveCommissions;
      expect(approved.every((c: any) => c.status === 'APPROVED')).toBe(true);
      const c = await ok(EARNINGS, { id: ids.C });
      expect(c.partner.earnings).toMatchObject({ pendingIncome: '0.00', approvedIncome: '206.25', totalIncome: '206.25', reversedIncome: '30.00' });
      const cpa = (await ok(`query($id: ID!) { partner(id: $id) { commissions(filter: { kind: CPA }) { nodes { id status } } } }`, { id: ids.C })).partner.commissions.nodes[0];
      const paid = await ok(`mutation($ids: [ID!]!) { markCommissionsPaid(ids: $ids) { status paidAt } }`, { ids: [cpa.id] });
      expect(paid.markCommissionsPaid[0].status).toBe('PAID');
      const twice = await gql(`mutation($ids: [ID!]!) { markCommissionsPaid(ids: $ids) { id } }`, { ids: [cpa.id] });
      expect(twice.body.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', param: 'ids.0' });
      const adj = await ok(`mutation($id: ID!) { reverseCommission(id: $id, reason: "fraud review") { amount status reversalReason } }`, { id: cpa.id });
      expect(adj.reverseCommission).toEqual({ amount: '-100.00', status: 'APPROVED', reversalReason: 'fraud review' });
      const after = await ok(EARNINGS, { id: ids.C });
      expect(after.partner.earnings).toMatchObject({ approvedIncome: '6.25', paidIncome: '100.00', totalIncome: '106.25' });
    });

    it('the KYC bonus of a code owned by the partner arrives as a BONUS commission', async () => {
      const code = `BONUS_${uid()}`;
      await ok(`mutation($i: CreateReferralCodeInput!) { createReferralCode(input: $i) { id } }`, { i: { userId: externalC, referralCode: code, bonus: { amount: '25', currency: 'USD' } } });
      const app = await ok(`mutation($c: String!) { startKyc(input: { userId: "kyc_user_${uid()}", email: "k${uid()}@example.com", referralCode: $c }) { id } }`, { c: code });
      await ok(`mutation($id: ID!) { decideKyc(id: $id, decision: APPROVED) { status } }`, { id: app.startKyc.id });
      const bonus = await waitFor('the bonus commission', async () => {
        const d = await ok(`query($id: ID!) { partner(id: $id) { commissions(filter: { kind: BONUS }) { nodes { kind tier amount currency status } } } }`, { id: ids.C });
        return d.partner.commissions.nodes[0];
      }, [], 15_000);
      expect(bonus).toEqual({ kind: 'BONUS', tier: 0, amount: '25.00', currency: 'USD', status: 'PENDING' });
    });

    it("the plan's event types decide isConversion, and the income series shows the commissions", async () => {
      const reg = await ok(TRACK, { i: { eventType: 'REGISTRATION', email: `reg-${uid()}@x.io`, referralCode: undefined, clickId } });
      expect(reg.trackEvent).toMatchObject({ partner: { id: ids.C }, isConversion: false });
      const g = await ok(`query($p: ID) { referralGraph(partnerId: $p, granularity: DAY) { income { t v } } }`, { p: ids.C });
      const total = g.referralGraph.income.reduce((s: number, p: any) => s + Math.round(Number(p.v) * 100), 0);
      expect(total).toBe(100_00 + 40_00 + 62_50 + 3_75 + 25_00 - 100_00);
      const info = await ok(`query($id: ID!) { partner(id: $id) { commissionPlan { id } incomePercentage salePercentage } }`, { id: ids.C });
      expect(info.partner).toEqual({ commissionPlan: { id: planId }, incomePercentage: '20', salePercentage: null });
    });

    it('a "Test Product" with all commission rates set to zero: real agent commission records will not be generated, but events are received and attributed correctly (Refairn)', async () => {
      const product = `test-product-${uid()}`;
      await ok(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
        i: { name: 'Test Product', currency: 'USD', holdDays: 0, productId: product, rules: [{ kind: 'REVSHARE', percentage: '0', tierRates: ['0', '0'] }] },
      });
      const count = async () => (await ok(`query($id: ID!) { partner(id: $id) { commissions { totalCount } } }`, { id: ids.C })).partner.commissions.totalCount;
      const before = await count();
      // Refairn's payment-succeeded example: 100 USD, active, on the test product.
      const sale = (await ok(TRACK, { i: { eventType: 'SUBSCRIPTION', email, amount: '100', currency: 'USD', productId: product, subscriptionStatus: 'active' } })).trackEvent;
      expect(sale.partner.id).toBe(ids.C);
      expect(sale.commissions).toEqual([]);
      // A real payment after it: once the consumer has stored that one, it has long applied the test sale.
      const real = (await ok(TRACK, { i: { eventType: 'RECURRING_DEPOSIT', email, amount: '10.00', currency: 'USD' } })).trackEvent;
      expect(real.commissions.length).toBeGreaterThan(0);
      const own = real.commissions.filter((c: any) => c.partner.id === ids.C).length;
      await waitFor('the real payment to be stored', async () => ((await count()) === before + own ? true : undefined), [], 15_000);
      expect((await ok(`query($id: ID!) { event(id: $id) { commissions { id } } }`, { id: sale.id })).event.commissions).toEqual([]);
    });
  });
}

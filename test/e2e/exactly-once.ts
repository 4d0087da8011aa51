import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';
import { republishFacts } from '../helpers/republish';

const uid = () => randomBytes(4).toString('hex');

/**
 * Each fact changes money once, whoever processes it and however often: the facts that pay
 * (`event.recorded`, `trading_activity.recorded`, `kyc.approved`) are published a second time,
 * as a relay that died between publishing and marking would, and nothing changes. A fresh fact
 * of the same type sent after them, in the same stream, shows the consumer has gone past them.
 */
export function defineExactlyOnceTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }

  describe('exactly once per fact, when facts are published again', () => {
    it('republished event.recorded, trading_activity.recorded and kyc.approved facts pay nothing twice', async () => {
      const external = `eo_ib_${uid()}`;
      const partnerId = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: 'Exactly-once IB', externalId: external } })).createPartner.id;
      const plan = await ok(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
        i: { name: `EO ${uid()}`, currency: 'USD', holdDays: 30, rules: [{ kind: 'REVSHARE', percentage: '10' }, { kind: 'LOT_REBATE', perLot: '4' }] },
      });
      await waitFor('the partner in commissions', async () => {
        const r = await gql(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: partnerId, plan: plan.createCommissionPlan.id });
        return r.body.errors ? undefined : true;
      }, [], 15_000);
      const customer = `eo_cust_${uid()}`;
      await waitFor('events to attribute the customer', async () => {
        await ok(`mutation($r: [ForexCustomerInput!]!) { upsertForexCustomers(records: $r) { accepted } }`, { r: [{ customerId: customer, signupDate: '2026-11-01T09:00:00Z', affiliateId: external, trackingData: 'eo' }] });
        const t = (await ok(`query($e: String) { traders(filter: { externalId: $e }) { nodes { partner { id } } } }`, { e: customer })).traders.nodes[0];
        return t?.partner?.id === partnerId ? true : undefined;
      }, [], 15_000);
      const pay = (await ok(`mutation($i: TrackEventInput!) { trackEvent(input: $i) { id } }`, { i: { eventType: 'FIRST_DEPOSIT', externalCustomerId: customer, amount: '300.00', currency: 'USD' } })).trackEvent.id;
      const day = (date: string, lots: string) => ({ date, customerId: customer, instrument: 'EURUSD', lotsTraded: lots, currency: 'USD' });
      await ok(`mutation($r: [TradingActivityInput!]!) { upsertTradingActivity(records: $r) { accepted } }`, { r: [day('2026-11-20', '2.5')] });
      const code = `EO_${uid()}`.toUpperCase();
      await ok(`mutation($i: CreateReferralCodeInput!) { createReferralCode(input: $i) { id } }`, { i: { userId: external, referralCode: code, bonus: { amount: '15', currency: 'USD' } } });
      const app = (await ok(`mutation($c: String!) { startKyc(input: { userId: "eo_kyc_${uid()}", email: "eo-${uid()}@example.com", referralCode: $c }) { id } }`, { c: code })).startKyc.id;
      await ok(`mutation($id: ID!) { decideKyc(id: $id, decision: APPROVED) { status } }`, { id: app });

      const rows = async () =>
        ((await ok(`query($p: ID!) { partner(id: $p) { commissions(first: 100) { nodes { id kind amount status } } } }`, { p: partnerId })).partner.commissions.nodes as { id: string; kind: string; amount: string }[])
          .map((c) => `${c.kind} ${c.amount}`)
          .sort();
      const before = await waitFor('every commission of the three facts', async () => {
        const r = await rows();
        return r.length === 3 ? r : undefined;
      }, [], 15_000);
      expect(before).toEqual(['BONUS 15.00', 'LOT_REBATE 10.00', 'REVSHARE 30.00']);

      const again = [
        await republishFacts(stack(), 'events', 'event.recorded', [`"id":"${pay}"`]),
        await republishFacts(stack(), 'events', 'trading_activity.recorded', [`"customerId":"${customer}"`]),
        await republishFacts(stack(), 'kyc', 'kyc.approved', [`"id":"${app}"`]),
      ];
      for (const r of again) expect(r.factIds).toHaveLength(1);
      await waitFor('the relays to publish the facts again', async () => ((await Promise.all(again.map((r) => r.republished()))).every(Boolean) ? true : undefined), [], 15_000);
      // Fresh facts of the same types, after the republished ones: once they are paid, the old ones were consumed again.
      await ok(`mutation($i: TrackEventInput!) { trackEvent(input: $i) { id } }`, { i: { eventType: 'RECURRING_DEPOSIT', externalCustomerId: customer, amount: '100.00', currency: 'USD' } });
      await ok(`mutation($r: [TradingActivityInput!]!) { upsertTradingActivity(records: $r) { accepted } }`, { r: [day('2026-11-21', '1')] });
      const app2 = (await ok(`mutation($c: String!) { startKyc(input: { userId: "eo_kyc_${uid()}", email: "eo-${uid()}@example.com", referralCode: $c }) { id } }`, { c: code })).startKyc.id;
      await ok(`mutation($id: ID!) { decideKyc(id: $id, decision: APPROVED) { status } }`, { id: app2 });
      const after = await waitFor('the fresh facts to be paid', async () => {
        const r = await rows();
        return r.length >= 6 ? r : undefined;
      }, [], 15_000);
      expect(after).toEqual(['BONUS 15.00', 'BONUS 15.00', 'LOT_REBATE 10.00', 'LOT_REBATE 4.00', 'REVSHARE 10.00', 'REVSHARE 30.00']);
    });
  });
}

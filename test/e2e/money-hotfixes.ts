import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';
import { blockInserts } from '../helpers/faults';

const uid = () => randomBytes(4).toString('hex');
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';
const TRACK = `mutation($i: TrackEventInput!) { trackEvent(input: $i) { id eventType commissions { id kind amount status } } }`;
const EARNINGS = `query($id: ID!) { partner(id: $id) { earnings { currency pendingIncome reversedIncome totalIncome } } }`;
const COUNT = `query($p: ID) { events(first: 1, filter: { partnerId: $p }) { totalCount } }`;

/**
 * Money and redirect failures found by trying the product as an integrator: a read that
 * reversed commissions, negative payments paying negative commissions, and a visitor
 * stranded when a click could not be stored. Run on both stacks.
 */
export function defineMoneyHotfixTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }

  describe('money hotfixes', () => {
    let partnerId: string;
    let trackingUrl: string;

    beforeAll(async () => {
      partnerId = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: `Refund IB ${uid()}` } })).createPartner.id;
      const plan = await ok(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
        i: { name: `Revshare ${uid()}`, currency: 'USD', holdDays: 30, rules: [{ kind: 'REVSHARE', percentage: '10' }, { kind: 'REVSHARE', eventType: 'CUSTOM', percentage: '20' }] },
      });
      await waitFor('the partner to reach commissions', async () => {
        const r = await gql(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: partnerId, plan: plan.createCommissionPlan.id });
        return r.body.errors ? undefined : true;
      }, [], 15_000);
      trackingUrl = (await ok(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { trackingUrl } }`, { i: { partnerId, path: '/refunds' } })).createReferralLink.trackingUrl;
    });

    async function click(): Promise<string> {
      const res = await fetch(trackingUrl, { headers: { 'user-agent': UA, 'x-forwarded-for': '81.2.69.162' }, redirect: 'manual' });
      expect(res.status).toBe(302);
      return new URL(res.headers.get('location')!).searchParams.get('click_id')!;
    }

    it('a refund reverses one payment once, however often its commissions are read (four payments, one refund, many reads)', async () => {
      const email = `refund-${uid()}@example.com`;
      const clickId = await click();
      const first = await ok(TRACK, { i: { eventType: 'FIRST_DEPOSIT', clickId, email, amount: '100.00', currency: 'USD' } });
      expect(first.trackEvent.commissions.map((c: any) => c.amount)).toEqual(['10.00']);
      for (let i = 0; i < 3; i++) {
        const pay = await ok(TRACK, { i: { eventType: 'RECURRING_DEPOSIT', email, amount: '100.00', currency: 'USD' } });
        expect(pay.trackEvent.commissions.map((c: any) => c.amount)).toEqual(['10.00']);
      }
      const refund = (await ok(TRACK, { i: { eventType: 'REFUND', email, amount: '100.00', currency: 'USD' } })).trackEvent;
      const expected = { currency: 'USD', pendingIncome: '30.00', reversedIncome: '10.00', totalIncome: '0.00' };
      await waitFor('the refund to reverse one payment', async () => {
        const e = (await ok(EARNINGS, { id: partnerId })).partner.earnings;
        return e.reversedIncome !== '0.00' ? e : undefined;
      }, [], 15_000);
      // Every way a client reads the refund's commissions, several times over.
      for (let i = 0; i < 3; i++) {
        await ok(`query($id: ID!) { event(id: $id) { commissions { id amount status } } }`, { id: refund.id });
        await ok(`query($p: ID) { events(filter: { partnerId: $p }) { nodes { id commissions { id status } } } }`, { p: partnerId });
        await ok(`query($id: ID!) { partner(id: $id) { events(first: 10) { nodes { commissions { amount } } } } }`, { id: partnerId });
      }
      expect((await ok(EARNINGS, { id: partnerId })).partner.earnings).toEqual(expected);
      const statuses = (await ok(`query($id: ID!) { partner(id: $id) { commissions(first: 10) { nodes { status } } } }`, { id: partnerId })).partner.commissions.nodes.map((c: any) => c.status);
      expect(statuses.sort()).toEqual(['PENDING', 'PENDING', 'PENDING', 'REVERSED']);
      // A second refund of the same amount reverses the next payment, not the same one again.
      await ok(TRACK, { i: { eventType: 'CHARGEBACK', email, amount: '100.00', currency: 'USD' } });
      const after = await waitFor('the chargeback to reverse a second payment', async () => {
        const e = (await ok(EARNINGS, { id: partnerId })).partner.earnings;
        return e.reversedIncome === '20.00' ? e : undefined;
      }, [], 15_000);
      expect(after).toEqual({ ...expected, pendingIncome: '20.00', reversedIncome: '20.00' });
    });

    it.each([
      ['FIRST_DEPOSIT', '-1000'],
      ['SUBSCRIPTION', '-100'],
      ['RECURRING_DEPOSIT', '-0.01'],
      ['CUSTOM', '-5'],
    ])('a negative %s amount (%s) is refused with param input.amount and stores nothing', async (eventType, amount) => {
      const clickId = await click();
      const before = (await ok(COUNT, { p: partnerId })).events.totalCount;
      const res = await gql(TRACK, { i: { eventType, customEventName: eventType === 'CUSTOM' ? 'upgrade' : undefined, clickId, email: `neg-${uid()}@example.com`, amount, currency: 'USD' } });
      expect(res.body.data?.trackEvent ?? null).toBeNull();
      expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.amount' });
      expect(res.body.errors?.[0].message).toMatch(/zero or positive/);
      expect((await ok(COUNT, { p: partnerId })).events.totalCount).toBe(before);
    });

    it('a zero amount is still accepted (a free trial) and pays no negative commission', async () => {
      const res = await ok(TRACK, { i: { eventType: 'SUBSCRIPTION', clickId: await click(), email: `zero-${uid()}@example.com`, amount: '0', currency: 'USD' } });
      expect(res.trackEvent.commissions.every((c: any) => !c.amount.startsWith('-'))).toBe(true);
    });

    it('a KYC bonus approved before its code owner is a partner is paid once the owner becomes one', async () => {
      const owner = `late_owner_${uid()}`;
      const code = `LATE_${uid()}`.toUpperCase();
      await ok(`mutation($i: CreateReferralCodeInput!) { createReferralCode(input: $i) { id } }`, { i: { userId: owner, referralCode: code, bonus: { amount: '25', currency: 'USD' } } });
      const app = await ok(`mutation($c: String!, $u: String!) { startKyc(input: { userId: $u, email: "k-${uid()}@example.com", referralCode: $c }) { id } }`, { c: code, u: `kyc_user_${uid()}` });
      await ok(`mutation($id: ID!) { decideKyc(id: $id, decision: APPROVED) { status } }`, { id: app.startKyc.id });
      // The owner signs up as a partner only now.
      const partner = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: 'Late owner', externalId: owner } })).createPartner.id;
      const bonus = await waitFor('the held bonus to be paid', async () => {
        const nodes = (await ok(`query($id: ID!) { partner(id: $id) { commissions(filter: { kind: BONUS }) { nodes { kind amount currency status } } } }`, { id: partner })).partner.commissions.nodes;
        return nodes.length ? nodes : undefined;
      }, [], 15_000);
      expect(bonus).toEqual([{ kind: 'BONUS', amount: '25.00', currency: 'USD', status: 'PENDING' }]);
      // Another update of the partner pays nothing more.
      await ok(`mutation($id: ID!) { updatePartner(id: $id, input: { name: "Late owner (renamed)" }) { id } }`, { id: partner });
      await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: `Flush ${uid()}` } });
      const again = (await ok(`query($id: ID!) { partner(id: $id) { commissions(filter: { kind: BONUS }) { totalCount } } }`, { id: partner })).partner.commissions.totalCount;
      expect(again).toBe(1);
    });

    it('a visitor is sent on to the link without a click id when the click cannot be stored, and the failure is counted', async () => {
      const metricsUrl = new URL('/metrics', stack().subgraphUrls.links).href;
      const failures = async () => Number(/^click_redirect_unrecorded_total (\d+)/m.exec(await (await fetch(metricsUrl)).text())?.[1] ?? 0);
      const before = await failures();
      const unblock = await blockInserts(stack(), 'links', 'clicks');
      try {
        const res = await fetch(trackingUrl, { headers: { 'user-agent': UA }, redirect: 'manual' });
        expect(res.status).toBe(302);
        const location = new URL(res.headers.get('location')!);
        expect(location.pathname).toBe('/refunds');
        expect(location.searchParams.has('click_id')).toBe(false);
        expect(res.headers.get('set-cookie')).toBeNull();
      } finally {
        await unblock();
      }
      expect(await failures()).toBe(before + 1);
      // Once clicks can be stored again, the next visitor gets a click id.
      expect(await click()).toBeTruthy();
    });
  });
}

import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';

const uid = () => randomBytes(4).toString('hex');
const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0';
const C_FIELDS = 'id partner { id } tier amount currency status settlementCurrency fxRate dueAt';
const TRACK = `mutation($i: TrackEventInput!) { trackEvent(input: $i) { id amountUsd commissions { ${C_FIELDS} } } }`;
const EARNINGS = `query($id: ID!) { partner(id: $id) { earnings { currency pendingIncome totalIncome fxPending { amount currency } } } }`;
const SET_RATE = `mutation($i: FxRateInput!) { setFxRate(input: $i) { id from to rate effectiveFrom } }`;
const HOUR = 3_600_000;

/**
 * Currency, exactly, through the gateway: a EUR deposit carrying amountUsd on a USD plan and a three-tier chain, a
 * payment with no rate held FX_PENDING (shown in earnings, not as zero) and settled once when setFxRate covers it.
 * Run on both stacks.
 */
export function defineCurrencyTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }

  describe('currency: amountUsd, dated rates, FX_PENDING', () => {
    const ids = { top: '', mid: '', ib: '' };
    let clickId: string;

    beforeAll(async () => {
      const create = async (name: string, parentId?: string) =>
        (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: `${name} ${uid()}`, parentId } })).createPartner.id as string;
      ids.top = await create('FX top');
      ids.mid = await create('FX mid', ids.top);
      ids.ib = await create('FX IB', ids.mid);
      const plan = (
        await ok(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
          i: { name: `USD revshare ${uid()}`, currency: 'USD', holdDays: 14, rules: [{ kind: 'REVSHARE', percentage: '10', tierRates: ['10', '5'] }] },
        })
      ).createCommissionPlan.id;
      for (const partnerId of [ids.top, ids.mid, ids.ib]) {
        await waitFor('the partner to reach commissions', async () => {
          const r = await gql(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: partnerId, plan });
          return r.body.errors ? undefined : true;
        }, [], 15_000);
      }
      // The chain as commissions knows it (IB -> mid -> top) before the first payment.
      await waitFor('the upline chain', async () => {
        const up = (await ok(`query($id: ID!) { partner(id: $id) { commissionUplines { id } } }`, { id: ids.ib })).partner.commissionUplines.map((p: any) => p.id);
        return up.length === 2 ? up : undefined;
      }, [], 15_000);
      const link = (await ok(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { trackingUrl } }`, { i: { partnerId: ids.ib, path: '/fx' } })).createReferralLink;
      const res = await fetch(link.trackingUrl, { headers: { 'user-agent': UA, 'x-forwarded-for': '81.2.69.163' }, redirect: 'manual' });
      clickId = new URL(res.headers.get('location')!).searchParams.get('click_id')!;
    });

    const tiers = (cs: any[]) => cs.map((c) => [c.partner.id === ids.ib ? 'IB' : c.partner.id === ids.mid ? 'MID' : c.partner.id === ids.top ? 'TOP' : c.partner.id, c.amount, c.currency, c.status]);
    async function storedOf(eventId: string, until: (cs: any[]) => boolean): Promise<any[]> {
      return waitFor('the stored commissions', async () => {
        const cs = (await ok(`query($id: ID!) { commissions(first: 100, filter: { partnerId: $id }) { nodes { ${C_FIELDS} event { id } } } }`, { id: ids.ib })).commissions.nodes;
        const up = async (p: string) => (await ok(`query($id: ID!) { commissions(first: 100, filter: { partnerId: $id }) { nodes { ${C_FIELDS} event { id } } } }`, { id: p })).commissions.nodes;
        const all = [...cs, ...(await up(ids.mid)), ...(await up(ids.top))].filter((c: any) => c.event?.id === eventId).map(({ event, ...c }: any) => c);
        all.sort((a: any, b: any) => a.tier - b.tier);
        return until(all) ? all : undefined;
      }, [], 15_000);
    }

    it('a EUR first deposit of 500 with amountUsd 540 on a USD plan pays 54.00, 5.40 and 2.70 up a three-tier chain, and the response is the stored rows', async () => {
      const res = (await ok(TRACK, { i: { eventType: 'FIRST_DEPOSIT', clickId, email: `eur-${uid()}@example.com`, amount: '500.00', currency: 'EUR', amountUsd: '540.00' } })).trackEvent;
      expect(res.amountUsd).toBe('540.00');
      expect(tiers(res.commissions)).toEqual([
        ['IB', '54.00', 'USD', 'PENDING'],
        ['MID', '5.40', 'USD', 'PENDING'],
        ['TOP', '2.70', 'USD', 'PENDING'],
      ]);
      expect(await storedOf(res.id, (cs) => cs.length === 3)).toEqual(res.commissions);
    });

    it('amountUsd with cents beyond 2 decimals is refused, naming input.amountUsd', async () => {
      const res = await gql(TRACK, { i: { eventType: 'FIRST_DEPOSIT', clickId, email: `bad-${uid()}@example.com`, amount: '500.00', currency: 'EUR', amountUsd: '540.001' } });
      expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.amountUsd' });
    });

    it("a payment in a currency with no rate is FX_PENDING, shown apart in earnings; setFxRate dated before it settles it once to the cent, and one dated after it does not", async () => {
      const before = (await ok(EARNINGS, { id: ids.ib })).partner.earnings;
      const occurredAt = new Date(Date.now() - 2 * HOUR).toISOString();
      const res = (await ok(TRACK, { i: { eventType: 'RECURRING_DEPOSIT', clickId, email: `ngn-${uid()}@example.com`, amount: '150000.00', currency: 'NGN', occurredAt } })).trackEvent;
      // 10 % of NGN 150,000.00 and the uplines' 10 % and 5 % of it, held in NGN to settle in USD.
      expect(tiers(res.commissions)).toEqual([
        ['IB', '15000.00', 'NGN', 'FX_PENDING'],
        ['MID', '1500.00', 'NGN', 'FX_PENDING'],
        ['TOP', '750.00', 'NGN', 'FX_PENDING'],
      ]);
      expect(res.commissions.every((c: any) => c.settlementCurrency === 'USD')).toBe(true);
      expect(await storedOf(res.id, (cs) => cs.length === 3)).toEqual(res.commissions);
      expect((await ok(EARNINGS, { id: ids.ib })).partner.earnings).toEqual({ ...before, fxPending: [{ amount: '15000.00', currency: 'NGN' }] });

      // Effective only after the payment: it does not cover it.
      await ok(SET_RATE, { i: { from: 'NGN', to: 'USD', rate: '0.0007', effectiveFrom: new Date(Date.parse(occurredAt) + 1000).toISOString() } });
      // Dated before the payment: 150,000 x 0.00065 = 97.50 USD -> 9.75, 0.975 -> 0.98 (half-even), 0.4875 -> 0.49.
      const rate = (await ok(SET_RATE, { i: { from: 'NGN', to: 'USD', rate: '0.00065', effectiveFrom: new Date(Date.parse(occurredAt) - HOUR).toISOString() } })).setFxRate;
      expect(rate).toMatchObject({ from: 'NGN', to: 'USD', rate: '0.00065' });
      const settled = await storedOf(res.id, (cs) => cs.every((c) => c.status === 'PENDING'));
      expect(tiers(settled)).toEqual([
        ['IB', '9.75', 'USD', 'PENDING'],
        ['MID', '0.98', 'USD', 'PENDING'],
        ['TOP', '0.49', 'USD', 'PENDING'],
      ]);
      expect(settled.map((c) => [c.id, c.fxRate, c.dueAt])).toEqual(res.commissions.map((c: any) => [c.id, '0.00065', c.dueAt]));
      const add = (a: string, b: string) => (Number(a) * 100 + Number(b) * 100) / 100;
      expect((await ok(EARNINGS, { id: ids.ib })).partner.earnings).toEqual({ ...before, pendingIncome: add(before.pendingIncome, '9.75').toFixed(2), fxPending: [] });
      // The event's own read shows the settled rows.
      expect((await ok(`query($id: ID!) { event(id: $id) { commissions { ${C_FIELDS} } } }`, { id: res.id })).event.commissions).toEqual(settled);
    });

    it('a rate dated after a payment leaves it FX_PENDING', async () => {
      const occurredAt = new Date(Date.now() - 3 * HOUR).toISOString();
      const res = (await ok(TRACK, { i: { eventType: 'RECURRING_DEPOSIT', clickId, email: `kes-${uid()}@example.com`, amount: '1000.00', currency: 'KES', occurredAt } })).trackEvent;
      expect(tiers(res.commissions)[0]).toEqual(['IB', '100.00', 'KES', 'FX_PENDING']);
      await ok(SET_RATE, { i: { from: 'USD', to: 'KES', rate: '129.5', effectiveFrom: new Date(Date.parse(occurredAt) + HOUR).toISOString() } });
      // The rate's fact has been handled once a later payment converts with it; the earlier one stays held.
      const later = (await ok(TRACK, { i: { eventType: 'RECURRING_DEPOSIT', clickId, email: `kes2-${uid()}@example.com`, amount: '1295.00', currency: 'KES' } })).trackEvent;
      // 1295 / 129.5 = 10.00 USD; 10 % = 1.00.
      expect(tiers(later.commissions)[0]).toEqual(['IB', '1.00', 'USD', 'PENDING']);
      await new Promise((r) => setTimeout(r, 1000));
      expect((await storedOf(res.id, (cs) => cs.length === 3)).map((c) => c.status)).toEqual(['FX_PENDING', 'FX_PENDING', 'FX_PENDING']);
    });
  });
}

import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';
import { republishFacts } from '../helpers/republish';
import { collect, wsClient } from '../helpers/ws';

const uid = () => randomBytes(4).toString('hex');
const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0';
const C_FIELDS = 'id partner { id } kind tier amount currency status settlementCurrency fxRate baseAmount dueAt reversalReason';
const TRACK = `mutation($i: TrackEventInput!) { trackEvent(input: $i) { id isConversion commissions { ${C_FIELDS} } } }`;
const EVENT = `query($id: ID!) { event(id: $id) { id isConversion commissions { ${C_FIELDS} } } }`;
const EARNINGS = `query($id: ID!) { partner(id: $id) { earnings { currency pendingIncome approvedIncome reversedIncome fxPending { amount currency } } } }`;
const SET_RATE = `mutation($i: FxRateInput!) { setFxRate(input: $i) { id from to rate effectiveFrom } }`;
const CORRECTIONS = `subscription { conversionCorrected { cursor reason previous { eventType isConversion amount } event { id amount currency isConversion } } }`;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * A CPA rule with minAmount when the deposit is in another currency than the plan's, through the gateway on both
 * stacks: a USD plan paying 100 USD (its upline 10 %) for a first deposit of at least 50 USD. EUR deposits of 45
 * and 46 with no rate are held FX_PENDING and counted as conversions; a EUR->USD rate of 1.10 dated before them
 * voids the first (45 x 1.10 = 49.50) and pays the second (46 x 1.10 = 50.60), once, even when the rate's fact is
 * published again; events corrects the first to isConversion false (one conversionCorrected message, none for the
 * second). A EUR deposit carrying amountUsd is decided at once by it (54: paid; 40: not, not a conversion).
 */
export function defineFxCpaTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }

  describe('CPA minAmount across currencies: amountUsd, FX_PENDING until a rate decides', () => {
    const ids = { top: '', ib: '' };
    let clickId: string;

    beforeAll(async () => {
      const create = async (name: string, parentId?: string) =>
        (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: `${name} ${uid()}`, parentId } })).createPartner.id as string;
      ids.top = await create('FX CPA top');
      ids.ib = await create('FX CPA IB', ids.top);
      const plan = (
        await ok(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
          i: { name: `USD CPA min 50 ${uid()}`, currency: 'USD', holdDays: 14, rules: [{ kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '100', minAmount: '50', tierRates: ['10'] }] },
        })
      ).createCommissionPlan.id;
      const probePartner = await create('FX CPA probe');
      // The probe partner last: once events knows its assignment, it knows the plan and the two before it.
      for (const partnerId of [ids.top, ids.ib, probePartner]) {
        await waitFor('the partner to reach commissions', async () => {
          const r = await gql(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: partnerId, plan });
          return r.body.errors ? undefined : true;
        }, [], 15_000);
      }
      await waitFor('the upline chain', async () => {
        const up = (await ok(`query($id: ID!) { partner(id: $id) { commissionUplines { id } } }`, { id: ids.ib })).partner.commissionUplines.map((p: any) => p.id);
        return up.length === 1 ? up : undefined;
      }, [], 15_000);
      const clickOf = async (partnerId: string, path: string) => {
        const link = (await ok(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { trackingUrl } }`, { i: { partnerId, path } })).createReferralLink;
        const res = await fetch(link.trackingUrl, { headers: { 'user-agent': UA, 'x-forwarded-for': '81.2.69.170' }, redirect: 'manual' });
        return new URL(res.headers.get('location')!).searchParams.get('click_id')!;
      };
      clickId = await clickOf(ids.ib, '/fx-cpa');
      const probeClick = await clickOf(probePartner, '/fx-cpa-probe');
      // isConversion follows this plan's minAmount once events knows it (over the bus): 49.99 USD no, 50.00 USD yes.
      await waitFor('events to know the plan', async () => {
        const probe = async (amount: string) => (await ok(TRACK, { i: { eventType: 'FIRST_DEPOSIT', clickId: probeClick, email: `probe-${uid()}@example.com`, amount, currency: 'USD' } })).trackEvent.isConversion;
        return (await probe('49.99')) === false && (await probe('50.00')) === true ? true : undefined;
      }, [], 15_000);
    });

    const who = (c: any) => (c.partner.id === ids.ib ? 'IB' : c.partner.id === ids.top ? 'TOP' : c.partner.id);
    const brief = (cs: any[]) => [...cs].sort((a, b) => a.tier - b.tier).map((c) => [who(c), c.kind, c.amount, c.currency, c.status]);
    const eventOf = async (id: string) => (await ok(EVENT, { id })).event;
    const earnings = async (id: string) => (await ok(EARNINGS, { id })).partner.earnings;
    const deposit = async (amount: string, extra: Record<string, unknown> = {}) =>
      (await ok(TRACK, { i: { eventType: 'FIRST_DEPOSIT', clickId, email: `fxcpa-${uid()}@example.com`, amount, currency: 'EUR', ...extra } })).trackEvent;

    it('45 and 46 EUR with no rate: FX_PENDING CPAs of 100.00 USD (upline 10.00) shown in fxPending, conversions; a 1.10 rate dated before them voids 49.50 and pays 50.60 exactly once, and corrects the 45 EUR to no conversion once', async () => {
      const key = (await stack().admin('create-key', '--tenant', stack().tenantId, '--scopes', 'events:read', '--partner', ids.ib)).key;
      const { client } = wsClient(stack().gatewayUrl, { apiKey: key });
      const sub = collect(client, CORRECTIONS);
      try {
        await rateArrives(sub);
      } finally {
        sub.unsubscribe();
        await client.dispose();
      }
    });

    async function rateArrives(sub: { messages: any[] }) {
      const occurredAt = new Date(Date.now() - 2 * HOUR);
      const low = await deposit('45.00', { occurredAt: occurredAt.toISOString() });
      const high = await deposit('46.00', { occurredAt: new Date(occurredAt.getTime() + 60_000).toISOString() });
      for (const e of [low, high]) {
        // No rate: whether it qualifies is unknown; it counts as a conversion, and the CPA waits for a rate.
        expect(e.isConversion).toBe(true);
        expect(brief(e.commissions)).toEqual([
          ['IB', 'CPA', '100.00', 'USD', 'FX_PENDING'],
          ['TOP', 'CPA', '10.00', 'USD', 'FX_PENDING'],
        ]);
        expect(e.commissions.map((c: any) => [c.settlementCurrency, c.fxRate])).toEqual([['USD', null], ['USD', null]]);
      }
      // The stored rows are the ones the response showed.
      const stored = async (id: string, until: (cs: any[]) => boolean) =>
        waitFor('the stored commissions', async () => {
          const cs = (await eventOf(id)).commissions;
          return cs.length === 2 && until(cs) ? [...cs].sort((a: any, b: any) => a.tier - b.tier) : undefined;
        }, [], 15_000);
      expect(await stored(low.id, () => true)).toEqual([...low.commissions].sort((a: any, b: any) => a.tier - b.tier));
      // Pending FX, apart from every other figure: 2 x 100.00 to the IB, 2 x 10.00 to its upline.
      const held = { currency: 'USD', pendingIncome: '0.00', approvedIncome: '0.00', reversedIncome: '0.00' };
      expect(await waitFor('both held', async () => {
        const e = await earnings(ids.ib);
        return e.fxPending[0]?.amount === '200.00' ? e : undefined;
      }, [], 15_000)).toEqual({ ...held, fxPending: [{ amount: '200.00', currency: 'USD' }] });
      expect(await earnings(ids.top)).toEqual({ ...held, fxPending: [{ amount: '20.00', currency: 'USD' }] });

      const rate = (await ok(SET_RATE, { i: { from: 'EUR', to: 'USD', rate: '1.10', effectiveFrom: new Date(occurredAt.getTime() - HOUR).toISOString() } })).setFxRate;
      expect(rate).toMatchObject({ from: 'EUR', to: 'USD', rate: '1.1' });

      // 45 x 1.10 = 49.50 USD < 50: no CPA, voided with the reason (0.00, never income), the upline's too.
      const reason = 'no CPA: 45 EUR at 1.1 EUR/USD: the event amount 49.5 USD is below the minimum 50';
      const voided = await stored(low.id, (cs) => cs.every((c) => c.status !== 'FX_PENDING'));
      expect(voided.map((c: any) => [who(c), c.amount, c.currency, c.status, c.fxRate, c.baseAmount, c.reversalReason])).toEqual([
        ['IB', '0.00', 'USD', 'REVERSED', '1.1', '49.5', reason],
        ['TOP', '0.00', 'USD', 'REVERSED', '1.1', '49.5', reason],
      ]);
      // 46 x 1.10 = 50.60 USD >= 50: 100.00 and 10.00 PENDING, held 14 days from the deposit.
      const paid = await stored(high.id, (cs) => cs.every((c) => c.status !== 'FX_PENDING'));
      const due = new Date(occurredAt.getTime() + 60_000 + 14 * DAY).toISOString();
      expect(paid.map((c: any) => [who(c), c.amount, c.currency, c.status, c.fxRate, c.baseAmount, c.dueAt])).toEqual([
        ['IB', '100.00', 'USD', 'PENDING', '1.1', '50.6', due],
        ['TOP', '10.00', 'USD', 'PENDING', '1.1', '50.6', due],
      ]);
      expect(paid.map((c: any) => c.id)).toEqual([...high.commissions].sort((a: any, b: any) => a.tier - b.tier).map((c: any) => c.id));
      const settled = { ib: { ...held, pendingIncome: '100.00', fxPending: [] }, top: { ...held, pendingIncome: '10.00', fxPending: [] } };
      expect(await earnings(ids.ib)).toEqual(settled.ib);
      expect(await earnings(ids.top)).toEqual(settled.top);
      // isConversion was decided without a rate: the rate decides it again. 49.50 USD is no conversion; 50.60 stays one.
      await waitFor('the 45 EUR event to be no conversion', async () => ((await eventOf(low.id)).isConversion === false ? true : undefined), [], 15_000);
      expect((await eventOf(high.id)).isConversion).toBe(true);
      // The partner's stream hears that correction, naming the rate.
      const corrected = await waitFor('the correction on the stream', async () => (sub.messages.length ? sub.messages[0] : undefined), [], 15_000);
      expect(corrected.data.conversionCorrected).toMatchObject({
        event: { id: low.id, amount: '45.00', currency: 'EUR', isConversion: false },
        previous: { eventType: 'FIRST_DEPOSIT', isConversion: true, amount: '45.00' },
        reason: expect.stringContaining(`at the EUR/USD rate 1.1 effective ${new Date(occurredAt.getTime() - HOUR).toISOString()} (${rate.id}) is below the CPA minAmount`),
      });
      // The partner was told: the voided CPA as REVERSED, the paid one as CREATED.
      const changes = await waitFor('the change log', async () => {
        const nodes = (await ok(`query($p: ID!) { commissionChanges(first: 100, partnerId: $p, changes: [CREATED, REVERSED]) { nodes { change commission { id status amount reversalReason } } } }`, { p: ids.ib })).commissionChanges.nodes;
        return nodes.length >= 2 ? nodes : undefined;
      }, [], 15_000);
      expect(changes.map((n: any) => [n.change, n.commission.id, n.commission.status, n.commission.amount])).toEqual(
        expect.arrayContaining([
          ['REVERSED', voided[0].id, 'REVERSED', '0.00'],
          ['CREATED', paid[0].id, 'PENDING', '100.00'],
        ]),
      );

      // The rate's fact published again: nothing changes. A fresh rate of another pair, after it in the same stream,
      // settles a CHF deposit: once it has, the republished fact was consumed again.
      const again = await republishFacts(stack(), 'commissions', 'fx_rate.changed', [`"id":"${rate.id}"`]);
      expect(again.factIds).toHaveLength(1);
      await waitFor('the relay to publish the rate again', async () => ((await again.republished()) ? true : undefined), [], 15_000);
      const chf = (await ok(TRACK, { i: { eventType: 'FIRST_DEPOSIT', clickId, email: `fxcpa-chf-${uid()}@example.com`, amount: '60.00', currency: 'CHF', occurredAt: occurredAt.toISOString() } })).trackEvent;
      expect(brief(chf.commissions)[0]).toEqual(['IB', 'CPA', '100.00', 'USD', 'FX_PENDING']);
      // And one the CHF rate voids: events' correction of it, after the republished fact, shows events consumed that too.
      const chfLow = (await ok(TRACK, { i: { eventType: 'FIRST_DEPOSIT', clickId, email: `fxcpa-chf-${uid()}@example.com`, amount: '30.00', currency: 'CHF', occurredAt: occurredAt.toISOString() } })).trackEvent;
      expect(chfLow.isConversion).toBe(true);
      await ok(SET_RATE, { i: { from: 'CHF', to: 'USD', rate: '1.25', effectiveFrom: new Date(occurredAt.getTime() - HOUR).toISOString() } });
      // 60 x 1.25 = 75 USD >= 50: paid. 30 x 1.25 = 37.50 USD: voided.
      expect(brief(await stored(chf.id, (cs) => cs.every((c) => c.status !== 'FX_PENDING')))).toEqual([
        ['IB', 'CPA', '100.00', 'USD', 'PENDING'],
        ['TOP', 'CPA', '10.00', 'USD', 'PENDING'],
      ]);
      expect(brief(await stored(chfLow.id, (cs) => cs.every((c) => c.status !== 'FX_PENDING')))).toEqual([
        ['IB', 'CPA', '0.00', 'USD', 'REVERSED'],
        ['TOP', 'CPA', '0.00', 'USD', 'REVERSED'],
      ]);
      await waitFor('the CHF correction on the stream', async () => (sub.messages.length >= 2 ? true : undefined), [], 15_000);
      // One correction per voided deposit, in order: none for the 46 EUR or the 60 CHF, none again for the republished rate.
      expect(sub.messages.map((msg: any) => [msg.data.conversionCorrected.event.id, msg.data.conversionCorrected.event.isConversion])).toEqual([
        [low.id, false],
        [chfLow.id, false],
      ]);
      expect((await eventOf(low.id)).isConversion).toBe(false);
      expect((await eventOf(chf.id)).isConversion).toBe(true);
      expect(await stored(low.id, () => true)).toEqual(voided);
      expect(await stored(high.id, () => true)).toEqual(paid);
      expect(await earnings(ids.ib)).toEqual({ ...settled.ib, pendingIncome: '200.00' });
    }

    it('a EUR deposit with amountUsd 54 is paid at once and is a conversion; one with amountUsd 40 pays no CPA and is not (whatever the rate says)', async () => {
      // 45 EUR would be 49.50 at 1.10 (49.58 at 1.085): the sender's 54 USD decides.
      const paid = await deposit('45.00', { amountUsd: '54.00' });
      expect(paid.isConversion).toBe(true);
      expect(brief(paid.commissions)).toEqual([
        ['IB', 'CPA', '100.00', 'USD', 'PENDING'],
        ['TOP', 'CPA', '10.00', 'USD', 'PENDING'],
      ]);
      expect(paid.commissions.map((c: any) => [c.baseAmount, c.settlementCurrency])).toEqual([['54', null], ['54', null]]);
      // 50 EUR would be 55.00 at 1.10: the sender's 40 USD decides.
      const unpaid = await deposit('50.00', { amountUsd: '40.00' });
      expect(unpaid.isConversion).toBe(false);
      expect(unpaid.commissions).toEqual([]);
      // Read back through the gateway, once commissions has applied both.
      const stored = await waitFor('the stored CPA', async () => {
        const e = await eventOf(paid.id);
        return e.commissions.length === 2 ? e : undefined;
      }, [], 15_000);
      expect(stored.isConversion).toBe(true);
      expect([...stored.commissions].sort((a: any, b: any) => a.tier - b.tier)).toEqual([...paid.commissions].sort((a: any, b: any) => a.tier - b.tier));
      expect(await eventOf(unpaid.id)).toEqual({ id: unpaid.id, isConversion: false, commissions: [] });
      await waitFor('the IB earnings', async () => ((await earnings(ids.ib)).pendingIncome === '300.00' ? true : undefined), [], 15_000);
    });
  });
}

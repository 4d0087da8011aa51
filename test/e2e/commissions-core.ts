import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';

const uid = () => randomBytes(4).toString('hex');
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';
const C_FIELDS = 'id partner { id } kind tier amount currency status planVersion holdUntil dueAt createdAt approvedAt';
const TRACK = `mutation($i: TrackEventInput!) { trackEvent(input: $i) { id eventType isConversion refundOf partner { id } commissions { ${C_FIELDS} } } }`;
const HOUR = 3_600_000;
const pause = () => new Promise((r) => setTimeout(r, 250));

/**
 * The commissions core through the gateway: responses equal to the rows later stored, plan versions (payouts and
 * isConversion), holds in hours, early approval, refunds that name their payment. Run on both stacks.
 */
export function defineCommissionsCoreTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }

  /** A partner on its own plan, and a click id that attributes to it. */
  async function partnerOnPlan(name: string, plan: Record<string, unknown>) {
    const partnerId = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name } })).createPartner.id as string;
    const planRes = (await ok(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id version } }`, { i: { name: `${name} plan`, ...plan } })).createCommissionPlan;
    expect(planRes.version).toBe(1);
    await waitFor('the partner to reach commissions', async () => {
      const r = await gql(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: partnerId, plan: planRes.id });
      return r.body.errors ? undefined : true;
    }, [], 15_000);
    const link = (await ok(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { trackingUrl } }`, { i: { partnerId, path: '/core' } })).createReferralLink;
    const res = await fetch(link.trackingUrl, { headers: { 'user-agent': UA, 'x-forwarded-for': '81.2.69.160' }, redirect: 'manual' });
    const clickId = new URL(res.headers.get('location')!).searchParams.get('click_id')!;
    return { partnerId, planId: planRes.id as string, clickId };
  }

  /** The partner's stored commissions (Partner.commissions lists rows, never computes). */
  async function stored(partnerId: string): Promise<any[]> {
    return (await ok(`query($id: ID!) { partner(id: $id) { commissions(first: 100) { nodes { ${C_FIELDS} } } } }`, { id: partnerId })).partner.commissions.nodes;
  }

  async function storedOf(partnerId: string, expected: any[]): Promise<any[]> {
    const ids = new Set(expected.map((c) => c.id));
    return waitFor('the consumer to store them', async () => {
      const rows = (await stored(partnerId)).filter((c) => ids.has(c.id));
      return rows.length === ids.size ? rows.sort((a, b) => expected.findIndex((e) => e.id === a.id) - expected.findIndex((e) => e.id === b.id)) : undefined;
    }, [], 15_000);
  }

  describe('commissions core: versions, holds, refunds', () => {
    it('a plan edited between two events pays each by its own version, and each trackEvent response equals the rows later stored', async () => {
      const rules = (percentage: string, minAmount: string) => [
        { kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '40', minAmount },
        { kind: 'REVSHARE', percentage },
      ];
      const { partnerId, planId, clickId } = await partnerOnPlan(`Versions ${uid()}`, { currency: 'USD', holdDays: 7, rules: rules('10', '100') });
      const email = `versions-${uid()}@example.com`;
      // isConversion follows the plan's CPA rule and its minAmount once events knows the plan (over the bus).
      await waitFor('events to know the plan', async () => {
        await pause();
        const below = (await ok(TRACK, { i: { eventType: 'FIRST_DEPOSIT', clickId, email: `probe-${uid()}@example.com`, amount: '50.00', currency: 'USD' } })).trackEvent;
        const above = (await ok(TRACK, { i: { eventType: 'FIRST_DEPOSIT', clickId, email: `probe-${uid()}@example.com`, amount: '150.00', currency: 'USD' } })).trackEvent;
        return below.isConversion === false && above.isConversion === true ? true : undefined;
      }, [], 15_000);

      const first = (await ok(TRACK, { i: { eventType: 'FIRST_DEPOSIT', clickId, email, amount: '150.00', currency: 'USD' } })).trackEvent;
      expect(first.partner.id).toBe(partnerId);
      expect(first.commissions.map((c: any) => [c.kind, c.amount, c.planVersion])).toEqual([
        ['CPA', '40.00', 1],
        ['REVSHARE', '15.00', 1],
      ]);
      const editedAt = new Date();
      const updated = (
        await ok(`mutation($id: ID!, $i: CommissionPlanInput!) { updateCommissionPlan(id: $id, input: $i) { version versions { version effectiveFrom } } }`, {
          id: planId,
          i: { name: 'Versions v2', currency: 'USD', holdDays: 7, rules: rules('20', '500') },
        })
      ).updateCommissionPlan;
      expect(updated.version).toBe(2);
      expect(new Date(updated.versions[1].effectiveFrom).getTime()).toBeGreaterThanOrEqual(editedAt.getTime() - 1000);

      const second = (await ok(TRACK, { i: { eventType: 'RECURRING_DEPOSIT', email, amount: '150.00', currency: 'USD' } })).trackEvent;
      expect(second.commissions.map((c: any) => [c.kind, c.amount, c.planVersion])).toEqual([['REVSHARE', '30.00', 2]]);
      // A payment that occurred before the edit, reported after it, is still paid by version 1.
      const late = (
        await ok(TRACK, { i: { eventType: 'RECURRING_DEPOSIT', email, amount: '150.00', currency: 'USD', occurredAt: new Date(editedAt.getTime() - 60_000).toISOString() } })
      ).trackEvent;
      expect(late.commissions.map((c: any) => [c.amount, c.planVersion])).toEqual([['15.00', 1]]);
      for (const e of [first, second, late]) expect(await storedOf(partnerId, e.commissions)).toEqual(e.commissions);

      // isConversion by the version in force at the event's time: 150 qualified under version 1, not under version 2 (from 500).
      await waitFor('events to know version 2', async () => {
        await pause();
        const now = (await ok(TRACK, { i: { eventType: 'FIRST_DEPOSIT', clickId, email: `probe-${uid()}@example.com`, amount: '150.00', currency: 'USD' } })).trackEvent;
        return now.isConversion === false ? true : undefined;
      }, [], 15_000);
      const before = (
        await ok(TRACK, {
          i: { eventType: 'FIRST_DEPOSIT', clickId, email: `probe-${uid()}@example.com`, amount: '150.00', currency: 'USD', occurredAt: new Date(editedAt.getTime() - 60_000).toISOString() },
        })
      ).trackEvent;
      expect(before.isConversion).toBe(true);
    });

    it('a 2-day hold is due 48 hours after the event, not at midnight: at 47 h 59 min it stays pending; approvedAt is the time of approval', async () => {
      const { partnerId, clickId } = await partnerOnPlan(`Holds ${uid()}`, { currency: 'USD', holdDays: 2, rules: [{ kind: 'REVSHARE', percentage: '10' }] });
      const email = `holds-${uid()}@example.com`;
      const t = Date.now();
      const young = (await ok(TRACK, { i: { eventType: 'FIRST_DEPOSIT', clickId, email, amount: '100.00', currency: 'USD', occurredAt: new Date(t - 47 * HOUR - 59 * 60_000).toISOString() } })).trackEvent;
      const old = (await ok(TRACK, { i: { eventType: 'RECURRING_DEPOSIT', email, amount: '200.00', currency: 'USD', occurredAt: new Date(t - 72 * HOUR).toISOString() } })).trackEvent;
      const [y] = young.commissions;
      const [o] = old.commissions;
      expect(new Date(y.dueAt).getTime() - (t - 47 * HOUR - 59 * 60_000)).toBe(48 * HOUR);
      expect(y.holdUntil).toBe(y.dueAt.slice(0, 10));
      expect(new Date(o.dueAt).getTime()).toBe(t - 24 * HOUR);
      await storedOf(partnerId, [y, o]);

      const future = await gql(`mutation($d: DateTime) { approveDueCommissions(asOf: $d) }`, { d: new Date(Date.now() + 60_000).toISOString() });
      expect(future.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'asOf' });
      await ok(`mutation($d: DateTime) { approveDueCommissions(asOf: $d) }`, { d: o.dueAt });
      await ok(`mutation { approveDueCommissions }`);
      const rows = new Map((await stored(partnerId)).map((c) => [c.id, c]));
      expect(rows.get(y.id)).toMatchObject({ status: 'PENDING', approvedAt: null });
      expect(rows.get(o.id).status).toBe('APPROVED');
      // The real time of approval (by this call, or the schedule a moment before it), never the asOf of a day ago.
      expect(new Date(rows.get(o.id).approvedAt).getTime()).toBeGreaterThanOrEqual(t);
      expect(rows.get(o.id).approvedAt).not.toBe(o.dueAt);

      // An operator approves the young one early; approving it again is a CONFLICT naming it.
      const early = (await ok(`mutation($ids: [ID!]!) { approveCommissions(ids: $ids) { id status } }`, { ids: [y.id] })).approveCommissions;
      expect(early).toEqual([{ id: y.id, status: 'APPROVED' }]);
      const again = await gql(`mutation($ids: [ID!]!) { approveCommissions(ids: $ids) { id } }`, { ids: [y.id] });
      expect(again.body.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', param: 'ids.0' });
    });

    it('refunds name their payment: a full refund reverses it, a partial one reduces it pro rata, and a wrong refundOf is NOT_FOUND', async () => {
      const { partnerId, clickId } = await partnerOnPlan(`Refunds ${uid()}`, { currency: 'USD', holdDays: 30, rules: [{ kind: 'REVSHARE', percentage: '12.5' }] });
      const email = `refunds-${uid()}@example.com`;
      const p1 = (await ok(TRACK, { i: { eventType: 'FIRST_DEPOSIT', clickId, email, amount: '200.00', currency: 'USD' } })).trackEvent; // 25.00
      const p2 = (await ok(TRACK, { i: { eventType: 'RECURRING_DEPOSIT', email, amount: '99.99', currency: 'USD' } })).trackEvent; // 12.49875 -> 12.50
      expect(p2.commissions.map((c: any) => c.amount)).toEqual(['12.50']);
      await storedOf(partnerId, [...p1.commissions, ...p2.commissions]);

      const partial = (await ok(TRACK, { i: { eventType: 'REFUND', email, amount: '33.33', currency: 'USD', refundOf: p2.id } })).trackEvent;
      expect(partial.refundOf).toBe(p2.id);
      const full = (await ok(TRACK, { i: { eventType: 'CHARGEBACK', email, refundOf: p1.id } })).trackEvent;
      // 12.50 x 33.33 / 99.99 = 4.1666... -> 4.17, as a negative PENDING adjustment of p2's commission.
      const adjustment = await waitFor('the partial refund to be applied', async () => {
        const c = (await ok(`query($id: ID!) { event(id: $id) { commissions { amount status } } }`, { id: partial.id })).event.commissions;
        return c.length ? c : undefined;
      }, [], 15_000);
      expect(adjustment).toEqual([{ amount: '-4.17', status: 'PENDING' }]);
      await waitFor('the chargeback to reverse the first payment', async () => {
        const c = (await ok(`query($id: ID!) { event(id: $id) { commissions { status } } }`, { id: p1.id })).event.commissions;
        return c[0].status === 'REVERSED' ? true : undefined;
      }, [], 15_000);
      const earnings = (await ok(`query($id: ID!) { partner(id: $id) { earnings(currency: "USD") { pendingIncome reversedIncome } } }`, { id: partnerId })).partner.earnings;
      expect(earnings).toEqual({ pendingIncome: '8.33', reversedIncome: '25.00' }); // 12.50 - 4.17; 25.00

      const stranger = `stranger-${uid()}@example.com`;
      const wrong = await gql(TRACK, { i: { eventType: 'REFUND', email: stranger, amount: '1.00', currency: 'USD', refundOf: p2.id } });
      expect(wrong.body.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', param: 'input.refundOf' });
      const notRefund = await gql(TRACK, { i: { eventType: 'RECURRING_DEPOSIT', email, amount: '1.00', currency: 'USD', refundOf: p2.id } });
      expect(notRefund.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.refundOf' });
      const tooMuch = await gql(TRACK, { i: { eventType: 'REFUND', email, amount: '100.00', currency: 'USD', refundOf: p2.id } });
      expect(tooMuch.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.amount' });
      const traders = (await ok(`query($e: String) { traders(filter: { email: $e }) { totalCount } }`, { e: stranger })).traders.totalCount;
      expect(traders).toBe(0); // nothing stored for the refused refund
    });
  });
}

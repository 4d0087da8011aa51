import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';
import { collect, wsClient } from '../helpers/ws';

const uid = () => randomBytes(4).toString('hex');
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36';
const SUB = `subscription($f: ConversionStreamFilter, $after: String) { conversionRecorded(filter: $f, after: $after) {
  id cursor eventType isConversion amount partner { id name } link { id url } commissions { amount status } } }`;

/** Live conversions through the gateway: federated fields, confinement, resume without loss. */
export function defineSubscriptionTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}, key?: string) => stack().gql(q, v, key);
  async function ok(q: string, v: Record<string, unknown> = {}, key?: string) {
    const res = await gql(q, v, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }
  async function partnerWithLink(name: string) {
    const p = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id name } }`, { i: { name } })).createPartner;
    const link = (await ok(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { id url trackingUrl } }`, { i: { partnerId: p.id, path: '/live' } })).createReferralLink;
    return { partner: p, link };
  }
  async function clickId(trackingUrl: string) {
    const res = await fetch(trackingUrl, { headers: { 'user-agent': UA, 'x-forwarded-for': '81.2.69.163' }, redirect: 'manual' });
    return new URL(res.headers.get('location')!).searchParams.get('click_id')!;
  }
  const track = async (click: string, extra: Record<string, unknown> = {}) =>
    (await ok(`mutation($i: TrackEventInput!) { trackEvent(input: $i) { id cursor } }`, { i: { eventType: 'FIRST_DEPOSIT', clickId: click, email: `live-${uid()}@x.io`, amount: '42.00', currency: 'USD', ...extra } })).trackEvent;

  describe('live conversions (subscriptions through the gateway)', () => {
    it('a subscriber selecting fields of links and commissions receives each event with all of them', async () => {
      const { partner, link } = await partnerWithLink(`Live IB ${uid()}`);
      const plan = await ok(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
        i: { name: `Live plan ${uid()}`, currency: 'USD', holdDays: 7, rules: [{ kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '10' }] },
      });
      await waitFor('the plan assignment', async () => {
        const r = await gql(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: partner.id, plan: plan.createCommissionPlan.id });
        return r.body.errors ? undefined : true;
      }, [], 15_000);
      const { client } = wsClient(stack().gatewayUrl, { apiKey: stack().apiKey });
      const sub = collect(client, SUB, { f: { partnerId: partner.id } });
      try {
        // The subscription is live once it has been set up upstream; poll by sending events until one arrives.
        const c = await clickId(link.trackingUrl);
        const first = await waitFor('the first live message', async () => {
          await track(c);
          return sub.messages[0];
        }, [], 15_000);
        expect(first.errors).toBeUndefined();
        expect(first.data.conversionRecorded).toMatchObject({ eventType: 'FIRST_DEPOSIT', amount: '42.00', partner: { id: partner.id, name: partner.name }, link: { id: link.id, url: link.url } });
        expect(first.data.conversionRecorded.commissions).toEqual([{ amount: '10.00', status: 'PENDING' }]);
      } finally {
        sub.unsubscribe();
        await client.dispose();
      }
    });

    it('bad credentials are refused with 4401', async () => {
      const { client, closed } = wsClient(stack().gatewayUrl, { apiKey: 'rgk_not_a_real_key_000000000000000' });
      collect(client, SUB);
      expect((await closed).code).toBe(4401);
      await client.dispose();
      const none = wsClient(stack().gatewayUrl, {});
      collect(none.client, SUB);
      expect((await none.closed).code).toBe(4401);
      await none.client.dispose();
    });

    it("a partner key only ever receives its own partner's events, and asking for another partner is FORBIDDEN", async () => {
      const mine = await partnerWithLink(`Mine ${uid()}`);
      const other = await partnerWithLink(`Other ${uid()}`);
      const key = (await stack().admin('create-key', '--tenant', stack().tenantId, '--scopes', 'events:read,links:read,commissions:read', '--partner', mine.partner.id)).key;
      const { client } = wsClient(stack().gatewayUrl, { apiKey: key });
      const forbidden = collect(client, SUB, { f: { partnerId: other.partner.id } });
      const sub = collect(client, SUB);
      try {
        await waitFor('the FORBIDDEN answer', async () => (forbidden.messages[0] || forbidden.isDone() ? true : undefined), [], 10_000);
        const err = forbidden.messages[0]?.errors?.[0] ?? (forbidden.error() as any)?.[0];
        expect(err?.extensions?.code ?? err?.message).toMatch(/FORBIDDEN|own conversions/);
        const cMine = await clickId(mine.link.trackingUrl);
        const cOther = await clickId(other.link.trackingUrl);
        await waitFor('own event', async () => {
          await track(cOther);
          await track(cMine);
          return sub.messages.length ? true : undefined;
        }, [], 15_000);
        await track(cOther);
        await track(cMine);
        await waitFor('two own events', async () => (sub.messages.length >= 2 ? true : undefined), [], 10_000);
        expect(sub.messages.every((m) => m.data?.conversionRecorded.partner.id === mine.partner.id)).toBe(true);
      } finally {
        sub.unsubscribe();
        await client.dispose();
      }
    });

    it('a subscriber that misses 50 events resumes with after and gets exactly those 50 in order, then live ones', async () => {
      const { partner, link } = await partnerWithLink(`Resume ${uid()}`);
      const c = await clickId(link.trackingUrl);
      const last = await track(c);
      const missed: string[] = [];
      for (let i = 0; i < 50; i++) missed.push((await track(c, { amount: `${i + 1}.00` })).id);
      const { client } = wsClient(stack().gatewayUrl, { apiKey: stack().apiKey });
      const sub = collect(client, `subscription($f: ConversionStreamFilter, $after: String) { conversionRecorded(filter: $f, after: $after) { id cursor amount } }`, {
        f: { partnerId: partner.id },
        after: last.cursor,
      });
      try {
        await waitFor('the replay', async () => (sub.messages.length >= 50 ? true : undefined), [], 20_000);
        expect(sub.messages.slice(0, 50).map((m) => m.data.conversionRecorded.id)).toEqual(missed);
        const live = await track(c, { amount: '999.00' });
        await waitFor('the live event after the replay', async () => (sub.messages.length >= 51 ? true : undefined), [], 10_000);
        expect(sub.messages.map((m) => m.data.conversionRecorded.id)).toEqual([...missed, live.id]);
      } finally {
        sub.unsubscribe();
        await client.dispose();
      }
    });
  });
}

import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';
import { startReceiver } from '../helpers/receiver';
import { republishFacts } from '../helpers/republish';
import { collect, wsClient } from '../helpers/ws';

const uid = () => randomBytes(4).toString('hex');
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

const SUB = `subscription($after: String, $partnerId: ID, $changes: [CommissionChangeKind!]) {
  commissionChanged(after: $after, partnerId: $partnerId, changes: $changes) {
    cursor change occurredAt commission { id kind tier amount currency status partner { id name } } } }`;
const LOG = `query($after: String, $first: Int, $partnerId: ID) { commissionChanges(after: $after, first: $first, partnerId: $partnerId) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor } nodes { cursor change commission { id kind amount status partner { id } } } } }`;
const CREATE_ENDPOINT = `mutation($i: CreatePostbackEndpointInput!) { createPostbackEndpoint(input: $i) { signingSecret endpoint { id eventTypes } } }`;
const DELIVERIES = `query($f: PostbackDeliveryFilter) { postbackDeliveries(filter: $f, first: 100) { nodes { eventType attempt event { id } } } }`;

/** The receiver verification snippet from the source (the README shows the same text). */
function verifier(): (secret: string, headers: Record<string, unknown>, body: string) => boolean {
  const file = fs.readFileSync(path.resolve(__dirname, '../../subgraphs/events/src/domain/webhook-signature.ts'), 'utf8');
  const code = file.split('// BEGIN VERIFY SNIPPET')[1].split('// END VERIFY SNIPPET')[0].replace('/*', '').replace(/\*\/\s*$/, '');
  // eslint-disable-next-line no-new-func
  return new Function('require', `${code}\nreturn verifyWebhook;`)(require) as never;
}

const position = (cursor: string) => Number(/^ccp:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'))?.[1]);
type Change = { cursor: string; change: string; commission: { id: string; kind: string; amount: string; currency: string; status: string; partner: { id: string; name: string } } };
const brief = (c: Change) => `${c.change} ${c.commission.kind} ${c.commission.amount} ${c.commission.status}`;

/**
 * FonProxy step 6: "the pending transaction is credited to the referrer's balance + referrer
 * is notified". The referrer hears of every change of its commissions through the gateway
 * (commissionChanged), can read the same log without a socket (commissionChanges), and its
 * backend can opt in to commission postbacks.
 */
export function defineCommissionChangeTests(stack: () => Stack): void {
  describe('referrer notifications: commission changes live, in a log and as postbacks', () => {
    const gql = (q: string, v: Record<string, unknown> = {}, key?: string) => stack().gql(q, v, key);
    async function ok(q: string, v: Record<string, unknown> = {}, key?: string) {
      const res = await gql(q, v, key);
      expect(res.body.errors).toBeUndefined();
      return res.body.data;
    }
    async function partner(name: string) {
      const p = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id name } }`, { i: { name } })).createPartner;
      const link = (await ok(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { trackingUrl } }`, { i: { partnerId: p.id, path: '/notify' } })).createReferralLink;
      const res = await fetch(link.trackingUrl, { headers: { 'user-agent': UA, 'x-forwarded-for': '81.2.69.164' }, redirect: 'manual' });
      return { id: p.id as string, name: p.name as string, click: new URL(res.headers.get('location')!).searchParams.get('click_id')! };
    }
    const track = async (i: Record<string, unknown>) => (await ok(`mutation($i: TrackEventInput!) { trackEvent(input: $i) { id } }`, { i })).trackEvent.id as string;

    let mine: Awaited<ReturnType<typeof partner>>;
    let other: Awaited<ReturnType<typeof partner>>;
    let partnerKey: string;
    const email = `referred-${uid()}@example.com`;
    let depositId: string;
    /** Every change the partner's live subscription received, in order. */
    let told: Change[] = [];
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    /** Local receivers work where postbacks may go to loopback (npm start); elsewhere the delivery log is checked. */
    let local: boolean;
    const optIn = { path: `/commissions-${uid()}`, id: '', secret: '' };
    const everything = { path: `/all-${uid()}`, id: '' };

    beforeAll(async () => {
      mine = await partner(`Referrer ${uid()}`);
      other = await partner(`Other referrer ${uid()}`);
      // Hold 0 days: credited as soon as the approval runs.
      const plan = await ok(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
        i: { name: `Notify plan ${uid()}`, currency: 'USD', holdDays: 0, rules: [{ kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '10' }, { kind: 'REVSHARE', percentage: '10' }] },
      });
      for (const p of [mine, other]) {
        await waitFor('the plan assignment', async () => {
          const r = await gql(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: p.id, plan: plan.createCommissionPlan.id });
          return r.body.errors ? undefined : true;
        }, [], 15_000);
      }
      // A partner portal's key: commissions and partner names, no events:read.
      partnerKey = (await stack().admin('create-key', '--tenant', stack().tenantId, '--scopes', 'commissions:read,links:read', '--partner', mine.id)).key;
      receiver = await startReceiver();
      local = !stack().env || stack().env?.POSTBACKS_ALLOW_INSECURE === 'true';
      const target = (p: string) => (local ? receiver.url(p) : `https://hooks.example.com${p}`);
      const a = (await ok(CREATE_ENDPOINT, { i: { url: target(optIn.path), eventTypes: ['COMMISSION_CREATED'] } })).createPostbackEndpoint;
      Object.assign(optIn, { id: a.endpoint.id, secret: a.signingSecret });
      everything.id = (await ok(CREATE_ENDPOINT, { i: { url: target(everything.path), eventTypes: ['*'] } })).createPostbackEndpoint.endpoint.id;
    }, 90_000);
    afterAll(async () => {
      for (const id of [optIn.id, everything.id]) if (id) await gql(`mutation($id: ID!) { deletePostbackEndpoint(id: $id) { deleted } }`, { id });
      await receiver?.close();
    });

    it("the referrer is notified: a partner subscribed through the gateway is told when its commission is created, approved, paid and reversed by a refund, and never of another partner's", async () => {
      // Where the log ends now: subscribing after it misses nothing, however soon the first change comes.
      const head = (await ok(LOG, { first: 1 }, partnerKey)).commissionChanges;
      expect(head).toMatchObject({ totalCount: 0, pageInfo: { hasNextPage: false } });
      const { client } = wsClient(stack().gatewayUrl, { apiKey: partnerKey });
      const sub = collect(client, SUB, { after: head.pageInfo.endCursor });
      const received = async (n: number, what: string) =>
        waitFor(what, async () => {
          if (sub.messages.some((m) => m.errors) || sub.isDone()) throw new Error(JSON.stringify(sub.messages.find((m) => m.errors) ?? sub.error()));
          return sub.messages.length >= n ? (sub.messages.map((m) => m.data.commissionChanged) as Change[]) : undefined;
        }, [], 20_000);
      try {
        await track({ eventType: 'FIRST_DEPOSIT', clickId: other.click, email: `other-${uid()}@example.com`, amount: '300.00', currency: 'USD' });
        depositId = await track({ eventType: 'FIRST_DEPOSIT', clickId: mine.click, email, amount: '100.00', currency: 'USD' });

        const created = await received(2, 'CREATED for the deposit');
        expect(created.map(brief).sort()).toEqual(['CREATED CPA 10.00 PENDING', 'CREATED REVSHARE 10.00 PENDING']);
        expect(created[0].commission).toMatchObject({ currency: 'USD', partner: { id: mine.id, name: mine.name } });

        await ok(`mutation { approveDueCommissions }`);
        const approved = (await received(4, 'APPROVED after the hold')).slice(2);
        expect(approved.map(brief).sort()).toEqual(['APPROVED CPA 10.00 APPROVED', 'APPROVED REVSHARE 10.00 APPROVED']);

        const cpa = created.find((c) => c.commission.kind === 'CPA')!.commission.id;
        await ok(`mutation($ids: [ID!]!) { markCommissionsPaid(ids: $ids) { id } }`, { ids: [cpa] });
        expect((await received(5, 'PAID'))[4]).toMatchObject({ change: 'PAID', commission: { id: cpa, status: 'PAID', amount: '10.00' } });

        await track({ eventType: 'REFUND', email, amount: '100.00', currency: 'USD' });
        const refunded = (await received(7, 'the refund')).slice(5);
        // The unpaid revenue share is reversed; the paid CPA gets a negative adjustment.
        expect(refunded.map(brief).sort()).toEqual(['ADJUSTED CPA -10.00 APPROVED', 'REVERSED REVSHARE 10.00 REVERSED']);

        told = sub.messages.map((m) => m.data.commissionChanged);
        expect(told.every((c) => c.commission.partner.id === mine.id)).toBe(true);
        const positions = told.map((c) => position(c.cursor));
        expect(positions).toEqual([...positions].sort((a, b) => a - b));
        expect(new Set(positions).size).toBe(positions.length);
        // The other partner's changes were logged, before and among these, and never reached this subscriber.
        const theirs = (await ok(LOG, { partnerId: other.id, first: 100 })).commissionChanges.nodes as Change[];
        expect(theirs.map((c) => c.change)).toEqual(expect.arrayContaining(['CREATED', 'CREATED', 'APPROVED', 'APPROVED']));
        expect(Math.min(...theirs.map((c) => position(c.cursor)))).toBeLessThan(positions[0]);
      } finally {
        sub.unsubscribe();
        await client.dispose();
      }
    });

    it("asking for another partner's commission changes with a partner key is FORBIDDEN, live and in the log", async () => {
      const { client } = wsClient(stack().gatewayUrl, { apiKey: partnerKey });
      const sub = collect(client, SUB, { partnerId: other.id });
      try {
        await waitFor('the FORBIDDEN answer', async () => (sub.messages[0] || sub.isDone() ? true : undefined), [], 10_000);
        const err = sub.messages[0]?.errors?.[0] ?? (sub.error() as any)?.[0];
        expect(err?.extensions?.code).toBe('FORBIDDEN');
        expect(sub.messages.every((m) => !m.data?.commissionChanged)).toBe(true);
      } finally {
        sub.unsubscribe();
        await client.dispose();
      }
      const page = await gql(LOG, { partnerId: other.id }, partnerKey);
      expect(page.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(page.body.data?.commissionChanges ?? null).toBeNull();
    });

    it('a subscriber that resumes with after gets exactly the changes it missed, in order, and the log gives the same without a socket', async () => {
      expect(told).toHaveLength(7);
      const { client } = wsClient(stack().gatewayUrl, { apiKey: partnerKey });
      const sub = collect(client, SUB, { after: told[1].cursor });
      try {
        await waitFor('the replay', async () => (sub.messages.length >= 5 ? true : undefined), [], 15_000);
        expect(sub.messages.map((m) => m.data.commissionChanged.cursor)).toEqual(told.slice(2).map((c) => c.cursor));
        expect(sub.messages.map((m) => brief(m.data.commissionChanged))).toEqual(told.slice(2).map(brief));
      } finally {
        sub.unsubscribe();
        await client.dispose();
      }
      const page = (await ok(LOG, { after: told[1].cursor, first: 3 }, partnerKey)).commissionChanges;
      expect(page.nodes.map((c: Change) => c.cursor)).toEqual(told.slice(2, 5).map((c) => c.cursor));
      expect(page.edges.map((e: { cursor: string }) => e.cursor)).toEqual(told.slice(2, 5).map((c) => c.cursor));
      expect(page.pageInfo).toEqual({ hasNextPage: true, endCursor: told[4].cursor });
      expect(page.totalCount).toBe(7);
      const rest = (await ok(LOG, { after: page.pageInfo.endCursor }, partnerKey)).commissionChanges;
      expect(rest.nodes.map((c: Change) => c.cursor)).toEqual(told.slice(5).map((c) => c.cursor));
      expect(rest.pageInfo.hasNextPage).toBe(false);
      const bad = await gql(LOG, { after: 'not-a-cursor' }, partnerKey);
      expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'after' });
    });

    it('an endpoint that opted in to COMMISSION_CREATED receives a signed postback of each new commission; an endpoint with ["*"] receives no commission type', async () => {
      const deliveries = async (endpointId: string, eventId: string) => (await ok(DELIVERIES, { f: { endpointId, eventId } })).postbackDeliveries.nodes as { eventType: string; attempt: number }[];
      const firsts = await waitFor('the commission postbacks', async () => {
        const d = (await deliveries(optIn.id, depositId)).filter((x) => x.attempt === 1);
        return d.length >= 2 ? d : undefined;
      }, [], 20_000);
      expect(firsts.map((d) => d.eventType)).toEqual(['COMMISSION_CREATED', 'COMMISSION_CREATED']);
      // The "*" endpoint got the deposit itself (its deliveries are queued by the same consumers), and no commission type.
      const all = await waitFor('the event postback', async () => {
        const d = await deliveries(everything.id, depositId);
        return d.some((x) => x.eventType === 'FIRST_DEPOSIT') ? d : undefined;
      }, [], 20_000);
      expect(all.filter((d) => d.eventType.startsWith('COMMISSION_'))).toEqual([]);
      const everyType = (await ok(`query($id: ID!) { postbackEndpoint(id: $id) { deliveries(first: 100) { nodes { eventType } } } }`, { id: everything.id })).postbackEndpoint.deliveries.nodes;
      expect(everyType.filter((d: { eventType: string }) => d.eventType.startsWith('COMMISSION_'))).toEqual([]);
      if (!local) return;

      const mineReceived = await waitFor('the signed postbacks', async () => {
        const got = receiver.at(optIn.path).filter((r) => JSON.parse(r.body).data.eventId === depositId);
        return got.length >= 2 ? got : undefined;
      }, [], 20_000);
      const verify = verifier();
      for (const r of mineReceived) {
        const body = JSON.parse(r.body);
        expect(verify(optIn.secret, r.headers, r.body)).toBe(true);
        expect(r.headers['webhook-id']).toBe(body.id);
        expect(body).toMatchObject({ type: 'commission.created', data: { partnerId: mine.id, eventId: depositId, currency: 'USD', amount: '10.00', status: 'PENDING', tier: 0 } });
      }
      expect(mineReceived.map((r) => JSON.parse(r.body).data.kind).sort()).toEqual(['CPA', 'REVSHARE']);
      expect(receiver.at(optIn.path).every((r) => JSON.parse(r.body).type === 'commission.created')).toBe(true);
      expect(receiver.at(everything.path).some((r) => JSON.parse(r.body).data.id === depositId)).toBe(true);
      expect(receiver.at(everything.path).filter((r) => JSON.parse(r.body).type.startsWith('commission.'))).toEqual([]);
    });

    it('a commission.changed fact published again writes one change-log row and queues one postback', async () => {
      const cpa = told.find((c) => c.change === 'CREATED' && c.commission.kind === 'CPA')!.commission.id;
      const { factIds, republished } = await republishFacts(stack(), 'commissions', 'commission.changed', [`"id":"${cpa}"`, '"change":"created"']);
      expect(factIds).toHaveLength(1);
      await waitFor('the relay to publish it again', async () => ((await republished()) ? true : undefined), [], 15_000);
      // A change made after it is consumed after it: once that one is logged and queued, the republished one has been handled.
      const later = await track({ eventType: 'RECURRING_DEPOSIT', email, amount: '50.00', currency: 'USD' });
      const log = await waitFor('the later change in the log', async () => {
        const nodes = (await ok(LOG, { first: 100 }, partnerKey)).commissionChanges.nodes as Change[];
        return nodes.length === 8 ? nodes : undefined;
      }, [], 20_000);
      expect(log.filter((c) => c.commission.id === cpa).map((c) => c.change)).toEqual(['CREATED', 'APPROVED', 'PAID']);
      expect(log[7]).toMatchObject({ change: 'CREATED', commission: { kind: 'REVSHARE', amount: '5.00' } });
      await waitFor('the later postback', async () => {
        const d = (await ok(DELIVERIES, { f: { endpointId: optIn.id, eventId: later } })).postbackDeliveries.nodes;
        return d.length ? true : undefined;
      }, [], 20_000);
      const firsts = (await ok(DELIVERIES, { f: { endpointId: optIn.id, eventId: depositId } })).postbackDeliveries.nodes.filter((d: { attempt: number }) => d.attempt === 1);
      expect(firsts).toHaveLength(2);
      if (local) expect(receiver.at(optIn.path).filter((r) => r.headers['webhook-id'] === `msg_${factIds[0]}_${optIn.id}`)).toHaveLength(1);
    });

    it('a key with neither events:read nor commissions:read cannot open a live connection (4403)', async () => {
      const key = (await stack().admin('create-key', '--tenant', stack().tenantId, '--scopes', 'links:read')).key;
      const { client, closed } = wsClient(stack().gatewayUrl, { apiKey: key });
      collect(client, SUB);
      expect((await closed).code).toBe(4403);
      await client.dispose();
    });
  });
}

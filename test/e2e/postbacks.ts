import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';
import { startReceiver } from '../helpers/receiver';

const uid = () => randomBytes(4).toString('hex');

/** The receiver verification snippet from the source (the README shows the same text). */
function verifier(): (secret: string, headers: Record<string, unknown>, body: string) => boolean {
  const file = fs.readFileSync(path.resolve(__dirname, '../../subgraphs/events/src/domain/webhook-signature.ts'), 'utf8');
  const code = file.split('// BEGIN VERIFY SNIPPET')[1].split('// END VERIFY SNIPPET')[0].replace('/*', '').replace(/\*\/\s*$/, '');
  // eslint-disable-next-line no-new-func
  return new Function('require', `${code}\nreturn verifyWebhook;`)(require) as never;
}

const CREATE = `mutation($i: CreatePostbackEndpointInput!) { createPostbackEndpoint(input: $i) { signingSecret endpoint { id url eventTypes enabled } } }`;
const DELIVERIES = `query($id: ID!) { postbackEndpoint(id: $id) { enabled disabledReason deliveries(first: 50) { nodes { attempt status responseStatus error isTest eventType event { id } } } } }`;

/** Postbacks through the gateway against a real local HTTP receiver. */
export function definePostbackTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }
  const track = async (eventType: string) => (await ok(`mutation($t: EventType!) { trackEvent(input: { eventType: $t, email: "pb-${uid()}@x.io", amount: "12.50", currency: "USD" }) { id } }`, { t: eventType })).trackEvent.id as string;

  describe('postbacks', () => {
    let receiver: Awaited<ReturnType<typeof startReceiver>>;
    beforeAll(async () => {
      receiver = await startReceiver();
    });
    afterAll(async () => {
      await receiver.close();
    });

    it('a tracked event reaches a subscribed endpoint with a signature the README snippet verifies, and not an unsubscribed one', async () => {
      const a = `/a-${uid()}`;
      const b = `/b-${uid()}`;
      const subscribedTo = (await ok(CREATE, { i: { url: receiver.url(a), eventTypes: ['FIRST_DEPOSIT'], description: 'deposits' } })).createPostbackEndpoint;
      await ok(CREATE, { i: { url: receiver.url(b), eventTypes: ['WEBINAR_REGISTRATION'] } });
      expect(subscribedTo.signingSecret).toMatch(/^whsec_/);
      const eventId = await track('FIRST_DEPOSIT');
      const got = await waitFor('the postback', async () => receiver.at(a)[0], [], 15_000);
      const body = JSON.parse(got.body);
      expect(body).toMatchObject({ type: 'referral_event.first_deposit', data: { id: eventId, eventType: 'FIRST_DEPOSIT', amount: '12.50', currency: 'USD' } });
      expect(got.headers['webhook-id']).toBe(body.id);
      expect(verifier()(subscribedTo.signingSecret, got.headers, got.body)).toBe(true);
      expect(verifier()('whsec_' + Buffer.alloc(32).toString('base64'), got.headers, got.body)).toBe(false);
      await new Promise((r) => setTimeout(r, 300)); // bounded wait to show something does NOT arrive
      expect(receiver.at(b)).toHaveLength(0);
      const log = await ok(DELIVERIES, { id: subscribedTo.endpoint.id });
      expect(log.postbackEndpoint.deliveries.nodes[0]).toMatchObject({ attempt: 1, status: 'SUCCEEDED', responseStatus: 200, isTest: false, event: { id: eventId } });
      const listed = await ok(`{ postbackEndpoints(first: 100) { nodes { id } } }`);
      expect(JSON.stringify(listed)).not.toContain('signingSecret');
    });

    it('an endpoint given by host name (http://localhost:<port>) receives its postbacks, not only IP literals', async () => {
      const p = `/by-name-${uid()}`;
      const byName = receiver.url(p).replace('//127.0.0.1:', '//localhost:');
      expect(new URL(byName).hostname).toBe('localhost');
      const created = (await ok(CREATE, { i: { url: byName, eventTypes: ['FIRST_DEPOSIT'] } })).createPostbackEndpoint;
      const eventId = await track('FIRST_DEPOSIT');
      const log = await waitFor('the delivery to be recorded', async () => {
        const d = await ok(DELIVERIES, { id: created.endpoint.id });
        const first = d.postbackEndpoint.deliveries.nodes.find((n: any) => n.attempt === 1);
        return first && first.status !== 'PENDING' ? d.postbackEndpoint.deliveries.nodes : undefined;
      }, [], 15_000);
      // The first attempt itself succeeds: a lookup Node cannot use fails every attempt ("Invalid IP address").
      expect(log.find((n: any) => n.attempt === 1)).toMatchObject({ status: 'SUCCEEDED', responseStatus: 200, error: null, event: { id: eventId } });
      const got = receiver.at(p);
      expect(got).toHaveLength(1);
      expect(got[0].headers.host).toBe(new URL(byName).host);
      expect(verifier()(created.signingSecret, got[0].headers, got[0].body)).toBe(true);
      const test = (await ok(`mutation($id: ID!) { sendTestPostback(endpointId: $id) { status responseStatus error } }`, { id: created.endpoint.id })).sendTestPostback;
      expect(test).toEqual({ status: 'SUCCEEDED', responseStatus: 200, error: null });
    });

    it('a receiver failing twice then succeeding gets three attempts, with growing delays', async () => {
      const p = `/flaky-${uid()}`;
      receiver.plan(p, [500, 503, 200]);
      const ep = (await ok(CREATE, { i: { url: receiver.url(p), eventTypes: ['*'] } })).createPostbackEndpoint.endpoint;
      await track('SUBSCRIPTION');
      await waitFor('three attempts', async () => (receiver.at(p).length >= 3 ? true : undefined), [], 20_000);
      const [r1, r2, r3] = receiver.at(p);
      expect(new Set([r1, r2, r3].map((r) => r.headers['webhook-id'])).size).toBe(1);
      expect(r3.at - r2.at).toBeGreaterThan(r2.at - r1.at);
      const log = await waitFor('the log', async () => {
        const d = await ok(DELIVERIES, { id: ep.id });
        return d.postbackEndpoint.deliveries.nodes.length === 3 && d.postbackEndpoint.deliveries.nodes[0].status === 'SUCCEEDED' ? d : undefined;
      }, [], 10_000);
      expect(log.postbackEndpoint.deliveries.nodes.map((n: any) => [n.attempt, n.status, n.responseStatus])).toEqual([
        [3, 'SUCCEEDED', 200],
        [2, 'RETRYING', 503],
        [1, 'RETRYING', 500],
      ]);
      expect(log.postbackEndpoint.deliveries.nodes[2].error).toContain('status 500 from the test receiver');
    });

    it('deleting an endpoint cancels its queued retries', async () => {
      const p = `/down-${uid()}`;
      receiver.plan(p, [500]);
      const ep = (await ok(CREATE, { i: { url: receiver.url(p), eventTypes: ['*'] } })).createPostbackEndpoint.endpoint;
      await track('EMAIL_SIGNUP');
      await waitFor('the first failure', async () => (receiver.at(p).length >= 1 ? true : undefined), [], 15_000);
      expect((await ok(`mutation($id: ID!) { deletePostbackEndpoint(id: $id) { id deleted } }`, { id: ep.id })).deletePostbackEndpoint.deleted).toBe(true);
      const seen = receiver.at(p).length;
      await new Promise((r) => setTimeout(r, 2500)); // longer than the next scheduled retry (1 s)
      expect(receiver.at(p).length).toBe(seen);
      const gone = await gql(DELIVERIES, { id: ep.id });
      expect(gone.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    });

    it('a 410 Gone disables the endpoint', async () => {
      const p = `/gone-${uid()}`;
      receiver.plan(p, [410]);
      const ep = (await ok(CREATE, { i: { url: receiver.url(p), eventTypes: ['*'] } })).createPostbackEndpoint.endpoint;
      await track('CONTENT_DOWNLOAD');
      const state = await waitFor('the endpoint to be disabled', async () => {
        const d = await ok(DELIVERIES, { id: ep.id });
        return d.postbackEndpoint.enabled ? undefined : d.postbackEndpoint;
      }, [], 15_000);
      expect(state.disabledReason).toContain('410');
      expect(state.deliveries.nodes[0]).toMatchObject({ status: 'FAILED', responseStatus: 410 });
    });

    it('a test postback arrives, marked isTest, and a delivery can be sent again', async () => {
      const p = `/test-${uid()}`;
      const created = (await ok(CREATE, { i: { url: receiver.url(p), eventTypes: ['FIRST_TRADE'] } })).createPostbackEndpoint;
      const d = (await ok(`mutation($id: ID!) { sendTestPostback(endpointId: $id) { id isTest status attempt eventType responseStatus } }`, { id: created.endpoint.id })).sendTestPostback;
      expect(d).toMatchObject({ isTest: true, status: 'SUCCEEDED', attempt: 1, eventType: 'REGISTRATION', responseStatus: 200 });
      const got = receiver.at(p)[0];
      expect(JSON.parse(got.body)).toMatchObject({ type: 'referral_event.registration', data: { eventType: 'REGISTRATION' } });
      expect(verifier()(created.signingSecret, got.headers, got.body)).toBe(true);
      const again = (await ok(`mutation($id: ID!) { redeliverPostback(deliveryId: $id) { attempt status } }`, { id: d.id })).redeliverPostback;
      expect(again).toEqual({ attempt: 2, status: 'SUCCEEDED' });
      expect(receiver.at(p).map((r) => r.headers['webhook-id'])).toEqual([got.headers['webhook-id'], got.headers['webhook-id']]);
    });

    it('after a rotation both the old and the new secret verify for a while', async () => {
      const p = `/rot-${uid()}`;
      const created = (await ok(CREATE, { i: { url: receiver.url(p), eventTypes: ['*'] } })).createPostbackEndpoint;
      const rotated = (await ok(`mutation($id: ID!) { rotatePostbackSecret(id: $id) { signingSecret } }`, { id: created.endpoint.id })).rotatePostbackSecret;
      expect(rotated.signingSecret).not.toBe(created.signingSecret);
      await ok(`mutation($id: ID!) { sendTestPostback(endpointId: $id) { status } }`, { id: created.endpoint.id });
      const got = receiver.at(p)[0];
      expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(verifier()(created.signingSecret, got.headers, got.body)).toBe(true);
      expect(verifier()(rotated.signingSecret, got.headers, got.body)).toBe(true);
    });

    it('cloud metadata and link-local targets are refused even in insecure mode, and bad event types too', async () => {
      for (const url of ['http://169.254.169.254/latest/meta-data', 'http://[fe80::1]/hook', 'ftp://example.com/x']) {
        const res = await gql(CREATE, { i: { url, eventTypes: ['*'] } });
        expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.url' });
      }
      const types = await gql(CREATE, { i: { url: receiver.url('/x'), eventTypes: ['NOPE'] } });
      expect(types.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.eventTypes' });
    });
  });
}

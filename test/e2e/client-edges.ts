import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { Stack, waitFor } from '../helpers/harness';
import { collect, wsClient } from '../helpers/ws';

const uid = () => randomBytes(4).toString('hex');

/** A GET as urql and graphql-request (method GET) send it: the operation in the URL, no content-type. */
async function post(stack: Stack, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

async function get(stack: Stack, query: string, headers: Record<string, string>): Promise<{ status: number; json: any }> {
  const url = new URL(stack.gatewayUrl);
  url.searchParams.set('query', query);
  const res = await fetch(url, { headers });
  return { status: res.status, json: await res.json() };
}

/** Opens a WebSocket to the gateway offering `protocols`; resolves with how it closed. */
function closeOf(stack: Stack, protocols: string[]): Promise<{ code: number; reason: string; protocol: string; error?: string }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(stack.gatewayUrl.replace(/^http/, 'ws'), protocols);
    let error: string | undefined;
    socket.on('error', (err) => (error = err.message));
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString(), protocol: socket.protocol, error }));
  });
}

/**
 * Issue 18: what GraphQL clients send by default, answered usefully: GET queries with our
 * credentials pass the CSRF check; a legacy
 * subscriptions-transport-ws client is told to use graphql-ws; @defer is refused saying what to
 * do instead.
 */
export function defineClientEdgeTests(stack: () => Stack): void {
  describe('CSRF prevention knows our credentials (issue 18)', () => {
    it('a GET query with x-api-key and no content-type (urql, graphql-request GET) is 200', async () => {
      const res = await get(stack(), '{ __typename }', { 'x-api-key': stack().apiKey });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ data: { __typename: 'Query' } });
    });

    it('a GET query with authorization: Bearer <key> and no content-type is 200', async () => {
      const res = await get(stack(), '{ __typename }', { authorization: `Bearer ${stack().apiKey}` });
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ data: { __typename: 'Query' } });
    });

    it('a GET without credentials or a preflight header is still refused as a possible CSRF (400 BAD_REQUEST)', async () => {
      const res = await get(stack(), '{ __typename }', {});
      expect(res.status).toBe(400);
      expect(res.json.errors).toHaveLength(1);
      expect(res.json.errors[0].extensions).toEqual({ code: 'BAD_REQUEST' });
      expect(res.json.errors[0].message).toMatch(/^This operation has been blocked as a potential Cross-Site Request Forgery \(CSRF\)/);
      expect(res.json.data).toBeUndefined();
    });

    it('a mutation over GET, even with a key, is 405 and changes nothing (GraphQL over HTTP)', async () => {
      const name = `csrf-get-${uid()}`;
      const res = await get(stack(), `mutation { createPartner(input: { name: "${name}" }) { id } }`, { 'x-api-key': stack().apiKey });
      expect(res.status).toBe(405);
      expect(res.json.errors[0].extensions).toEqual({ code: 'BAD_REQUEST' });
      expect(res.json.errors[0].message).toBe('GET requests only support query operations, not mutation operations');
      const found = await stack().gql(`query($s: String) { partners(filter: { search: $s }) { totalCount } }`, { s: name });
      expect(found.body.data.partners.totalCount).toBe(0);
    });
  });

  describe('legacy subscriptions-transport-ws clients (issue 18)', () => {
    it('a client offering the old graphql-ws subprotocol is closed with 4406 and a reason naming graphql-ws, not 1006', async () => {
      const closed = await closeOf(stack(), ['graphql-ws']);
      expect(closed).toEqual({
        code: 4406,
        reason: 'subscriptions-transport-ws is not supported: use graphql-ws (graphql-transport-ws subprotocol)',
        protocol: 'graphql-ws',
        error: undefined,
      });
    });

    it('a client offering both subprotocols gets graphql-transport-ws and stays connected', async () => {
      const socket = new WebSocket(stack().gatewayUrl.replace(/^http/, 'ws'), ['graphql-ws', 'graphql-transport-ws']);
      try {
        await new Promise((resolve, reject) => {
          socket.once('open', resolve);
          socket.once('error', reject);
        });
        expect(socket.protocol).toBe('graphql-transport-ws');
        socket.send(JSON.stringify({ type: 'connection_init', payload: { apiKey: stack().apiKey } }));
        const ack = await new Promise((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data)))));
        expect(ack).toEqual({ type: 'connection_ack' });
      } finally {
        socket.close();
      }
    });
  });

  describe('@defer is refused with the alternative (issue 18)', () => {
    const deferred = '{ partners(first: 1) { totalCount ... @defer(label: "slow") { nodes { id clickCount } } } }';
    const expected = [
      {
        message:
          'the @defer directive is not supported: this gateway has no incremental delivery (every answer comes whole, in one response). Send the query without @defer, or split it into two queries (the fast fields first); for data that changes, use a subscription',
        extensions: { code: 'BAD_REQUEST', reason: 'defer_not_supported' },
      },
    ];

    it('a query using @defer, POST or GET, is 400 BAD_REQUEST (reason defer_not_supported) naming what to send instead, not "Unknown directive"', async () => {
      const posted = await post(stack(), { query: deferred });
      expect(posted.status).toBe(400);
      expect(posted.json).toEqual({ errors: expected });
      const got = await get(stack(), deferred, { 'x-api-key': stack().apiKey });
      expect(got.status).toBe(400);
      expect(got.json).toEqual({ errors: expected });
      // The same query without @defer runs.
      const whole = await post(stack(), { query: deferred.replace(' @defer(label: "slow")', '') });
      expect(whole.status).toBe(200);
      expect(typeof whole.json.data.partners.totalCount).toBe('number');
    });

    it('"@defer" in a string value or a comment is not the directive: the query runs', async () => {
      const res = await post(stack(), { query: '# no @defer here\n{ partners(first: 1, filter: { search: "@defer" }) { totalCount } }' });
      expect(res.status).toBe(200);
      expect(res.json.data.partners.totalCount).toBe(0);
    });

    it('a subscription using @defer over WebSocket gets the same error', async () => {
      const { client } = wsClient(stack().gatewayUrl, { apiKey: stack().apiKey });
      try {
        const sub = collect(client, 'subscription { conversionRecorded { id ... @defer { partner { name } } } }');
        const error = await waitFor('the refusal', async () => (sub.isDone() ? sub.error() : undefined), [], 10_000);
        expect(error).toEqual(expected);
      } finally {
        await client.dispose();
      }
    });
  });
}

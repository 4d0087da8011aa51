import { Stack, startEmbedded, waitFor } from '../helpers/harness';
import { collect, wsClient } from '../helpers/ws';

/** OAuth client credentials (Track360) and partner tokens, through the gateway. */
describe('OAuth client credentials and partner tokens', () => {
  let stack: Stack;
  const clientId = 'cli_demo_test_client';
  const clientSecret = 'cs_demo_secret_for_the_tests_0123456789';
  beforeAll(async () => {
    stack = await startEmbedded({ DEMO_CLIENT_ID: clientId, DEMO_CLIENT_SECRET: clientSecret, OAUTH_TOKEN_TTL_SECONDS: '3', CREDENTIAL_CACHE_MS: '0' });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  const tokenUrl = () => `${stack.origin}/oauth/token`;
  const form = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(tokenUrl(), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });
  const bearer = (token: string, query: string, variables: Record<string, unknown> = {}) =>
    fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });

  it('a client exchanges its credentials for a bearer token that works until it expires', async () => {
    const res = await form({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3 });
    expect(body.scope.split(' ')).toContain('events:write');
    const ok = await bearer(body.access_token, '{ partners(first: 1) { totalCount } }');
    expect(ok.status).toBe(200);
    const basic = await form({ grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` });
    expect(basic.status).toBe(200);
    const tampered = body.access_token.slice(0, -4) + (body.access_token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await bearer(tampered, '{ __typename }')).status).toBe(401);
    await waitFor('the token to expire', async () => ((await bearer(body.access_token, '{ __typename }')).status === 401 ? true : undefined), [], 15_000);
  });

  it('wrong grant types, clients and scopes get OAuth error bodies', async () => {
    const grant = await form({ grant_type: 'password', client_id: clientId, client_secret: clientSecret });
    expect(grant.status).toBe(400);
    expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const wrong = await form({ grant_type: 'client_credentials', client_id: clientId, client_secret: 'nope' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: 'invalid_client' });
    const limited = await stack.admin('create-client', '--tenant', stack.tenantId, '--scopes', 'events:read');
    const scope = await form({ grant_type: 'client_credentials', client_id: limited.clientId, client_secret: limited.clientSecret, scope: 'events:write' });
    expect(scope.status).toBe(400);
    expect(await scope.json()).toMatchObject({ error: 'invalid_scope' });
    const missing = await form({ client_id: clientId, client_secret: clientSecret });
    expect(await missing.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('revoking a client stops its tokens', async () => {
    const c = await stack.admin('create-client', '--tenant', stack.tenantId, '--scopes', 'links:read');
    const t = (await (await form({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret })).json()) as any;
    expect((await bearer(t.access_token, '{ partners(first: 1) { totalCount } }')).status).toBe(200);
    await stack.admin('revoke-client', c.clientId);
    expect((await bearer(t.access_token, '{ partners(first: 1) { totalCount } }')).status).toBe(401);
  });

  it('a tenant credential mints a partner token that sees only that partner, in queries and subscriptions', async () => {
    const mk = async (name: string) => (await stack.gql(`mutation($n: String!) { createPartner(input: { name: $n }) { id } }`, { n: name })).body.data.createPartner.id as string;
    const a = await mk('Portal A');
    const b = await mk('Portal B');
    const mint = (body: unknown, key = stack.apiKey) => fetch(`${stack.origin}/oauth/partner-token`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(body) });
    const res = await mint({ partnerId: a, expiresIn: 600 });
    expect(res.status).toBe(200);
    const token = (await res.json()) as any;
    expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 600, partner_id: a });
    const viewer = (await (await bearer(token.access_token, '{ viewer { id } }')).json()) as any;
    expect(viewer.data.viewer.id).toBe(a);
    const other = (await (await bearer(token.access_token, 'query($id: ID!) { partner(id: $id) { id } }', { id: b })).json()) as any;
    expect(other.errors[0].extensions.code).toBe('NOT_FOUND');
    const write = (await (await bearer(token.access_token, 'mutation { trackEvent(input: { eventType: REGISTRATION }) { id } }')).json()) as any;
    expect(write.errors[0].extensions.code).toBe('FORBIDDEN');
    const { client } = wsClient(stack.gatewayUrl, { authorization: `Bearer ${token.access_token}` });
    const sub = collect(client, 'subscription($p: ID) { conversionRecorded(filter: { partnerId: $p }) { id } }', { p: b });
    await waitFor('the refusal', async () => (sub.isDone() || sub.messages.length ? true : undefined), [], 10_000);
    expect(JSON.stringify(sub.error() ?? sub.messages)).toMatch(/FORBIDDEN|own conversions/);
    await client.dispose();
    // Partner tokens cannot mint partner tokens, name unknown partners, or grant more than the caller has.
    const fromPartner = await fetch(`${stack.origin}/oauth/partner-token`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token.access_token}` }, body: JSON.stringify({ partnerId: a }) });
    expect(fromPartner.status).toBe(403);
    expect((await mint({ partnerId: 'prt_00000000000000000000000000' })).status).toBe(404);
    const weakKey = (await stack.admin('create-key', '--tenant', stack.tenantId, '--scopes', 'links:read')).key as string;
    expect((await mint({ partnerId: a, scopes: ['events:write'] }, weakKey)).status).toBe(403);
  });

  it("a partner token lists only the KYC referral codes the partner owns (userId = its externalId)", async () => {
    const p = (await stack.gql(`mutation { createPartner(input: { name: "Code owner", externalId: "owner-ext-1" }) { id } }`)).body.data.createPartner.id;
    await stack.gql(`mutation { createReferralCode(input: { userId: "owner-ext-1", referralCode: "OWNED_CODE_1" }) { id } }`);
    await stack.gql(`mutation { createReferralCode(input: { userId: "someone-else", referralCode: "NOT_MINE_1" }) { id } }`);
    const minted = await fetch(`${stack.origin}/oauth/partner-token`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey }, body: JSON.stringify({ partnerId: p }) });
    const token = ((await minted.json()) as any).access_token as string;
    const list = await waitFor('kyc to learn the partner', async () => {
      const r = (await (await bearer(token, '{ referralCodes { nodes { referralCode } } }')).json()) as any;
      return r.data?.referralCodes.nodes.length ? r.data.referralCodes.nodes : undefined;
    }, [], 15_000);
    expect(list).toEqual([{ referralCode: 'OWNED_CODE_1' }]);
    const notMine = (await (await bearer(token, '{ referralCode(code: "NOT_MINE_1") { id } }')).json()) as any;
    expect(notMine.errors[0].extensions.code).toBe('NOT_FOUND');
  });

  it("a partner token sees the postback deliveries of its own events, and not the endpoints", async () => {
    const { startReceiver } = await import('../helpers/receiver');
    const receiver = await startReceiver();
    try {
      await stack.gql(`mutation($u: String!) { createPostbackEndpoint(input: { url: $u, eventTypes: ["*"] }) { endpoint { id } } }`, { u: receiver.url('/p') });
      const mk = async (code: string) => (await stack.gql(`mutation($c: String) { createPartner(input: { name: "PB partner", referralCode: $c }) { id } }`, { c: code })).body.data.createPartner.id as string;
      const mine = await mk('pb_mine_code');
      await mk('pb_other_code');
      const track = (code: string) => stack.gql(`mutation($c: String) { trackEvent(input: { eventType: REGISTRATION, email: "pb${Math.random()}@x.io", referralCode: $c }) { id partner { id } } }`, { c: code });
      const ownEvent = await waitFor('an attributed event', async () => {
        const r = await track('pb_mine_code');
        return r.body.data.trackEvent.partner ? r.body.data.trackEvent.id : undefined;
      }, [], 15_000);
      await waitFor('the other partner attributed too', async () => ((await track('pb_other_code')).body.data.trackEvent.partner ? true : undefined), [], 15_000);
      const minted = await fetch(`${stack.origin}/oauth/partner-token`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey }, body: JSON.stringify({ partnerId: mine }) });
      const token = ((await minted.json()) as any).access_token as string;
      const seen = await waitFor('the delivery of its event', async () => {
        const r = (await (await bearer(token, '{ postbackDeliveries(first: 100) { nodes { event { id partner { id } } status } } }')).json()) as any;
        return r.data?.postbackDeliveries.nodes.some((n: any) => n.event.id === ownEvent) ? r.data.postbackDeliveries.nodes : undefined;
      }, [], 15_000);
      expect(seen.every((n: any) => n.event.partner.id === mine)).toBe(true);
      const endpoint = (await (await bearer(token, '{ postbackDeliveries(first: 1) { nodes { endpoint { url } } } }')).json()) as any;
      expect(endpoint.errors[0].extensions.code).toBe('FORBIDDEN');
    } finally {
      await receiver.close();
    }
  });
});

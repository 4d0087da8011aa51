import http from 'node:http';
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { Stack } from '../helpers/harness';
import { awayFromWindowEdge } from '../helpers/rate-limiter-scenarios';

/** AUTH_FAILURES_PER_MINUTE's default, which the shared stacks run with. */
const LIMIT = 30;

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

/**
 * An HTTP request from a chosen loopback address (Linux answers on all of 127.0.0.0/8):
 * each test is a client of its own, and the harness trusts only 127.0.0.1 as a proxy.
 */
function send(url: string, opts: { from: string; headers?: Record<string, string>; body?: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', localAddress: opts.from, headers: opts.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** graphql-ws's connection_init with `payload`: `ack`, or how the gateway closed the socket. */
function connectionInit(gatewayUrl: string, payload: Record<string, unknown>, from: string, headers: Record<string, string> = {}): Promise<'ack' | { code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(gatewayUrl.replace(/^http/, 'ws'), 'graphql-transport-ws', { localAddress: from, headers });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload })));
    ws.on('message', (m) => {
      if (JSON.parse(m.toString()).type !== 'connection_ack') return;
      resolve('ack');
      ws.close();
    });
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on('error', reject);
  });
}

/** A prom-client counter's value for these labels on the gateway's /metrics. */
async function counter(stack: Stack, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${stack.origin}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

const unknownKey = () => `rgk_${randomBytes(32).toString('base64url')}`;

export function defineAuthThrottlingTests(getStack: () => Stack) {
  describe('throttling stops attackers, not customers', () => {
    const graphql = (stack: Stack, key: string, from: string, headers: Record<string, string> = {}) =>
      send(stack.gatewayUrl, { from, headers: { 'content-type': 'application/json', 'x-api-key': key, ...headers }, body: JSON.stringify({ query: '{ __typename }' }) });

    it('/oauth/token: 100 wrong secrets for a client_id, then the right one, is 429 with Retry-After; a client_id of another tenant still gets its token', async () => {
      const stack = getStack();
      const attacked = await stack.admin('create-client', '--tenant', stack.tenantId, '--scopes', 'links:read');
      const other = await stack.admin('create-tenant', '--name', `Other ${randomBytes(3).toString('hex')}`);
      const bystander = await stack.admin('create-client', '--tenant', other.id, '--scopes', 'links:read');
      const token = (clientId: string, secret: string) =>
        send(`${stack.origin}/oauth/token`, {
          from: '127.0.0.21',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }).toString(),
        });
      const throttledBefore = await counter(stack, 'gateway_auth_throttled_total', 'endpoint="oauth_token",counted_per="client_id"');
      // The count is per calendar minute: start with time for all 101 attempts in one.
      await awayFromWindowEdge(8_000);
      const wrongSecrets = Array.from({ length: 100 }, (_, i) => `wrong-secret-${i}-${randomBytes(12).toString('hex')}`);
      const statuses: number[] = [];
      for (const secret of wrongSecrets) statuses.push((await token(attacked.clientId, secret)).status);
      expect(statuses).toEqual([...Array(LIMIT).fill(401), ...Array(100 - LIMIT).fill(429)]);

      const right = await token(attacked.clientId, attacked.clientSecret);
      expect(right.status).toBe(429);
      expect(right.body).toMatchObject({ error: 'too_many_requests' });
      expect(right.body.error_description).toMatch(/^too many failed attempts for this client_id \(AUTH_FAILURES_PER_MINUTE 30\); retry after \d+ s$/);
      const retryAfter = Number(right.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(right.headers['cache-control']).toBe('no-store');

      // Another tenant's client, from the very same address, is not affected.
      const theirs = await token(bystander.clientId, bystander.clientSecret);
      expect(theirs.status).toBe(200);
      expect(theirs.body.access_token).toEqual(expect.any(String));

      expect(await counter(stack, 'gateway_auth_throttled_total', 'endpoint="oauth_token",counted_per="client_id"')).toBe(throttledBefore + 71);
      // Logged by client_id, never with a secret.
      const output = stack.procs.map((p) => p.output()).join('\n');
      expect(output).toContain(`"countedPer":"client_id","subject":"${attacked.clientId}"`);
      for (const secret of [...wrongSecrets, attacked.clientSecret]) expect(output).not.toContain(secret);
    }, 60_000);

    it('/graphql: unknown keys from an address throttle that address, but a valid key from the same address still works', async () => {
      const stack = getStack();
      const from = '127.0.0.22';
      const statuses: number[] = [];
      const before = await counter(stack, 'gateway_auth_failures_total', 'endpoint="graphql",counted_per="address"');
      await awayFromWindowEdge(5_000);
      for (let i = 0; i <= LIMIT; i++) statuses.push((await graphql(stack, unknownKey(), from)).status);
      expect(statuses).toEqual([...Array(LIMIT).fill(401), 429]);
      const refused = await graphql(stack, unknownKey(), from);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(refused.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'AUTH_FAILURES_PER_MINUTE' });
      expect(refused.body.errors[0].message).toMatch(/^too many unknown credentials from this address \(AUTH_FAILURES_PER_MINUTE 30\); retry after \d+ s \(valid credentials are not affected\)$/);
      expect(await counter(stack, 'gateway_auth_failures_total', 'endpoint="graphql",counted_per="address"')).toBe(before + LIMIT + 2);

      // The customer behind the same address (the same NAT, the same load balancer) is served.
      const valid = await graphql(stack, stack.apiKey, from);
      expect(valid.status).toBe(200);
      expect(valid.body).toEqual({ data: { __typename: 'Query' } });
      // Another address's mistake is still a plain 401.
      expect((await graphql(stack, unknownKey(), '127.0.0.23')).status).toBe(401);
    }, 60_000);

    it('/oauth/partner-token: a requester refused over and over is throttled, the tenant\'s other credentials are not; unknown credentials count against the address', async () => {
      const stack = getStack();
      const created = await stack.gql(`mutation($c: String!) { createPartner(input: { name: "Throttle partner", referralCode: $c }) { id } }`, { c: `thr${randomBytes(4).toString('hex')}` });
      const partnerId = created.body.data.createPartner.id;
      const requester = await stack.admin('create-key', '--tenant', stack.tenantId, '--scopes', 'all', '--name', 'partner portal');
      const mint = (key: string, partner: string, from: string) =>
        send(`${stack.origin}/oauth/partner-token`, { from, headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ partnerId: partner }) });

      await awayFromWindowEdge(8_000);
      // Asking for partners that are not the tenant's: 404, each one a failure of this requester.
      const statuses: number[] = [];
      for (let i = 0; i < LIMIT; i++) statuses.push((await mint(requester.key, `prt_missing_${i}`, '127.0.0.24')).status);
      expect(statuses).toEqual(Array(LIMIT).fill(404));
      const locked = await mint(requester.key, partnerId, '127.0.0.24');
      expect(locked.status).toBe(429);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(locked.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'AUTH_FAILURES_PER_MINUTE' });
      expect(locked.body.errors[0].message).toMatch(/^too many refused partner-token requests by this credential/);
      // The tenant's other key, from the same address, mints its token.
      const other = await mint(stack.apiKey, partnerId, '127.0.0.24');
      expect(other.status).toBe(200);
      expect(other.body.partner_id).toBe(partnerId);

      // Keys that do not exist: counted against the address, and a valid key from it still mints.
      const guesses: number[] = [];
      for (let i = 0; i <= LIMIT; i++) guesses.push((await mint(unknownKey(), partnerId, '127.0.0.25')).status);
      expect(guesses).toEqual([...Array(LIMIT).fill(401), 429]);
      expect((await mint(stack.apiKey, partnerId, '127.0.0.25')).status).toBe(200);
    }, 60_000);

    it('WebSocket connection_init: unknown tokens are closed 4401, then 4429 once the address is over; a valid key from the address connects', async () => {
      const stack = getStack();
      const from = '127.0.0.26';
      await awayFromWindowEdge(8_000);
      const closes: unknown[] = [];
      for (let i = 0; i <= LIMIT; i++) closes.push(await connectionInit(stack.gatewayUrl, { authorization: `Bearer ${unknownKey()}` }, from));
      expect(closes.slice(0, LIMIT)).toEqual(Array(LIMIT).fill({ code: 4401, reason: 'Unauthorized: the API key is unknown, revoked or expired' }));
      expect(closes[LIMIT]).toEqual({ code: 4429, reason: expect.stringMatching(/^Too many failed authentication attempts from this address; retry after \d+ s$/) });
      // A forged access token is as unknown as a guessed key.
      const forged = 'eyJhbGciOiJIUzI1NiJ9.eyJ0aWQiOiJ0ZW5fMSJ9.' + randomBytes(32).toString('base64url');
      expect(await connectionInit(stack.gatewayUrl, { authorization: `Bearer ${forged}` }, from)).toMatchObject({ code: 4429 });
      expect(await connectionInit(stack.gatewayUrl, { apiKey: stack.apiKey }, from)).toBe('ack');
      expect(await counter(stack, 'gateway_auth_throttled_total', 'endpoint="websocket",counted_per="address"')).toBeGreaterThanOrEqual(2);
    }, 60_000);

    it('TRUSTED_PROXIES: behind a trusted proxy the X-Forwarded-For client is throttled, not the proxy; from an untrusted address the header is ignored', async () => {
      const stack = getStack();
      await awayFromWindowEdge(5_000);
      // 127.0.0.1 is the trusted proxy (the harness's TRUSTED_PROXIES); 203.0.113.7 the client behind it.
      const viaProxy = (client: string, key = unknownKey()) => graphql(stack, key, '127.0.0.1', { 'x-forwarded-for': `198.51.100.99, ${client}` });
      const statuses: number[] = [];
      for (let i = 0; i <= LIMIT; i++) statuses.push((await viaProxy('203.0.113.7')).status);
      expect(statuses).toEqual([...Array(LIMIT).fill(401), 429]);
      // Another client behind the same proxy is not the one throttled, nor is the proxy's own traffic.
      expect((await viaProxy('203.0.113.8')).status).toBe(401);
      expect((await graphql(stack, unknownKey(), '127.0.0.1')).status).toBe(401);
      expect((await viaProxy('203.0.113.7', stack.apiKey)).status).toBe(200);

      // From 127.0.0.27 (not trusted) each request claims another client: ignored, the socket address is counted.
      const spoofed: number[] = [];
      for (let i = 0; i <= LIMIT; i++) spoofed.push((await graphql(stack, unknownKey(), '127.0.0.27', { 'x-forwarded-for': `203.0.113.${100 + i}` })).status);
      expect(spoofed).toEqual([...Array(LIMIT).fill(401), 429]);
      // Claiming to be the throttled client from an untrusted address is not being it.
      expect((await graphql(stack, unknownKey(), '127.0.0.28', { 'x-forwarded-for': '203.0.113.7' })).status).toBe(401);
    }, 60_000);
  });
}

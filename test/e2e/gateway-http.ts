import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { buildClientSchema, getIntrospectionQuery, printSchema } from 'graphql';
import { run, Stack } from '../helpers/harness';

const uid = () => randomBytes(4).toString('hex');

/** Nothing internal in an error body: no subgraph URL, upstream response or stack. */
function expectNoLeak(body: unknown): void {
  const text = JSON.stringify(body);
  expect(text).not.toContain('http://');
  expect(text).not.toContain('response');
  expect(text).not.toContain('stack');
  expect(text).not.toContain('serviceName');
}

/** The admin command against the stack's database, with its exit code and everything it printed. */
async function adminOutput(stack: Stack, ...args: string[]): Promise<{ code: number | null; output: string }> {
  const env: Record<string, string> = stack.env?.DATABASE_URL ? { DATABASE_URL: stack.env.DATABASE_URL } : { DATA_DIR: stack.dataDir! };
  const proc = run('admin', 'gateway/src/admin.js', env, args);
  const { code } = await proc.exited;
  return { code, output: proc.output() };
}

export interface GatewayHttpLayout {
  /** An origin the stack's CORS_ORIGINS allows (npm start allows http://localhost:* by default); none in production. */
  allowedBrowserOrigin?: string;
}

/**
 * The gateway's own HTTP behaviour, run against the embedded stack and the production
 * layout: malformed custom scalars, OAuth clients with the tenant's own ids, CORS.
 */
export function defineGatewayHttpTests(stack: () => Stack, layout: GatewayHttpLayout): void {
  it('introspection at /graphql answers exactly schema/api.graphql, the schema clients generate types from', async () => {
    const res = await stack().gql(getIntrospectionQuery());
    expect(res.body.errors).toBeUndefined();
    const served = printSchema(buildClientSchema(res.body.data)).trimEnd() + '\n';
    expect(served).toBe(fs.readFileSync(path.resolve(__dirname, '..', '..', 'schema', 'api.graphql'), 'utf8'));
  });

  describe('malformed Decimal, DateTime and Date values', () => {
    it('an amount of "abc" written in the query is BAD_USER_INPUT naming input.amount, and nothing is stored', async () => {
      const email = `abc-${uid()}@example.com`;
      const res = await stack().gql(`mutation { trackEvent(input: { eventType: FIRST_DEPOSIT, email: "${email}", amount: "abc", currency: "USD" }) { id } }`);
      expect(res.status).toBe(400);
      expect(res.body.errors).toHaveLength(1);
      expect(res.body.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', param: 'input.amount' });
      expect(res.body.errors![0].message).toBe('Decimal must be a decimal number such as "20.00"; got "abc"');
      expectNoLeak(res.body);
      const traders = await stack().gql(`query($e: String) { traders(filter: { email: $e }) { totalCount } }`, { e: email });
      expect(traders.body.data.traders.totalCount).toBe(0);
    });

    it('an occurredAt of "2026-13-45" sent as a variable is BAD_USER_INPUT naming input.occurredAt, alone or inside the input', async () => {
      const alone = await stack().gql(`mutation($t: DateTime) { trackEvent(input: { eventType: FIRST_DEPOSIT, email: "a@b.co", occurredAt: $t }) { id } }`, { t: '2026-13-45' });
      const inside = await stack().gql(`mutation($i: TrackEventInput!) { trackEvent(input: $i) { id } }`, { i: { eventType: 'FIRST_DEPOSIT', email: 'a@b.co', occurredAt: '2026-13-45' } });
      for (const res of [alone, inside]) {
        expect(res.status).toBe(400);
        expect(res.body.errors![0].extensions).toEqual({ code: 'BAD_USER_INPUT', param: 'input.occurredAt' });
        // It has the shape of a plain date (YYYY-MM-DD, accepted as 00:00 UTC), but month 13 is on no calendar.
        expect(res.body.errors![0].message).toBe('DateTime "2026-13-45" is not a real date');
        expectNoLeak(res.body);
      }
    });

    it('bad values deep in lists, in nested fields and in variable defaults name their place', async () => {
      const cases: [string, Record<string, unknown>, string, RegExp][] = [
        [
          `mutation { createCommissionPlan(input: { name: "p", currency: "USD", holdDays: 14, rules: [{ kind: CPA, eventType: FIRST_DEPOSIT, amount: "100", tierRates: ["10", "5%"] }] }) { id } }`,
          {},
          'input.rules.0.tierRates.1',
          /^Decimal must be a decimal number such as "20\.00"; got "5%"$/,
        ],
        // Bulk record amounts are RecordDecimal: a bad one is its record's rejection, not the call's (e2e/validation.ts).
        [`{ partners(first: 1) { nodes { registrationCount(from: "2026-02-30T00:00:00Z") } } }`, {}, 'from', /^DateTime "2026-02-30T00:00:00Z" is not a real date and time$/],
        [`query($to: DateTime = "tomorrow") { partners(first: 1) { nodes { clickCount(to: $to) } } }`, {}, 'to', /^DateTime must be an ISO 8601 string .*; got "tomorrow"$/],
      ];
      for (const [query, variables, param, message] of cases) {
        const res = await stack().gql(query, variables);
        expect({ query, status: res.status, extensions: res.body.errors?.[0].extensions }).toEqual({ query, status: 400, extensions: { code: 'BAD_USER_INPUT', param } });
        expect(res.body.errors![0].message).toMatch(message);
        expectNoLeak(res.body);
      }
    });

    it('well-formed values still pass: exact decimals keep their scale', async () => {
      const res = await stack().gql(`mutation($t: DateTime) { trackEvent(input: { eventType: FIRST_DEPOSIT, email: "ok-${uid()}@b.co", amount: "12.50", currency: "USD", occurredAt: $t }) { amount timestamp } }`, {
        t: '2026-01-02T03:04:05.000Z',
      });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.trackEvent).toEqual({ amount: '12.50', timestamp: '2026-01-02T03:04:05.000Z' });
    });
  });

  describe('OAuth clients with ids and secrets the tenant chooses', () => {
    const token = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
      fetch(`${stack().origin}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });

    it('admin create-client --client-id --client-secret makes a client whose tokens work on /graphql', async () => {
      const clientId = `track360.acme-${uid()}_prod`;
      // A colon is allowed in a secret: HTTP Basic splits at the first one only.
      const clientSecret = `t360:${randomBytes(18).toString('base64url')}`;
      const created = await stack().admin('create-client', '--tenant', stack().tenantId, '--scopes', 'links:read,events:read', '--client-id', clientId, '--client-secret', clientSecret);
      expect(created).toEqual({ clientId, tenantId: stack().tenantId, scopes: ['links:read', 'events:read'] });
      const form = await token({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
      expect(form.status).toBe(200);
      const issued = (await form.json()) as { access_token: string; scope: string };
      expect(issued.scope).toBe('links:read events:read');
      const basic = await token({ grant_type: 'client_credentials' }, { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` });
      expect(basic.status).toBe(200);
      for (const accessToken of [issued.access_token, ((await basic.json()) as { access_token: string }).access_token]) {
        const res = await fetch(stack().gatewayUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
          body: JSON.stringify({ query: '{ partners(first: 1) { totalCount } }' }),
        });
        const body = (await res.json()) as any;
        expect({ status: res.status, errors: body.errors }).toEqual({ status: 200, errors: undefined });
        expect(typeof body.data.partners.totalCount).toBe('number');
      }
      expect((await token({ grant_type: 'client_credentials', client_id: clientId, client_secret: `${clientSecret}x` })).status).toBe(401);
      await expect(stack().admin('create-client', '--tenant', stack().tenantId, '--client-id', clientId)).rejects.toThrow(`client_id ${clientId} is already taken`);
    });

    it('bad client ids and secrets are refused with what is allowed, and a refused secret is never printed', async () => {
      const rule = /client_id must be 3-100 characters of A-Z a-z 0-9 _ \. -, not starting with key_; got "/;
      // Lengths and every character class: test/unit/oauth-client-ids.test.ts.
      for (const bad of ['my client', 'key_lookalike']) {
        await expect(stack().admin('create-client', '--tenant', stack().tenantId, '--client-id', bad)).rejects.toThrow(rule);
      }
      const shortSecret = 'short-secret-1234';
      const refused = await adminOutput(stack(), 'create-client', '--tenant', stack().tenantId, '--client-id', `ok_${uid()}`, '--client-secret', shortSecret);
      expect(refused.code).toBe(1);
      expect(refused.output).toContain('client_secret must be 24-256 printable ASCII characters without spaces; got 17 characters');
      expect(refused.output).not.toContain(shortSecret);
    });
  });

  describe('CORS', () => {
    const preflight = (path: string, origin: string) =>
      fetch(`${stack().origin}${path}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-api-key,apollo-require-preflight' },
      });
    const post = (origin: string, key: string | null = stack().apiKey) =>
      fetch(stack().gatewayUrl, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
    const corsHeaders = (res: Response) => [...res.headers.keys()].filter((h) => h.startsWith('access-control-'));

    const allowed = layout.allowedBrowserOrigin;
    if (allowed) {
      it(`a preflight from ${allowed} is 204 with the methods, headers and max age a browser needs`, async () => {
        const res = await preflight('/graphql', allowed);
        expect(res.status).toBe(204);
        expect(res.headers.get('access-control-allow-origin')).toBe(allowed);
        expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, OPTIONS');
        const headers = res.headers.get('access-control-allow-headers')!.split(', ');
        expect(headers).toEqual(expect.arrayContaining(['content-type', 'authorization', 'x-api-key', 'apollo-require-preflight', 'x-apollo-operation-name', 'apollographql-client-name']));
        expect(res.headers.get('vary')).toMatch(/origin/i);
      });

      it(`answers to ${allowed} carry Access-Control-Allow-Origin, errors and Retry-After exposure included`, async () => {
        const ok = await post(allowed);
        expect(ok.status).toBe(200);
        expect(ok.headers.get('access-control-allow-origin')).toBe(allowed);
        expect(ok.headers.get('access-control-expose-headers')).toBe('retry-after');
        const denied = await post(allowed, null);
        expect(denied.status).toBe(401);
        expect(denied.headers.get('access-control-allow-origin')).toBe(allowed);
        const redirect = await fetch(`${stack().origin}/r/no-such-link-${uid()}`, { headers: { origin: allowed }, redirect: 'manual' });
        expect(redirect.headers.get('access-control-allow-origin')).toBe(allowed);
        expect((await preflight('/r/some-slug', allowed)).status).toBe(204);
      });
    }

    it('an origin that is not allowed gets no CORS headers, on the preflight or the answer', async () => {
      const origin = 'https://not-allowed.example';
      const pre = await preflight('/graphql', origin);
      expect(corsHeaders(pre)).toEqual([]);
      expect(pre.status).not.toBe(204);
      const res = await post(origin);
      expect(res.status).toBe(200);
      expect(corsHeaders(res)).toEqual([]);
    });

    it('/oauth/token never answers a browser on another origin: its preflight gets no CORS headers', async () => {
      for (const origin of [allowed ?? 'http://localhost:3000', 'https://not-allowed.example']) {
        const res = await preflight('/oauth/token', origin);
        expect({ origin, cors: corsHeaders(res) }).toEqual({ origin, cors: [] });
        const tokenRes = await fetch(`${stack().origin}/oauth/token`, { method: 'POST', headers: { origin, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
        expect(corsHeaders(tokenRes)).toEqual([]);
      }
    });
  });
}

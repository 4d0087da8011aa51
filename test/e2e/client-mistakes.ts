import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';
import { collect, wsClient } from '../helpers/ws';

const uid = () => randomBytes(4).toString('hex');
const NUL = '\u0000';

/** Nothing internal in an error body: no stack, SQL, URL or Express page. */
function expectNoLeak(text: string): void {
  expect(text).not.toMatch(/<html|<!DOCTYPE|stack|at \/|http:\/\/|SQL|syntax error at|invalid byte sequence|Maximum call stack/i);
}

async function post(stack: Stack, body: unknown, key: string | null = stack.apiKey): Promise<{ status: number; text: string; json: any }> {
  const res = await fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}

/** `query { a { b { ... } } }` with selections `n` deep in inline fragments. */
function nestedInlineFragments(n: number): string {
  return `{ partners(first: 1) { nodes { ${'... on Partner { '.repeat(n)}id${' }'.repeat(n)} } } }`;
}

/**
 * Issue 17, failure 6: client mistakes answered HTTP 500. Each is now a 4xx that says what
 * to do, changes nothing and leaks nothing, on both stacks.
 */
export function defineClientMistakeTests(stack: () => Stack): void {
  describe('client mistakes are 4xx, never 500 (issue 17, item 6)', () => {
    it('an unknown operationName is 400 BAD_REQUEST naming the operations the document holds', async () => {
      const res = await post(stack(), { query: 'query Partners { partners(first: 1) { totalCount } } query Count { partners { totalCount } }', operationName: 'Nope' });
      expect(res.status).toBe(400);
      expect(res.json.errors).toEqual([{ message: 'the document has no operation named "Nope"; operationName must be one of: Partners, Count', extensions: { code: 'BAD_REQUEST' } }]);
      const unnamed = await post(stack(), { query: 'query A { partners(first: 1) { totalCount } } query B { partners { totalCount } }' });
      expect(unnamed.status).toBe(400);
      expect(unnamed.json.errors[0].message).toBe('the document holds 2 operations (A, B): name the one to run in operationName');
      // Inside a batch, only that operation fails.
      const batch = await post(stack(), [{ query: 'query A { partners(first: 1) { totalCount } }', operationName: 'B' }, { query: '{ partners(first: 1) { totalCount } }' }]);
      expect(batch.json[0].errors[0].extensions).toEqual({ code: 'BAD_REQUEST' });
      expect(typeof batch.json[1].data.partners.totalCount).toBe('number');
      // Over WebSocket the same answer.
      const { client } = wsClient(stack().gatewayUrl, { apiKey: stack().apiKey });
      try {
        const sub = collect(client, 'subscription Live { conversionRecorded { id } }', {}, undefined, 'Nope');
        const error = await waitFor('the refusal', async () => (sub.isDone() ? (sub.error() as { message: string; extensions: unknown }[]) : undefined), [], 10_000);
        expect(error[0]).toMatchObject({ message: 'the document has no operation named "Nope"; operationName must be one of: Live', extensions: { code: 'BAD_REQUEST' } });
      } finally {
        await client.dispose();
      }
    });

    it('a subscription sent as a plain POST is 400 saying to use WebSocket (graphql-ws)', async () => {
      const res = await post(stack(), { query: 'subscription { conversionRecorded { id } }' });
      expect(res.status).toBe(400);
      expect(res.json.errors[0].extensions).toEqual({ code: 'BAD_REQUEST' });
      expect(res.json.errors[0].message).toMatch(/^subscriptions are served over WebSocket only: connect to ws\(s\):\/\/<gateway>\/graphql with the graphql-ws protocol/);
    });

    it('a malformed Basic header on /oauth/token is 400 JSON invalid_request (RFC 6749 5.2), never an HTML 500 page', async () => {
      const token = (authorization: string, form: Record<string, string> = { grant_type: 'client_credentials' }) =>
        fetch(`${stack().origin}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization }, body: new URLSearchParams(form).toString() });
      const malformed = [
        'Basic',
        'Basic %%%',
        'Basic not*base64!',
        `Basic ${Buffer.from('no-colon-here').toString('base64')}`,
        `Basic ${Buffer.from([0x61, 0x3a, 0xff, 0xfe]).toString('base64')}`, // not UTF-8
        `Basic ${Buffer.from(`client${NUL}id:secret`).toString('base64')}`,
        `Basic ${Buffer.from('client%00id:secret').toString('base64')}`, // URL-encoded NUL
        `Basic ${Buffer.from(`id:sec${NUL}ret`).toString('base64')}`,
      ];
      for (const authorization of malformed) {
        const res = await token(authorization);
        const text = await res.text();
        expect({ authorization, status: res.status, type: res.headers.get('content-type') }).toEqual({ authorization, status: 400, type: expect.stringMatching(/^application\/json/) });
        expect(JSON.parse(text).error).toBe('invalid_request');
        expect(JSON.parse(text).error_description).toMatch(/Basic|control characters/);
        expectNoLeak(text);
      }
      // A NUL in a form-body client_id too.
      const form = await fetch(`${stack().origin}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: `a${NUL}b`, client_secret: 'x' }).toString(),
      });
      expect(form.status).toBe(400);
      expect(((await form.json()) as { error: string }).error).toBe('invalid_request');
      // A well-formed header with wrong credentials is still 401 invalid_client.
      const wrong = await token(`Basic ${Buffer.from('nobody:wrong').toString('base64')}`);
      expect(wrong.status).toBe(401);
      expect(((await wrong.json()) as { error: string }).error).toBe('invalid_client');
    });

    it('inline fragments nested 1,500 and 100,000 deep are 400 MAX_NESTING, not "Maximum call stack size exceeded", over HTTP and WebSocket', async () => {
      for (const n of [1500, 100_000]) {
        const res = await post(stack(), { query: nestedInlineFragments(n) });
        expect(res.status).toBe(400);
        expect(res.json.errors).toHaveLength(1);
        expect(res.json.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', limit: 'MAX_NESTING' });
        expect(res.json.errors[0].message).toMatch(/nests .* more than 400 levels deep; at most 400 are allowed/);
        expectNoLeak(res.text);
      }
      // Lists in a variable default nest the same way.
      const lists = await post(stack(), { query: `query($f: [String] = ${'['.repeat(3000)}${']'.repeat(3000)}) { partners(first: 1) { totalCount } }` });
      expect(lists.status).toBe(400);
      expect(lists.json.errors[0].extensions.limit).toBe('MAX_NESTING');
      const { client } = wsClient(stack().gatewayUrl, { apiKey: stack().apiKey });
      try {
        const sub = collect(client, `subscription { conversionRecorded { id ${'... on ReferralEvent { '.repeat(5000)}id${' }'.repeat(5000)} } }`);
        const error = await waitFor('the refusal', async () => (sub.isDone() ? (sub.error() as { message: string; extensions: unknown }[]) : undefined), [], 10_000);
        expect(error[0].extensions).toEqual({ code: 'BAD_USER_INPUT', limit: 'MAX_NESTING' });
      } finally {
        await client.dispose();
      }
    });

    it('a NUL character in an id, a filter, a name or an idempotency key is BAD_USER_INPUT naming it, and nothing is stored', async () => {
      const email = `nul-${uid()}@example.com`;
      const cases: [string, Record<string, unknown>, string][] = [
        ['query($id: ID!) { partner(id: $id) { id } }', { id: `prt_${NUL}x` }, 'id'],
        ['query($f: TraderFilter) { traders(filter: $f) { totalCount } }', { f: { email: `a${NUL}@b.co` } }, 'filter.email'],
        ['mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }', { i: { name: `Evil${NUL}Corp` } }, 'input.name'],
        [`mutation($k: String) { trackEvent(idempotencyKey: $k, input: { eventType: REGISTRATION, email: "${email}" }) { id } }`, { k: `key${NUL}1` }, 'idempotencyKey'],
        // Written in the document as an escape, not sent as a variable.
        [`mutation { trackEvent(input: { eventType: REGISTRATION, email: "${email}", externalCustomerId: "u\\u0000" }) { id } }`, {}, 'input.externalCustomerId'],
        // Deep in an input object sent whole as a variable.
        ['mutation($r: CreatePartnerInput!) { createPartner(input: $r) { id } }', { r: { name: 'ok', externalId: `ext${NUL}` } }, 'input.externalId'],
      ];
      const partnersBefore = (await stack().gql('{ partners { totalCount } }')).body.data.partners.totalCount;
      for (const [query, variables, param] of cases) {
        const res = await post(stack(), { query, variables });
        expect({ query, status: res.status, extensions: res.json.errors?.[0].extensions }).toEqual({ query, status: 400, extensions: { code: 'BAD_USER_INPUT', param } });
        expect(res.json.errors[0].message).toBe(`${param} must not contain the NUL character (U+0000); any other Unicode text is allowed`);
        expectNoLeak(res.text);
      }
      expect((await stack().gql('{ partners { totalCount } }')).body.data.partners.totalCount).toBe(partnersBefore);
      expect((await stack().gql('query($e: String) { traders(filter: { email: $e }) { totalCount } }', { e: email })).body.data.traders.totalCount).toBe(0);
      // Over WebSocket too: the resume cursor of a subscription.
      const { client } = wsClient(stack().gatewayUrl, { apiKey: stack().apiKey });
      try {
        const sub = collect(client, 'subscription($after: String) { conversionRecorded(after: $after) { id } }', { after: `c${NUL}` });
        const error = await waitFor('the refusal', async () => (sub.isDone() ? (sub.error() as { message: string; extensions: unknown }[]) : undefined), [], 10_000);
        expect(error[0].extensions).toEqual({ code: 'BAD_USER_INPUT', param: 'after' });
      } finally {
        await client.dispose();
      }
    });
  });

  describe('validateReferralCode with a partner credential (issue 17, item 7)', () => {
    it("a partner may validate any code, but sees the owner's userId and bonus only for its own codes, as referralCode(code) shows only those", async () => {
      const id = uid();
      const ok = async (q: string, v: Record<string, unknown>, key?: string) => {
        const res = await stack().gql(q, v, key);
        expect(res.body.errors).toBeUndefined();
        return res.body.data;
      };
      const partner = (externalId: string) => ok('mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }', { i: { name: `KYC owner ${externalId}`, externalId } });
      const mine = (await partner(`own-${id}`)).createPartner.id;
      await partner(`other-${id}`);
      const create = 'mutation($i: CreateReferralCodeInput!) { createReferralCode(input: $i) { id } }';
      await ok(create, { i: { userId: `own-${id}`, referralCode: `MINE_${id}`, bonus: { amount: '25.00', currency: 'USD' } } });
      await ok(create, { i: { userId: `other-${id}`, referralCode: `THEIRS_${id}`, bonus: { amount: '50.00', currency: 'USD' } } });
      const minted = await fetch(`${stack().origin}/oauth/partner-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': stack().apiKey },
        body: JSON.stringify({ partnerId: mine, scopes: ['kyc:read'] }),
      });
      const token = ((await minted.json()) as { access_token: string }).access_token;
      const VALIDATE = 'query($c: String!) { validateReferralCode(code: $c) { isValid userId amount { amount currency } } }';
      // kyc learns the partner's externalId from the bus: its own code shows once it has.
      const own = await waitFor('kyc to learn the partner', async () => {
        const res = await stack().gql(VALIDATE, { c: `mine_${id}` }, token);
        return res.body.data?.validateReferralCode?.userId ? res.body.data.validateReferralCode : undefined;
      }, [], 20_000);
      expect(own).toEqual({ isValid: true, userId: `own-${id}`, amount: { amount: '25.00', currency: 'USD' } });
      expect((await ok(VALIDATE, { c: `THEIRS_${id}` }, token)).validateReferralCode).toEqual({ isValid: true, userId: null, amount: null });
      expect((await ok(VALIDATE, { c: `NONE_${id}` }, token)).validateReferralCode).toEqual({ isValid: false, userId: null, amount: null });
      const foreign = await stack().gql('query($c: String!) { referralCode(code: $c) { userId } }', { c: `THEIRS_${id}` }, token);
      expect(foreign.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
      // The tenant still sees every owner.
      expect((await ok(VALIDATE, { c: `THEIRS_${id}` })).validateReferralCode).toEqual({ isValid: true, userId: `other-${id}`, amount: { amount: '50.00', currency: 'USD' } });
    });
  });
}

import { randomBytes } from 'node:crypto';
import { signingKey, signPrincipal } from '../../subgraphs/shared/src/principal';
import { Stack, waitFor } from '../helpers/harness';

const uid = () => randomBytes(4).toString('hex');

const CREATE_PARTNER = `mutation($input: CreatePartnerInput!) { createPartner(input: $input) { id name referralCode externalId parent { id } } }`;
const TRACK = `mutation($input: TrackEventInput!, $key: String) { trackEvent(input: $input, idempotencyKey: $key) {
  id eventType attribution isConversion isDuplicate amount currency timestamp partner { id name } trader { id email } } }`;

/** The foundation slice, run the same way against the embedded stack and against PostgreSQL + Redis. */
export function defineSliceTests(stack: () => Stack): void {
  async function createPartner(input: Record<string, unknown>, key?: string) {
    const res = await stack().gql(CREATE_PARTNER, { input }, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data.createPartner as { id: string; name: string; referralCode: string };
  }

  /** The code read model in events is fed by the bus: poll (with fresh traders) until the code attributes. */
  async function trackAttributedByCode(code: string, extra: Record<string, unknown> = {}) {
    return waitFor(`events to learn the referral code ${code}`, async () => {
      const res = await stack().gql(TRACK, { input: { eventType: 'REGISTRATION', email: `wait-${uid()}@example.com`, referralCode: code, ...extra } });
      expect(res.body.errors).toBeUndefined();
      return res.body.data.trackEvent.attribution === 'REFERRAL_CODE' ? res.body.data.trackEvent : undefined;
    }, [], 15_000);
  }

  it('a partner created through the gateway gets an auto-created referral code and can be read back', async () => {
    const p = await createPartner({ name: `Alice ${uid()}`, email: 'alice@example.com' });
    expect(p.id).toMatch(/^prt_[0-9A-Z]{26}$/);
    expect(p.referralCode).toMatch(/^[A-Za-z0-9_-]{3,30}$/);
    const res = await stack().gql(`query($id: ID!) { partner(id: $id) { id name email referralCode createdAt } }`, { id: p.id });
    expect(res.body.data.partner).toMatchObject({ id: p.id, name: p.name, email: 'alice@example.com', referralCode: p.referralCode });
    expect(new Date(res.body.data.partner.createdAt).toISOString()).toBe(res.body.data.partner.createdAt);
  });

  it('one request reads a partner from links, events, kyc and commissions together', async () => {
    const code = `ib_${uid()}`;
    const p = await createPartner({ name: 'Four Subgraph IB', referralCode: code, externalId: `ext-${uid()}` });
    const first = await trackAttributedByCode(code, { amount: '250.50', currency: 'USD' });
    expect(first.partner).toEqual({ id: p.id, name: 'Four Subgraph IB' });
    expect(first.amount).toBe('250.50');
    const kycCode = `K${uid()}`;
    const created = await stack().gql(`mutation($i: CreateReferralCodeInput!) { createReferralCode(input: $i) { referralCode usedCount isvId bonus { amount currency } } }`, {
      i: { userId: 'owner-1', referralCode: kycCode, category: 'isv_premium', bonus: { amount: 50, currency: 'USD' } },
    });
    expect(created.body.data.createReferralCode).toEqual({ referralCode: kycCode, usedCount: 0, isvId: stack().tenantId, bonus: { amount: '50.00', currency: 'USD' } });

    const res = await stack().gql(
      `query($id: ID!, $code: String!) {
        partner(id: $id) {
          name referralCode
          registrationCount
          events(first: 10) { totalCount nodes { eventType attribution amount trader { email } } }
          earnings { currency pendingIncome approvedIncome paidIncome totalIncome reversedIncome }
        }
        validateReferralCode(code: $code) { isValid userId amount { amount currency } }
      }`,
      { id: p.id, code: kycCode.toLowerCase() },
    );
    expect(res.body.errors).toBeUndefined();
    const partner = res.body.data.partner;
    expect(partner.name).toBe('Four Subgraph IB');
    expect(partner.registrationCount).toBe(1);
    expect(partner.events.totalCount).toBe(1);
    expect(partner.events.nodes[0]).toMatchObject({ eventType: 'REGISTRATION', attribution: 'REFERRAL_CODE', amount: '250.50' });
    expect(partner.earnings).toEqual({ currency: 'USD', pendingIncome: '0.00', approvedIncome: '0.00', paidIncome: '0.00', totalIncome: '0.00', reversedIncome: '0.00' });
    expect(res.body.data.validateReferralCode).toEqual({ isValid: true, userId: 'owner-1', amount: { amount: '50.00', currency: 'USD' } });
  });

  it('a returning trader keeps its first-touch partner and a second registration is a duplicate', async () => {
    const code = `ft_${uid()}`;
    const p = await createPartner({ name: 'First Touch', referralCode: code });
    const email = `Returning-${uid()}@Example.com`;
    // Until the events subgraph has learnt the code, a registration would go unattributed
    // and the trader's first touch would be lost: wait with a sign-up of another email.
    await trackAttributedByCode(code, { eventType: 'EMAIL_SIGNUP' });
    const first = await stack().gql(TRACK, { input: { eventType: 'REGISTRATION', email, referralCode: code } });
    expect(first.body.data.trackEvent).toMatchObject({ attribution: 'REFERRAL_CODE', isDuplicate: false, partner: { id: p.id } });
    const again = await stack().gql(TRACK, { input: { eventType: 'REGISTRATION', email: email.toLowerCase() } });
    expect(again.body.data.trackEvent).toMatchObject({ attribution: 'TRADER_FIRST_TOUCH', isDuplicate: true, isConversion: false, partner: { id: p.id } });
    const deposit = await stack().gql(TRACK, { input: { eventType: 'FIRST_DEPOSIT', email, amount: 100, currency: 'EUR' } });
    expect(deposit.body.data.trackEvent).toMatchObject({ attribution: 'TRADER_FIRST_TOUCH', isDuplicate: false, isConversion: true, amount: '100', currency: 'EUR' });
    const count = await stack().gql(`query($id: ID!) { partner(id: $id) { registrationCount } }`, { id: p.id });
    expect(count.body.data.partner.registrationCount).toBe(1);
  });

  it('an event without any signal is stored unattributed', async () => {
    const res = await stack().gql(TRACK, { input: { eventType: 'EMAIL_SIGNUP', email: `nobody-${uid()}@example.com` } });
    expect(res.body.data.trackEvent).toMatchObject({ attribution: 'NONE', partner: null, isConversion: false });
  });

  it('the same idempotency key returns the same event, and with other input is a CONFLICT', async () => {
    const key = `idem-${uid()}`;
    const input = { eventType: 'FIRST_DEPOSIT', email: `idem-${uid()}@example.com`, amount: '20.00', currency: 'USD' };
    const a = await stack().gql(TRACK, { input, key });
    const b = await stack().gql(TRACK, { input, key });
    expect(b.body.data.trackEvent.id).toBe(a.body.data.trackEvent.id);
    const c = await stack().gql(TRACK, { input: { ...input, amount: '21.00' }, key });
    expect(c.body.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'idempotency_conflict' });
  });

  it('bad input is refused with BAD_USER_INPUT and a param, and stores nothing', async () => {
    const email = `bad-${uid()}@example.com`;
    const res = await stack().gql(TRACK, { input: { eventType: 'FIRST_DEPOSIT', email, amount: '10', currency: 'usd' } });
    expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.currency' });
    const traders = await stack().gql(`query($email: String) { traders(filter: { email: $email }) { totalCount } }`, { email });
    expect(traders.body.data.traders.totalCount).toBe(0);
    const code = await stack().gql(CREATE_PARTNER, { input: { name: 'Bad Code', referralCode: 'a b' } });
    expect(code.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.referralCode', reason: 'referral.code_invalid' });
  });

  it('a taken referral code is a CONFLICT with reason referral.code_taken, ignoring case', async () => {
    const code = `Taken_${uid()}`;
    await createPartner({ name: 'Owner', referralCode: code });
    const res = await stack().gql(CREATE_PARTNER, { input: { name: 'Copycat', referralCode: code.toUpperCase() } });
    expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'referral.code_taken', param: 'input.referralCode' });
  });

  it.each([0, 101])('first: %i is rejected with BAD_USER_INPUT', async (first) => {
    const res = await stack().gql(`query($first: Int) { partners(first: $first) { totalCount } }`, { first });
    expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'first' });
    expect(res.body.errors?.[0].message).toMatch(/1 to 100/);
  });

  it('lists page with opaque cursors without gaps or repeats', async () => {
    const parent = await createPartner({ name: `Parent ${uid()}` });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createPartner({ name: `Child ${i}`, parentId: parent.id })).id);
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: any = await stack().gql(`query($p: ID, $after: String) { partners(filter: { parentId: $p }, first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id parent { id } } } } }`, { p: parent.id, after });
      const conn = res.body.data.partners;
      expect(conn.totalCount).toBe(5);
      seen.push(...conn.edges.map((e: any) => e.node.id));
      if (!conn.pageInfo.hasNextPage) break;
      after = conn.pageInfo.endCursor;
    }
    expect(seen).toEqual([...ids].reverse());
    const bad = await stack().gql(`{ partners(after: "not-a-cursor") { totalCount } }`);
    expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'after' });
  });

  it('a request without a key, or with a wrong one, gets HTTP 401 with a GraphQL error body', async () => {
    const none = await stack().gql(`{ partners { totalCount } }`, {}, null);
    expect(none.status).toBe(401);
    expect(none.body.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    const wrong = await stack().gql(`{ partners { totalCount } }`, {}, 'rgk_wrong_key_000000000000000000');
    expect(wrong.status).toBe(401);
    expect(wrong.body.errors?.[0].message).toMatch(/invalid credentials/);
    const bearer = await fetch(stack().gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack().apiKey}` },
      body: JSON.stringify({ query: '{ partners(first: 1) { totalCount } }' }),
    });
    expect(bearer.status).toBe(200);
  });

  it('a subgraph refuses a request that does not carry a principal signed by the gateway', async () => {
    for (const url of Object.values(stack().subgraphUrls)) {
      const unsigned = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
      expect(unsigned.status).toBe(401);
      const forged = await signPrincipal({ tenantId: stack().tenantId, scopes: ['links:read'] }, signingKey('x'.repeat(40)));
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gateway-principal': forged },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(res.status).toBe(401);
    }
  });

  it('a subgraph refuses a replayed principal header, and an altered one', async () => {
    const url = stack().subgraphUrls.links;
    const header = await signPrincipal({ tenantId: stack().tenantId, scopes: ['links:read'] }, signingKey(stack().principalSecret));
    const send = (h: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gateway-principal': h }, body: JSON.stringify({ query: '{ partners(first: 1) { totalCount } }' }) });
    expect((await send(header)).status).toBe(200);
    const replay = await send(header);
    expect(replay.status).toBe(401);
    const [h, payload, sig] = header.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const altered = `${h}.${Buffer.from(JSON.stringify({ ...claims, tid: 'ten_someone_else', jti: 'fresh' })).toString('base64url')}.${sig}`;
    expect((await send(altered)).status).toBe(401);
  });

  it("tenant A's key never sees tenant B's partner, events or codes", async () => {
    const tenantB = await stack().admin('create-tenant', '--name', `Tenant B ${uid()}`);
    const keyB = (await stack().admin('create-key', '--tenant', tenantB.id, '--scopes', 'all')).key as string;
    const code = `b_${uid()}`;
    const bPartner = await createPartner({ name: 'Secret B Partner', referralCode: code }, keyB);
    const aRead = await stack().gql(`query($id: ID!) { partner(id: $id) { id name } }`, { id: bPartner.id });
    expect(aRead.body.data?.partner ?? null).toBeNull();
    expect(aRead.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const aList = await stack().gql(`{ partners(first: 100, filter: { search: "Secret B" }) { totalCount nodes { id } } }`);
    expect(aList.body.data.partners.totalCount).toBe(0);
    // B's code attributes in B (once the bus has carried it) but never in A.
    await waitFor('B to learn its code', async () => {
      const r = await stack().gql(TRACK, { input: { eventType: 'REGISTRATION', email: `b-${uid()}@example.com`, referralCode: code } }, keyB);
      return r.body.data.trackEvent.attribution === 'REFERRAL_CODE' ? true : undefined;
    }, [], 15_000);
    const inA = await stack().gql(TRACK, { input: { eventType: 'REGISTRATION', email: `a-${uid()}@example.com`, referralCode: code } });
    // In A the code is unknown: the event waits for it (PENDING), and never gets B's partner.
    expect(inA.body.data.trackEvent).toMatchObject({ attribution: 'PENDING', partner: null });
    const bRead = await stack().gql(`query($id: ID!) { partner(id: $id) { name registrationCount } }`, { id: bPartner.id }, keyB);
    expect(bRead.body.data.partner).toEqual({ name: 'Secret B Partner', registrationCount: 1 });
  });

  it('a key confined to one partner reads only that partner', async () => {
    const mine = await createPartner({ name: `Mine ${uid()}` });
    const other = await createPartner({ name: `Other ${uid()}` });
    const partnerKey = (await stack().admin('create-key', '--tenant', stack().tenantId, '--scopes', 'links:read,events:read,commissions:read', '--partner', mine.id)).key as string;
    const own = await stack().gql(`query($id: ID!) { partner(id: $id) { id registrationCount earnings { totalIncome } } }`, { id: mine.id }, partnerKey);
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data.partner.id).toBe(mine.id);
    const theirs = await stack().gql(`query($id: ID!) { partner(id: $id) { id } }`, { id: other.id }, partnerKey);
    expect(theirs.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const list = await stack().gql(`{ partners(first: 100) { totalCount nodes { id } } }`, {}, partnerKey);
    expect(list.body.data.partners.nodes).toEqual([{ id: mine.id }]);
    const write = await stack().gql(CREATE_PARTNER, { input: { name: 'Nope' } }, partnerKey);
    expect(write.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('a key without a scope cannot read that scope\'s fields, not even through another subgraph\'s entities', async () => {
    const key = (await stack().admin('create-key', '--tenant', stack().tenantId, '--scopes', 'events:read')).key as string;
    const own = await stack().gql(`{ events(first: 1) { totalCount } }`, {}, key);
    expect(own.body.errors).toBeUndefined();
    const root = await stack().gql(`{ partners(first: 1) { totalCount } }`, {}, key);
    expect(root.body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(root.body.errors?.[0].message).toContain('links:read');
    const viaEntity = await stack().gql(`{ events(first: 5, filter: { isConversion: true }) { nodes { id partner { name } } } }`, {}, key);
    expect(viaEntity.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(viaEntity.body.errors?.[0].message).toContain('links:read');
    const write = await stack().gql(`mutation { trackEvent(input: { eventType: REGISTRATION }) { id } }`, {}, key);
    expect(write.body.errors?.[0].message).toContain('events:write');
  });

  it('HTTP batching answers an array of operations in order', async () => {
    const res = await fetch(stack().gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': stack().apiKey },
      body: JSON.stringify([{ query: '{ a: partners(first: 1) { totalCount } }' }, { query: '{ validateReferralCode(code: "zzz-unknown") { isValid } }' }]),
    });
    const body = (await res.json()) as any[];
    expect(body).toHaveLength(2);
    expect(typeof body[0].data.a.totalCount).toBe('number');
    expect(body[1].data.validateReferralCode.isValid).toBe(false);
  });

  it('/healthz answers and /readyz names every subgraph and store as ok', async () => {
    expect((await fetch(`${stack().origin}/healthz`)).status).toBe(200);
    const res = await fetch(`${stack().origin}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { checks: Record<string, string> };
    expect(body.checks).toMatchObject({ database: 'ok', 'subgraph:links': 'ok', 'subgraph:events': 'ok', 'subgraph:kyc': 'ok', 'subgraph:commissions': 'ok' });
    expect(body).toMatchObject({ status: 'ready', degraded: [] });
    expect(Object.values(body.checks).every((v) => v === 'ok')).toBe(true);
  });
}

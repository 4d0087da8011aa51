import fs from 'node:fs';
import path from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import {
  getNamedType,
  GraphQLArgument,
  GraphQLField,
  GraphQLInputType,
  GraphQLObjectType,
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  parse,
} from 'graphql';
import { signingKey, signPrincipal } from '../../subgraphs/shared/src/principal';
import { ROOT, Stack, startEmbedded, waitFor } from '../helpers/harness';
import { startReceiver } from '../helpers/receiver';

/**
 * The isolation matrix. Every root query and mutation that takes an id (or a code, a click
 * id, an id inside its input) is called with tenant B's objects using tenant A's key, and
 * every entity type is looked up through `_entities` with A's principal: the answer must
 * be NOT_FOUND / FORBIDDEN / a refusal, or data that holds nothing of B's. The operations
 * are read from the supergraph, so a new field is covered without editing this file.
 */
const api: GraphQLSchema = Supergraph.build(fs.readFileSync(path.join(ROOT, 'schema', 'supergraph.graphql'), 'utf8')).apiSchema().toGraphQLJSSchema();
const REFUSALS = new Set(['NOT_FOUND', 'FORBIDDEN', 'BAD_USER_INPUT', 'CONFLICT']);

type Fixture = Record<string, string>;

describe('isolation matrix: tenant A never reaches tenant B', () => {
  let stack: Stack;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let keyB: string;
  const b: Fixture = {};

  beforeAll(async () => {
    receiver = await startReceiver();
    stack = await startEmbedded({ CREDENTIAL_CACHE_MS: '0' });
    const tenant = await stack.admin('create-tenant', '--name', 'Tenant B');
    keyB = (await stack.admin('create-key', '--tenant', tenant.id, '--scopes', 'all')).key;
    const gb = async (q: string, v: Record<string, unknown> = {}) => {
      const r = await stack.gql(q, v, keyB);
      if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
      return r.body.data;
    };
    b.partner = (await gb(`mutation { createPartner(input: { name: "B secret partner", externalId: "b-owner", referralCode: "bsecret" }) { id } }`)).createPartner.id;
    const link = (await gb(`mutation($p: ID) { createReferralLink(input: { partnerId: $p, path: "/b" }) { id trackingUrl } }`, { p: b.partner })).createReferralLink;
    b.link = link.id;
    const res = await fetch(link.trackingUrl, { headers: { 'user-agent': 'Mozilla/5.0 Chrome/120.0', 'x-forwarded-for': '81.2.69.180' }, redirect: 'manual' });
    b.click = new URL(res.headers.get('location')!).searchParams.get('click_id')!;
    const plan = (await gb(`mutation { createCommissionPlan(input: { name: "B plan", currency: "USD", holdDays: 1, rules: [{ kind: CPA, eventType: FIRST_DEPOSIT, amount: "5" }] }) { id } }`)).createCommissionPlan.id;
    b.plan = plan;
    await waitFor('B partner in commissions', async () => {
      const r = await stack.gql(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: b.partner, plan }, keyB);
      return r.body.errors ? undefined : true;
    }, [], 15_000);
    const ev = (await gb(`mutation($c: String) { trackEvent(input: { eventType: FIRST_DEPOSIT, clickId: $c, email: "b-trader@x.io", externalCustomerId: "b-cust", amount: "100", currency: "USD" }) { id trader { id } commissions { id } } }`, { c: b.click })).trackEvent;
    b.event = ev.id;
    b.trader = ev.trader.id;
    b.commission = ev.commissions[0].id;
    b.code = (await gb(`mutation { createReferralCode(input: { userId: "b-owner", referralCode: "B_SECRET_CODE" }) { referralCode } }`)).createReferralCode.referralCode;
    b.kyc = (await gb(`mutation { startKyc(input: { userId: "b-user", referralCode: "B_SECRET_CODE" }) { id } }`)).startKyc.id;
    const ep = (await gb(`mutation($u: String!) { createPostbackEndpoint(input: { url: $u, eventTypes: ["*"] }) { endpoint { id } } }`, { u: receiver.url('/b') })).createPostbackEndpoint.endpoint.id;
    b.endpoint = ep;
    b.delivery = (await gb(`mutation($e: ID!) { sendTestPostback(endpointId: $e) { id } }`, { e: ep })).sendTestPostback.id;
    await gb(`mutation { upsertForexCustomers(records: [{ customerId: "b-cust2", signupDate: "2026-01-01T00:00:00Z", affiliateId: "b-owner", trackingData: "t" }]) { accepted } }`);
    b.product = (await gb(`mutation { createProduct(input: { id: "b_secret_product", name: "B secret product" }) { id } }`)).createProduct.id;
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  const byType: Record<string, keyof Fixture> = {
    Partner: 'partner',
    ReferralLink: 'link',
    Click: 'click',
    ReferralEvent: 'event',
    Trader: 'trader',
    Commission: 'commission',
    CommissionPlan: 'plan',
    KycApplication: 'kyc',
    PostbackEndpoint: 'endpoint',
    PostbackEndpointSecretPayload: 'endpoint',
    DeletePayload: 'endpoint',
    PostbackDelivery: 'delivery',
    Product: 'product',
  };
  const byName: Record<string, keyof Fixture> = {
    partnerId: 'partner',
    parentId: 'partner',
    linkId: 'link',
    clickId: 'click',
    traderId: 'trader',
    planId: 'plan',
    endpointId: 'endpoint',
    deliveryId: 'delivery',
    ids: 'commission',
    code: 'code',
    referralCode: 'code',
  };

  function idFor(name: string, returnType: string): string | undefined {
    const key = name === 'id' ? byType[returnType] : byName[name];
    return key ? b[key] : undefined;
  }

  /** A value for an argument; `used` records whether a B id went in. */
  function valueFor(type: GraphQLInputType, name: string, returnType: string, used: { b: boolean }, depth = 0): unknown {
    if (isNonNullType(type)) return valueFor(type.ofType, name, returnType, used, depth);
    if (isListType(type)) {
      const v = valueFor(type.ofType, name, returnType, used, depth);
      return v === undefined ? undefined : [v];
    }
    if (isInputObjectType(type)) {
      if (depth > 2) return undefined;
      const out: Record<string, unknown> = {};
      for (const f of Object.values(type.getFields())) {
        const v = valueFor(f.type, f.name, returnType, used, depth + 1);
        if (v !== undefined && (isNonNullType(f.type) || idFor(f.name, returnType) !== undefined)) out[f.name] = v;
      }
      return out;
    }
    const id = (getNamedType(type).name === 'ID' || ['code', 'referralCode', 'clickId'].includes(name)) && idFor(name, returnType);
    if (id) {
      used.b = true;
      return id;
    }
    if (isEnumType(type)) return type.getValues().find((v) => ['DAY', 'APPROVED', 'FIRST_DEPOSIT', 'CPA'].includes(v.name))?.name ?? type.getValues()[0].name;
    if (isScalarType(type)) {
      return ({ Int: 1, Float: 1, Boolean: false, Decimal: '1', DateTime: new Date().toISOString(), Date: '2026-01-01', ID: 'prt_00000000000000000000000000' } as Record<string, unknown>)[type.name] ?? 'x';
    }
    return undefined;
  }

  function selection(field: GraphQLField<unknown, unknown>): string {
    const t = getNamedType(field.type);
    if (!isObjectType(t)) return '';
    const fields = (t as GraphQLObjectType).getFields();
    if (fields.totalCount) return '{ totalCount }';
    if (fields.id) return '{ __typename id }';
    if (fields.endpoint) return '{ endpoint { id } }';
    return '{ __typename }';
  }

  /** Whether a field takes an id (or a code or click id) anywhere in its arguments. */
  function takesIds(type: GraphQLInputType, name: string, depth = 0): boolean {
    if (isNonNullType(type) || isListType(type)) return takesIds(type.ofType as GraphQLInputType, name, depth);
    if (isInputObjectType(type)) return depth < 3 && Object.values(type.getFields()).some((f) => takesIds(f.type, f.name, depth + 1));
    return getNamedType(type).name === 'ID' || ['code', 'referralCode', 'clickId'].includes(name);
  }

  const cases: { name: string; kind: 'query' | 'mutation'; field: GraphQLField<unknown, unknown> }[] = [];
  const noIds: string[] = [];
  for (const [kind, root] of [
    ['query', api.getQueryType()!],
    ['mutation', api.getMutationType()!],
  ] as const) {
    for (const field of Object.values(root.getFields())) {
      if (field.args.some((a) => takesIds(a.type, a.name))) cases.push({ name: `${kind} ${field.name}`, kind, field });
      else noIds.push(`${kind} ${field.name}`);
    }
  }

  it('the operations that take no id act only on the caller\'s own tenant (listed for review)', () => {
    // These need no matrix case: with no id to name, they cannot point at another tenant.
    expect(noIds).toEqual(expect.arrayContaining(['query viewer', 'query linkSettings', 'mutation rotateLinkEncryptionKey']));
    expect(cases.length).toBeGreaterThan(30);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s with tenant B ids answers nothing of B', (_name, c) => runCase(c, b, stack.apiKey));

  /** Calls `c` with the objects of `fixture` using `key`; nothing of the fixture may come back. */
  async function runCase(c: (typeof cases)[number], fixture: Fixture, key: string) {
    const saved = { ...b };
    Object.assign(b, fixture);
    try {
      await runWith(c, key);
    } finally {
      for (const k of Object.keys(b)) delete b[k];
      Object.assign(b, saved);
    }
  }

  async function runWith(c: (typeof cases)[number], key: string) {
    const used = { b: false };
    const returnType = getNamedType(c.field.type).name;
    const args = c.field.args
      .map((a: GraphQLArgument) => [a.name, valueFor(a.type, a.name, returnType, used)] as const)
      .filter(([, v]) => v !== undefined);
    expect(used.b).toBe(true);
    const vars = args.map(([n], i) => `$a${i}: ${c.field.args.find((a) => a.name === n)!.type}`).join(', ');
    const call = args.map(([n], i) => `${n}: $a${i}`).join(', ');
    const doc = `${c.kind}${vars ? `(${vars})` : ''} { ${c.field.name}${call ? `(${call})` : ''} ${selection(c.field)} }`;
    parse(doc);
    const res = await stack.gql(doc, Object.fromEntries(args.map(([, v], i) => [`a${i}`, v])), key);
    const text = JSON.stringify(res.body.data ?? null);
    for (const secret of Object.values(b)) expect(text).not.toContain(secret);
    expect(text).not.toContain('secret partner');
    if (res.body.errors?.length) {
      for (const e of res.body.errors) expect(REFUSALS).toContain(e.extensions?.code);
    } else {
      const value = (res.body.data as Record<string, any>)[c.field.name];
      if (value && typeof value === 'object' && 'totalCount' in value) expect(value.totalCount).toBe(0);
    }
  }

  describe("a partner token never reaches another partner's objects", () => {
    const other: Fixture = {};
    let token: string;
    beforeAll(async () => {
      const ga = async (q: string, v: Record<string, unknown> = {}) => {
        const r = await stack.gql(q, v);
        if (r.body.errors) throw new Error(JSON.stringify(r.body.errors));
        return r.body.data;
      };
      const mine = (await ga(`mutation { createPartner(input: { name: "Token holder" }) { id } }`)).createPartner.id;
      other.partner = (await ga(`mutation { createPartner(input: { name: "Other secret partner", externalId: "other-owner", referralCode: "othersecret" }) { id } }`)).createPartner.id;
      const link = (await ga(`mutation($p: ID) { createReferralLink(input: { partnerId: $p, path: "/o" }) { id trackingUrl } }`, { p: other.partner })).createReferralLink;
      other.link = link.id;
      const res = await fetch(link.trackingUrl, { headers: { 'user-agent': 'Mozilla/5.0 Chrome/121.0', 'x-forwarded-for': '81.2.69.181' }, redirect: 'manual' });
      other.click = new URL(res.headers.get('location')!).searchParams.get('click_id')!;
      const plan = (await ga(`mutation { createCommissionPlan(input: { name: "Other plan", currency: "USD", holdDays: 1, rules: [{ kind: CPA, eventType: FIRST_DEPOSIT, amount: "5" }] }) { id } }`)).createCommissionPlan.id;
      other.plan = plan;
      await waitFor('the other partner in commissions', async () => {
        const r = await stack.gql(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: other.partner, plan });
        return r.body.errors ? undefined : true;
      }, [], 15_000);
      const ev = (await ga(`mutation($c: String) { trackEvent(input: { eventType: FIRST_DEPOSIT, clickId: $c, email: "other-trader@x.io", amount: "100", currency: "USD" }) { id trader { id } commissions { id } } }`, { c: other.click })).trackEvent;
      Object.assign(other, { event: ev.id, trader: ev.trader.id, commission: ev.commissions[0].id, code: 'othersecret', product: 'no_such_product', kyc: 'kyc_00000000000000000000000000', endpoint: 'pbe_00000000000000000000000000', delivery: 'pbd_00000000000000000000000000' });
      const minted = await fetch(`${stack.origin}/oauth/partner-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey },
        body: JSON.stringify({ partnerId: mine, scopes: ['links:read', 'links:write', 'events:read', 'events:write', 'kyc:read', 'commissions:read', 'commissions:write', 'postbacks:manage'] }),
      });
      token = ((await minted.json()) as any).access_token;
    }, 60_000);

    it.each(cases.map((c) => [c.name, c] as const))('%s with the other partner\'s ids answers nothing of it', (_name, c) => runCase(c, other, token));
  });

  it("nothing of B's changed", async () => {
    const r = await stack.gql(
      `query($p: ID!, $k: ID!, $e: ID!, $c: ID!) { partner(id: $p) { name referralCode } kycApplication(id: $k) { status } postbackEndpoint(id: $e) { enabled } commission(id: $c) { status } referralCode(code: "B_SECRET_CODE") { active usedCount } }`,
      { p: b.partner, k: b.kyc, e: b.endpoint, c: b.commission },
      keyB,
    );
    expect(r.body.data).toEqual({
      partner: { name: 'B secret partner', referralCode: 'bsecret' },
      kycApplication: { status: 'PENDING' },
      postbackEndpoint: { enabled: true },
      commission: { status: 'PENDING' },
      referralCode: { active: true, usedCount: 0 },
    });
  });

  /** Which subgraph owns each entity (returns its data); elsewhere the type is a key-only stub. */
  const OWNER: Record<string, string> = {
    Partner: 'links',
    ReferralLink: 'links',
    Click: 'links',
    ReferralEvent: 'events',
    Trader: 'events',
    PostbackEndpoint: 'events',
    ReferralCode: 'kyc',
    KycApplication: 'kyc',
    Commission: 'commissions',
    CommissionPlan: 'commissions',
  };

  it("every entity type answers nothing of B through _entities with A's principal", async () => {
    const secret = signingKey(stack.principalSecret);
    const checked: string[] = [];
    for (const name of ['links', 'events', 'kyc', 'commissions']) {
      const sdl = fs.readFileSync(path.join(ROOT, 'schema', `${name}.graphql`), 'utf8');
      const types = [...sdl.matchAll(/type (\w+)\s*@key\(fields: "id"(, resolvable: false)?\)/g)].filter((m) => !m[2]).map((m) => m[1]);
      for (const type of types) {
        // A new entity type must be added to OWNER (and to the fixture): the matrix must cover it.
        expect({ type, owner: OWNER[type] }).toEqual({ type, owner: expect.any(String) });
        const id = type === 'ReferralCode' ? await codeId() : b[byType[type]];
        const token = await signPrincipal({ tenantId: stack.tenantId, scopes: ['links:read', 'events:read', 'kyc:read', 'commissions:read', 'postbacks:manage'] }, secret);
        const res = await fetch(stack.subgraphUrls[name], {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-gateway-principal': token },
          body: JSON.stringify({ query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on ${type} { id } } }`, variables: { r: [{ __typename: type, id }] } }),
        });
        const body = (await res.json()) as any;
        const entity = body.data?._entities?.[0] ?? null;
        if (OWNER[type] === name) expect({ type, entity }).toEqual({ type, entity: null });
        else expect({ type, entity }).toEqual({ type, entity: entity === null ? null : { id } }); // a stub echoes the key, nothing more
        checked.push(`${name}.${type}`);
      }
    }
    expect(checked).toEqual(expect.arrayContaining(Object.entries(OWNER).map(([t, o]) => `${o}.${t}`)));
  });

  /** B's KYC code's id (codes are looked up by their text at the root). */
  async function codeId(): Promise<string> {
    const r = await stack.gql(`{ referralCode(code: "B_SECRET_CODE") { id } }`, {}, keyB);
    return r.body.data.referralCode.id;
  }
});

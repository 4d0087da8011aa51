import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Supergraph } from '@apollo/federation-internals';
import {
  getNamedType,
  GraphQLInputType,
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
} from 'graphql';
import { ROOT, Stack, waitFor } from '../helpers/harness';
import { describeChanges, diff, quietSnapshot } from '../helpers/db-snapshot';
import { ID_ARGUMENTS } from '../../subgraphs/shared/src/id-arguments';

/**
 * Bad input, generated from schema/supergraph.graphql and the id table (id-arguments.ts).
 * For every mutation argument and input field, a valid call (BASELINES, built on a seeded
 * tenant) is sent with that one value replaced by one of the wrong type, out of range,
 * overlong, empty, malformed for its scalar and, for a reference, an unknown id and another
 * tenant's. Every answer must be an error with `extensions.code` and a `param` naming the
 * value (or, in a bulk call, a `rejected` record naming it), leak no `http://`, stack or
 * SQL, and every table of every database must be unchanged afterwards. Attribution signals
 * are the exception the table makes: a forged or foreign one is ignored and the fact stored.
 * Gaps another branch closes are listed in KNOWN_GAPS and must still fail, so the list
 * shrinks as they land.
 */

const uid = () => randomBytes(4).toString('hex');
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';
const utcDay = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const OVERLONG = 'x'.repeat(10_000);
/** Requests in flight at once. */
const PARALLEL = 6;

/**
 * Cases that fail today and belong to another branch of issue #16, with the owner:
 * C (ISO lists, IPs, UTM, Track360 limits, bulk per-record rejections, body limit),
 * D (plain dates, idempotency by value, recordClick refused to partners). Keyed by case name.
 */
const KNOWN_GAPS: Record<string, { owner: 'C' | 'D'; reason: string }> = {};

/**
 * Bad values that are not bad for that field, with why: never sent.
 */
const NOT_REFUSED: Record<string, string> = {
  'ForexTransactionInput.amountCurrency out of range (negative)': "Track360 gives the direction by transaction_type: a negative deposit or withdrawal is taken as its absolute value and an adjustment may be negative (README, forex data)",
  'ForexTransactionInput.amountUsd out of range (negative)': 'amount_usd has no sign rule in the seed; it follows amount_currency (a negative adjustment)',
  'ForexTransactionInput.status malformed': 'Track360: status "Enum values documented per partner (e.g. pending, approved, declined, reversed)": any status is stored, only approved and the reversed family derive events',
  'FxRateInput.effectiveFrom out of range (far future)': 'a rate may be entered ahead of the day it takes effect',
  'TrackEventInput.productId unknown id': 'stored as given unless eventSettings.refuseUnknownProducts (id table); the refusal is tested in products.ts',
  "TrackEventInput.productId another tenant's id": 'stored as given unless eventSettings.refuseUnknownProducts (id table)',
};

interface Fixture {
  partner: string;
  partner2: string;
  partnerCode: string;
  partnerExternal: string;
  link: string;
  slug: string;
  click: string;
  plan: string;
  event: string;
  eventEmail: string;
  commission: string;
  code: string;
  kyc: string;
  endpoint: string;
  delivery: string;
  product: string;
  customer: string;
}

/** The id of each referenced type in a fixture (for `unknown`, the same prefix). */
const FIXTURE_OF: Record<string, keyof Fixture> = {
  Partner: 'partner',
  ReferralLink: 'link',
  Click: 'click',
  CommissionPlan: 'plan',
  ReferralEvent: 'event',
  Commission: 'commission',
  ReferralCode: 'code',
  KycApplication: 'kyc',
  PostbackEndpoint: 'endpoint',
  PostbackDelivery: 'delivery',
  Product: 'product',
  Trader: 'customer',
};

type Vars = Record<string, unknown>;

/**
 * Valid variables for each mutation, one or more variants: a field is tested in the first
 * variant that holds it (refundOf needs a REFUND, customEventName a CUSTOM event...).
 */
const BASELINES: Record<string, (a: Fixture) => Vars[]> = {
  approveDueCommissions: () => [{ asOf: new Date(Date.now() - 86_400_000).toISOString() }],
  approveCommissions: (a) => [{ ids: [a.commission] }],
  reverseCommission: (a) => [{ id: a.commission, reason: 'duplicate account' }],
  markCommissionsPaid: (a) => [{ ids: [a.commission] }],
  createCommissionPlan: () => RULES.map((rule) => ({ input: planInput(rule) })),
  updateCommissionPlan: (a) => RULES.map((rule) => ({ id: a.plan, input: planInput(rule), effectiveFrom: new Date(Date.now() - 1000).toISOString() })),
  assignCommissionPlan: (a) => [{ planId: a.plan, partnerId: a.partner }],
  setFxRate: () => [{ input: { from: 'EUR', to: 'USD', rate: '1.08', effectiveFrom: new Date(Date.now() - 86_400_000).toISOString() } }],
  createProduct: () => [{ input: { id: `bi_new_${uid()}`, name: 'New product' } }],
  updateProduct: (a) => [{ id: a.product, input: { name: 'Renamed', archived: false } }],
  trackEvent: (a) => {
    const common = { email: a.eventEmail, name: 'Jane', externalCustomerId: null, paymentMethod: 'card', productId: a.product, occurredAt: new Date(Date.now() - 60_000).toISOString(), ip: '81.2.69.160', userAgent: UA };
    return [
      { input: { ...common, eventType: 'REFUND', refundOf: a.event, amount: '10', currency: 'USD', amountUsd: '10', clickId: a.click, referralCode: a.partnerCode } },
      { input: { eventType: 'CUSTOM', customEventName: 'webinar', email: `bi-${uid()}@x.io`, externalCustomerId: `bi-${uid()}` } },
      { input: { eventType: 'SUBSCRIPTION', subscriptionStatus: 'active', amount: '10', currency: 'USD', email: `bi-${uid()}@x.io` } },
      // Alone in its variant: a key recorded by one wrongly accepted case would make every later case a CONFLICT.
      { idempotencyKey: `bi-${uid()}`, input: { eventType: 'REGISTRATION', email: `bi-${uid()}@x.io` } },
    ];
  },
  upsertForexCustomers: (a) => [{ records: [{ customerId: `bi-c-${uid()}`, signupDate: `${utcDay(-3)}T14:30:00Z`, lastModifiedDate: `${utcDay(-2)}T08:00:00Z`, affiliateId: a.partnerExternal, trackingData: '2001_1000', langId: 'es', countryCode: 'MX', kycStatusId: 'approved', salesStatusId: 'converted', tradingAccountType: 'ECN', leverage: '1:200', firstName: 'Maria', lastName: 'S', email: `bi-${uid()}@x.io` }] }],
  upsertForexTransactions: (a) => [{ records: [{ transactionId: `bi-t-${uid()}`, customerId: a.customer, transactionType: 'deposit', transactionSubtype: 'wire', amountCurrency: '100', amountUsd: '100', currency: 'USD', transactionDate: `${utcDay(-1)}T10:45:00Z`, status: 'approved', note: 'n' }] }],
  upsertTradingActivity: (a) => [{ records: [{ date: utcDay(-1), customerId: a.customer, instrument: 'GBPUSD', lotsTraded: '2.5', volumeUsd: '250000', spreadCost: '7.5', commission: '5', pnl: '-12.3', currency: 'USD' }] }],
  updateEventSettings: () => [{ input: { conversionEventTypes: ['FIRST_DEPOSIT'], refuseUnknownProducts: false } }],
  createPostbackEndpoint: () => [{ input: { url: 'https://hooks.example.com/bad-input', eventTypes: ['FIRST_DEPOSIT'], description: 'CRM' } }],
  updatePostbackEndpoint: (a) => [{ id: a.endpoint, input: { url: 'https://hooks.example.com/other', eventTypes: ['*'], description: 'CRM', enabled: false } }],
  rotatePostbackSecret: (a) => [{ id: a.endpoint }],
  deletePostbackEndpoint: (a) => [{ id: a.endpoint }],
  sendTestPostback: (a) => [{ endpointId: a.endpoint }],
  redeliverPostback: (a) => [{ deliveryId: a.delivery }],
  startKyc: (a) => [{ input: { userId: `bi-u-${uid()}`, firstName: 'Jane', lastName: 'Smith', email: `bi-${uid()}@x.io`, country: 'GB', referralCode: a.code } }],
  decideKyc: (a) => [{ id: a.kyc, decision: 'REJECTED', reason: 'documents unreadable' }],
  createReferralCode: () => [{ input: { userId: `bi-owner-${uid()}`, referralCode: `BI_${uid()}`.toUpperCase(), category: 'vip', bonus: { amount: '10', currency: 'USD' } } }],
  deactivateReferralCode: (a) => [{ code: a.code }],
  recordClick: (a) => [
    { input: { linkId: a.link, ip: '81.2.69.160', userAgent: UA, referrer: 'https://blog.example/post' } },
    { input: { slug: a.slug, ip: '81.2.69.160', userAgent: UA } },
  ],
  createReferralLink: (a) => [{ input: { partnerId: a.partner, path: '/open', encryptPartnerId: false, geoRouting: false, utm: { source: 's', medium: 'm', campaign: 'c', term: 't', content: 'k' } } }],
  createPartner: (a) => [{ input: { name: 'New IB', email: `bi-${uid()}@x.io`, externalId: `bi-ext-${uid()}`, parentId: a.partner, referralCode: `bi_${uid()}` } }],
  updatePartner: (a) => [{ id: a.partner2, input: { name: 'Renamed IB', email: `bi-${uid()}@x.io`, externalId: `bi-ext-${uid()}`, parentId: a.partner } }],
  updateReferralCode: (a) => [{ partnerId: a.partner2, code: `bi_${uid()}` }],
  updateLinkSettings: () => [{ input: { primaryDomain: 'https://www.broker.example', regionalDomains: [{ domain: 'https://de.broker.example', countries: ['DE'] }], referralPath: '/join', clickCookieName: 'rgw_click', clickCookieDays: 30, clickParamName: 'click_id', attributionWindowHours: 720, partnersRecordClicks: false } }],
  rotateLinkEncryptionKey: () => [{}],
};

/** One rule of each shape: a field is tested in the first plan whose rule has it. */
const RULES: Vars[] = [
  { kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '100', minAmount: '50', tierRates: ['10'], accountTypes: ['ECN'], countries: ['DE'] },
  { kind: 'REVSHARE', percentage: '20' },
  { kind: 'LOT_REBATE', perLot: '5', instruments: ['EURUSD'] },
];

function planInput(rule: Vars) {
  return {
    name: `BI plan ${uid()}`,
    currency: 'USD',
    holdDays: 30,
    productId: 'bi_product',
    isDefault: false,
    salePercentage: '5',
    rules: [rule],
  };
}

/** Values of fields whose format a plain string cannot say, by field name: each must be refused. */
const MALFORMED_BY_NAME: Record<string, unknown> = {
  email: 'not-an-email',
  currency: 'dollars',
  from: 'dollars',
  to: 'dollars',
  url: 'not a url',
  primaryDomain: 'not a domain',
  domain: 'not a domain',
  path: 'no-leading-slash',
  referralPath: 'no-leading-slash',
  country: 'Germany',
  countries: 'Germany',
  countryCode: 'Germany',
  langId: 'Spanish',
  ip: 'not-an-ip',
  signupDate: 'not-a-date',
  lastModifiedDate: 'not-a-date',
  transactionDate: 'not-a-date',
  date: 'not-a-date',
  referralCode: 'no spaces allowed!',
  code: 'no spaces allowed!',
  subscriptionStatus: 'sleeping',
  eventTypes: 'NOT_AN_EVENT',
  transactionType: 'gift',
  status: 'maybe',
};

/** Fields named like an id that name no object, with what they are. */
const NOT_IDS: Record<string, string> = {
  'ForexCustomerInput.langId': 'an ISO 639-1 language (Track360 lang_id)',
  'ForexCustomerInput.countryCode': 'an ISO 3166-1 country',
  'ForexCustomerInput.kycStatusId': "a status of the broker's CRM, stored as sent",
  'ForexCustomerInput.salesStatusId': "a status of the broker's CRM, stored as sent",
};

/** Decimal fields where a negative value is a fact (a trading loss). */
const NEGATIVE_ALLOWED = new Set(['TradingActivityInput.pnl']);

interface Case {
  name: string;
  mutation: string;
  query: string;
  variables: Vars;
  /** Where the fault is, as `param` names it: `input.rules.0.amount`, `records.0.email`. */
  param: string;
  bulk: boolean;
}

interface Answer {
  status: number;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

function apiSchema(): GraphQLSchema {
  return Supergraph.build(fs.readFileSync(path.join(ROOT, 'schema', 'supergraph.graphql'), 'utf8')).apiSchema().toGraphQLJSSchema();
}

const typeText = (t: GraphQLInputType): string => t.toString();

/** Replaces the value at `at` (keys and list indexes) in a copy of `vars`. */
function replaced(vars: Vars, at: (string | number)[], value: unknown): Vars {
  const copy = structuredClone(vars);
  let node: any = copy;
  for (const k of at.slice(0, -1)) node = node[k];
  node[at[at.length - 1]] = value;
  return copy;
}

/** The bad values for one input value of the given type at coordinate `coord`. */
function badValues(type: GraphQLInputType, coord: string, field: string, ids: { unknown?: string; foreign?: string }): [string, unknown][] {
  const required = isNonNullType(type);
  const named = getNamedType(type);
  const listed = isListType(isNonNullType(type) ? type.ofType : type);
  const out: [string, unknown][] = [];
  const table = ID_ARGUMENTS[coord];
  if (isInputObjectType(named)) return [['wrong type', listed ? ['x'] : 'x']];
  if (isEnumType(named)) return [['unknown enum value', listed ? ['NOT_A_VALUE'] : 'NOT_A_VALUE']];
  const one = (label: string, v: unknown) => out.push([label, listed ? [v] : v]);
  switch (named.name) {
    case 'Int':
      one('wrong type', 'x');
      one('out of range', -1);
      one('out of range (beyond 32 bits)', 2 ** 31);
      break;
    case 'Boolean':
      one('wrong type', 'yes');
      break;
    case 'Decimal':
    // Bulk record amounts: the same bad values, answered per record in `rejected` rather than for the call.
    case 'RecordDecimal':
      one('wrong type', true);
      one('malformed', 'abc');
      one('empty', '');
      one('overlong (more significant digits than any field takes)', '1234567890123456789012345.5');
      if (!NEGATIVE_ALLOWED.has(coord)) one('out of range (negative)', '-1');
      break;
    case 'DateTime':
    case 'Date':
      one('wrong type', true);
      one('malformed', 'not-a-date');
      one('empty', '');
      one('out of range (far future)', '9999-12-31T00:00:00Z');
      break;
    case 'ID':
    case 'String':
      one('wrong type', true);
      one('overlong', OVERLONG);
      // A signal is ignored when it names nothing (an empty or malformed one too): the fact is stored.
      if (table?.kind === 'signal') break;
      if (required || named.name === 'ID' || (table && table.kind !== 'filter')) one('empty', '');
      if (field in MALFORMED_BY_NAME && table?.kind !== 'key') one('malformed', MALFORMED_BY_NAME[field]);
      if (table?.kind === 'reference') {
        if (ids.unknown) one('unknown id', ids.unknown);
        if (ids.foreign) one("another tenant's id", ids.foreign);
      }
      break;
    default:
      throw new Error(`no bad values for the scalar ${named.name} (${coord}): add them`);
  }
  void required;
  return out;
}

/** A well-formed id that names nothing: the fixture id's prefix, a random rest. */
const unknownLike = (id: string) => (/^[a-z]+_/.test(id) ? `${id.split('_')[0]}_${'0'.repeat(Math.max(8, id.length - id.indexOf('_') - 1))}` : `NO_SUCH_${uid()}`.toUpperCase());

/** Every case: each mutation argument and input field, each bad value. */
function generateCases(schema: GraphQLSchema, a: Fixture, b: Fixture): { cases: Case[]; uncovered: string[] } {
  const cases: Case[] = [];
  const uncovered: string[] = [];
  for (const field of Object.values(schema.getMutationType()!.getFields())) {
    const variants = BASELINES[field.name]?.(a);
    if (!variants) {
      uncovered.push(`Mutation.${field.name}: no baseline in BASELINES`);
      continue;
    }
    const ret = getNamedType(field.type);
    const selection = isObjectType(ret) ? (ret.name === 'BulkUpsertResult' ? '{ accepted rejected { index field message } }' : '{ __typename }') : '';
    const query = `mutation BadInput${field.args.length ? `(${field.args.map((x) => `$${x.name}: ${typeText(x.type)}`).join(', ')})` : ''} { ${field.name}${field.args.length ? `(${field.args.map((x) => `${x.name}: $${x.name}`).join(', ')})` : ''} ${selection} }`;
    const bulk = ret.name === 'BulkUpsertResult';
    const visit = (type: GraphQLInputType, coord: string, name: string, at: (string | number)[]) => {
      const variant = variants.find((v) => has(v, at));
      if (!variant) {
        uncovered.push(`${coord}: no variant of BASELINES.${field.name} holds ${at.join('.')}`);
        return;
      }
      const named = getNamedType(type);
      const table = ID_ARGUMENTS[coord];
      const ref = table && FIXTURE_OF[table.names];
      const ids = table?.kind === 'reference' && ref ? { unknown: unknownLike(a[ref]), foreign: table.names === 'ReferralCode' ? b.code : b[ref] } : {};
      for (const [label, value] of badValues(type, coord, name, ids)) {
        if (NOT_REFUSED[`${coord} ${label}`]) continue;
        const listed = isListType(isNonNullType(type) ? type.ofType : type);
        cases.push({ name: `${coord} ${label}`, mutation: field.name, query, variables: replaced(variant, at, value), param: [...at, ...(listed && !Array.isArray(value) ? [] : listed ? [0] : [])].join('.'), bulk });
      }
      if (isInputObjectType(named)) {
        const listed = isListType(isNonNullType(type) ? type.ofType : type);
        for (const f of Object.values(named.getFields())) visit(f.type, `${named.name}.${f.name}`, f.name, [...at, ...(listed ? [0] : []), f.name]);
      }
    };
    for (const arg of field.args) visit(arg.type, `Mutation.${field.name}(${arg.name})`, arg.name, [arg.name]);
  }
  return { cases, uncovered };
}

function has(vars: Vars, at: (string | number)[]): boolean {
  let node: any = vars;
  for (const k of at) {
    if (node === null || typeof node !== 'object' || !(k in node)) return false;
    node = node[k];
  }
  return node !== undefined;
}

const normalise = (param: string) => param.replace(/\[(\d+)\]/g, '.$1');

/** What is wrong with an answer to a case, or null when it is a clear refusal of that value. */
export function problemWith(c: Case, answer: Answer): string | null {
  const text = JSON.stringify(answer.body);
  // An address (an internal service's), not a message saying http:// URLs are allowed.
  if (/http:\/\/[\w[]/.test(text)) return `leaks an address: ${text.slice(0, 300)}`;
  if (/\n\s+at .+:\d+:\d+|\bat [\w.<>]+ \(.*:\d+:\d+\)/.test(text)) return `leaks a stack: ${text.slice(0, 300)}`;
  if (/\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b|QueryFailedError|SQLITE_|violates|duplicate key|relation "/i.test(text)) return `leaks SQL: ${text.slice(0, 300)}`;
  const errors = answer.body.errors;
  if (!errors?.length) {
    const rejected = c.bulk ? answer.body.data?.[c.mutation]?.rejected : undefined;
    if (rejected?.length && answer.body.data[c.mutation].accepted === 0) {
      const field = c.param.split('.').slice(2).join('.');
      return rejected.some((r: any) => r.index === 0 && (r.field === field || String(r.field).startsWith(`${field}.`) || field.startsWith(`${r.field}.`)))
        ? null
        : `rejected, but not naming ${c.param}: ${JSON.stringify(rejected)}`;
    }
    return `accepted: ${text.slice(0, 300)}`;
  }
  for (const e of errors) {
    if (!e.extensions?.code) return `an error without extensions.code: ${JSON.stringify(e)}`;
  }
  const first = errors[0];
  const param = first.extensions?.param;
  if (typeof param !== 'string') return `${first.extensions!.code} without param: ${first.message}`;
  const p = normalise(param);
  // A list item's fault may be named by the list (`input.eventTypes` for `input.eventTypes.0`).
  const list = c.param.replace(/\.0$/, '');
  if (p !== c.param && p !== list && !p.startsWith(`${c.param}.`)) return `${first.extensions!.code} names ${param}, not ${c.param}: ${first.message}`;
  return null;
}

async function pool<T, R>(items: T[], n: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  }));
  return out;
}

export function defineBadInputTests(stack: () => Stack): void {
  describe('bad input: a clear answer every time, nothing written (generated from the schema and the id table)', () => {
    const schema = apiSchema();
    let a: Fixture;
    let b: Fixture;

    async function post(query: string, variables: Vars, key: string): Promise<Answer> {
      const res = await fetch(stack().gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ query, variables }) });
      return { status: res.status, body: (await res.json()) as Answer['body'] };
    }

    /** Seeds one tenant with one of everything an id can name. */
    async function seedTenant(key: string): Promise<Fixture> {
      const ok = async (query: string, variables: Vars = {}) => {
        const r = await post(query, variables, key);
        if (r.body.errors) throw new Error(`${query.slice(0, 100)}: ${JSON.stringify(r.body.errors)}`);
        return r.body.data;
      };
      const u = uid();
      const partnerExternal = `bi-ib-${u}`;
      const partnerCode = `bi_ib_${u}`;
      const partner = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: 'BI IB', externalId: partnerExternal, referralCode: partnerCode } })).createPartner.id;
      const partner2 = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: 'BI IB 2' } })).createPartner.id;
      const link = (await ok(`mutation($p: ID) { createReferralLink(input: { partnerId: $p, path: "/bi" }) { id trackingUrl } }`, { p: partner })).createReferralLink;
      const res = await fetch(link.trackingUrl, { headers: { 'user-agent': UA, 'x-forwarded-for': '81.2.69.170' }, redirect: 'manual' });
      const click = new URL(res.headers.get('location')!).searchParams.get('click_id')!;
      const plan = (await ok(`mutation { createCommissionPlan(input: { name: "BI plan", currency: "USD", holdDays: 30, rules: [{ kind: CPA, eventType: FIRST_DEPOSIT, amount: "5" }] }) { id } }`)).createCommissionPlan.id;
      await waitFor('commissions to know the partner', async () => ((await post(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: partner, plan }, key)).body.errors ? undefined : true), [], 15_000);
      const eventEmail = `bi-trader-${u}@x.io`;
      const event = (await ok(`mutation($c: String, $e: String) { trackEvent(input: { eventType: FIRST_DEPOSIT, clickId: $c, email: $e, amount: "100", currency: "USD" }) { id } }`, { c: click, e: eventEmail })).trackEvent.id;
      const commission = await waitFor('the commission', async () => (await ok(`query($id: ID!) { event(id: $id) { commissions { id } } }`, { id: event })).event.commissions[0]?.id as string | undefined, [], 15_000);
      const code = `BI_CODE_${u}`.toUpperCase();
      await ok(`mutation($i: CreateReferralCodeInput!) { createReferralCode(input: $i) { id } }`, { i: { userId: partnerExternal, referralCode: code } });
      const kyc = (await ok(`mutation($c: String) { startKyc(input: { userId: "bi-applicant", referralCode: $c }) { id } }`, { c: code })).startKyc.id;
      let ep = await post(`mutation { createPostbackEndpoint(input: { url: "https://hooks.example.invalid/bi", eventTypes: ["REGISTRATION"] }) { endpoint { id } } }`, {}, key);
      const endpoint = ep.body.data.createPostbackEndpoint.endpoint.id;
      const delivery = (await ok(`mutation($e: ID!) { sendTestPostback(endpointId: $e) { id } }`, { e: endpoint })).sendTestPostback.id;
      ep = await post(`mutation($e: ID!) { updatePostbackEndpoint(id: $e, input: { enabled: false }) { id } }`, { e: endpoint }, key);
      const customer = `bi-cust-${u}`;
      await ok(`mutation($r: [ForexCustomerInput!]!) { upsertForexCustomers(records: $r) { accepted } }`, { r: [{ customerId: customer, signupDate: `${utcDay(-5)}T10:00:00Z`, affiliateId: partnerExternal, trackingData: 't' }] });
      const product = (await ok(`mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }`, { i: { id: `bi_product_${u}`, name: 'BI product' } })).createProduct.id;
      return { partner, partner2, partnerCode, partnerExternal, link: link.id, slug: new URL(link.trackingUrl).pathname.split('/').pop()!, click, plan, event, eventEmail, commission, code, kyc, endpoint, delivery, product, customer };
    }

    beforeAll(async () => {
      const tenant = await stack().admin('create-tenant', '--name', `Bad input ${uid()}`);
      const keyB = (await stack().admin('create-key', '--tenant', tenant.id, '--scopes', 'all')).key;
      [a, b] = await Promise.all([seedTenant(stack().apiKey), seedTenant(keyB)]);
    }, 90_000);

    it('every id argument and id input field of the schema is classified in the id table, and the table names only what the schema has', () => {
      const coordinates = new Set<string>();
      const idLike = (coord: string, name: string, type: GraphQLInputType) =>
        !NOT_IDS[coord] && (getNamedType(type).name === 'ID' || (getNamedType(type).name === 'String' && /(^id$|Id$|^code$|Code$|^slug$)/.test(name)));
      for (const t of Object.values(schema.getTypeMap())) {
        if (t.name.startsWith('__')) continue;
        if (isObjectType(t)) for (const f of Object.values(t.getFields())) for (const arg of f.args) if (idLike(`${t.name}.${f.name}(${arg.name})`, arg.name, arg.type)) coordinates.add(`${t.name}.${f.name}(${arg.name})`);
        if (isInputObjectType(t)) for (const f of Object.values(t.getFields())) if (idLike(`${t.name}.${f.name}`, f.name, f.type)) coordinates.add(`${t.name}.${f.name}`);
      }
      expect([...coordinates].filter((c) => !ID_ARGUMENTS[c]).sort()).toEqual([]);
      expect(Object.keys(ID_ARGUMENTS).filter((c) => !coordinates.has(c)).sort()).toEqual([]);
    });

    it('every mutation argument and input field, sent wrong, is refused with code and param, leaks nothing and writes nothing', async () => {
      const { cases, uncovered } = generateCases(schema, a, b);
      expect(uncovered).toEqual([]);
      // Known gaps run after the second snapshot: what they wrongly write is their owner's to remove.
      const gaps = cases.filter((c) => KNOWN_GAPS[c.name]);
      const checked = cases.filter((c) => !KNOWN_GAPS[c.name]);
      // A fact an earlier part left waiting for its retry would land mid-test: wait up to one retry cycle for it.
      const before = await quietSnapshot(stack(), { busWaitMs: 50_000 });
      const answers = await pool(checked, PARALLEL, (c) => post(c.query, c.variables, stack().apiKey));
      const after = await quietSnapshot(stack());
      const problems = checked.map((c, i) => [c.name, problemWith(c, answers[i])]).filter(([, p]) => p).map(([n, p]) => `${n}: ${p}`);
      const gapAnswers = await pool(gaps, PARALLEL, (c) => post(c.query, c.variables, stack().apiKey));
      // A known gap that now passes, or names no case any more, must leave the list.
      const stale = Object.keys(KNOWN_GAPS).filter((n) => !gaps.some((c, i) => c.name === n && problemWith(c, gapAnswers[i])));
      expect({ problems, stale }).toEqual({ problems: [], stale: [] });
      expect(describeChanges(diff(before, after))).toBe('');
      expect(cases.length).toBeGreaterThan(300);
    }, 200_000);

    it('a forged, foreign or unknown attribution signal is ignored and the event stored unattributed', async () => {
      const signals: [string, Vars][] = [
        ['TrackEventInput.clickId forged', { clickId: `${a.click.slice(0, -4)}AAAA` }],
        ['TrackEventInput.clickId malformed', { clickId: 'not-a-click-id' }],
        ["TrackEventInput.clickId another tenant's", { clickId: b.click }],
        ['TrackEventInput.referralCode unknown', { referralCode: `no_such_${uid()}` }],
        ["TrackEventInput.referralCode another tenant's", { referralCode: b.partnerCode }],
      ];
      for (const [name, signal] of signals) {
        expect(ID_ARGUMENTS[name.split(' ')[0]].kind).toBe('signal');
        const res = await post(`mutation($i: TrackEventInput!) { trackEvent(input: $i) { id partner { id } attribution } }`, { i: { eventType: 'REGISTRATION', email: `bi-sig-${uid()}@x.io`, ...signal } }, stack().apiKey);
        expect([name, res.body.errors]).toEqual([name, undefined]);
        expect([name, res.body.data.trackEvent.partner]).toEqual([name, null]);
        const stored = await post(`query($id: ID!) { event(id: $id) { id } }`, { id: res.body.data.trackEvent.id }, stack().apiKey);
        expect(stored.body.data.event.id).toBe(res.body.data.trackEvent.id);
      }
      expect(ID_ARGUMENTS['ForexCustomerInput.affiliateId'].kind).toBe('signal');
      for (const affiliateId of [`no-such-${uid()}`, b.partnerExternal]) {
        const customerId = `bi-sig-${uid()}`;
        const res = await post(`mutation($r: [ForexCustomerInput!]!) { upsertForexCustomers(records: $r) { accepted rejected { field } } }`, { r: [{ customerId, signupDate: `${utcDay(-1)}T10:00:00Z`, affiliateId, trackingData: 't' }] }, stack().apiKey);
        expect(res.body.data.upsertForexCustomers).toEqual({ accepted: 1, rejected: [] });
        const t = await post(`query($e: String) { traders(filter: { externalId: $e }) { nodes { partner { id } } } }`, { e: customerId }, stack().apiKey);
        expect(t.body.data.traders.nodes).toEqual([{ partner: null }]);
      }
    });

    it('a filter naming another partner from a partner credential is FORBIDDEN; an unknown id from the tenant is an empty answer', async () => {
      const token = ((await (await fetch(`${stack().origin}/oauth/partner-token`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${stack().apiKey}` }, body: JSON.stringify({ partnerId: a.partner }) })).json()) as { access_token: string }).access_token;
      const asPartner = async (query: string, variables: Vars) => {
        const res = await fetch(stack().gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
        return (await res.json()) as Answer['body'];
      };
      const checked: string[] = [];
      for (const f of Object.values(schema.getQueryType()!.getFields())) {
        for (const arg of f.args) {
          const named = getNamedType(arg.type);
          const direct = ID_ARGUMENTS[`Query.${f.name}(${arg.name})`];
          const nested = isInputObjectType(named) ? Object.values(named.getFields()).find((x) => ID_ARGUMENTS[`${named.name}.${x.name}`]?.kind === 'filter' && ID_ARGUMENTS[`${named.name}.${x.name}`].names === 'Partner' && x.name === 'partnerId') : undefined;
          if (!(direct?.kind === 'filter' && direct.names === 'Partner') && !nested) continue;
          const value = (id: string) => (nested ? { [nested.name]: id } : id);
          const query = `query($v: ${typeText(arg.type)}) { ${f.name}(${arg.name}: $v) { __typename } }`;
          const other = await asPartner(query, { v: value(a.partner2) });
          expect([f.name, other.errors?.[0].extensions?.code, other.errors?.[0].extensions?.param]).toEqual([f.name, 'FORBIDDEN', nested ? `${arg.name}.${nested.name}` : arg.name]);
          const unknown = await post(query, { v: value(unknownLike(a.partner)) }, stack().apiKey);
          expect([f.name, unknown.body.errors]).toEqual([f.name, undefined]);
          checked.push(f.name);
        }
      }
      expect(checked.length).toBeGreaterThanOrEqual(5);
    });

    it('referralGraph with an unknown or another tenant\'s partner is NOT_FOUND with param, not an all-zero graph', async () => {
      for (const partnerId of [unknownLike(a.partner), b.partner]) {
        const res = await post(`query($p: ID) { referralGraph(partnerId: $p) { clicks { v } } }`, { p: partnerId }, stack().apiKey);
        expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', param: 'partnerId' });
      }
      expect(ID_ARGUMENTS['Query.referralGraph(partnerId)'].kind).toBe('reference');
    });

  });
}

import { randomBytes } from 'node:crypto';
import { buildClientSchema, getIntrospectionQuery, getNamedType, GraphQLObjectType, GraphQLSchema, IntrospectionQuery } from 'graphql';
import { Stack, waitFor } from '../helpers/harness';
import { collect, wsClient } from '../helpers/ws';
import { startReceiver } from '../helpers/receiver';
import { describeChanges, diff, holdBackConsumer, quietSnapshot, Snapshot } from '../helpers/db-snapshot';
import { ArgFiller, isRequired, literalFor, markExercised, Operation, operationText, reachableFields, selectionFor, split } from '../helpers/read-operations';
import { encodeCorrectionCursor } from '../../subgraphs/events/src/domain/event-cursor';

/**
 * Reads never write. A tenant is seeded through the gateway with something behind every
 * field (a partner chain, codes, links, clicks, events of every type with payments,
 * commissions in every status and a refund, forex data, KYC codes and applications, plans,
 * a postback endpoint and its deliveries); then every table of every database is
 * snapshotted, every field of the API schema (from the gateway's own introspection) is read
 * from every root field, as the tenant and as a partner, and through the live subscription,
 * and every table must be unchanged.
 *
 * Two events are read before their commissions consumer has run (it is held back by a
 * trigger on its inbox, so its deliveries roll back and wait): the read of a payment's or a
 * refund's commissions must not create or reverse them itself.
 */

const uid = () => randomBytes(4).toString('hex');
const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

/** The gateway's document limits (README "Credentials, scopes and limits"; the test stacks keep the defaults). */
const LIMITS = { maxDepth: 12, maxAliases: 30, maxCost: 20_000 };
/** Operations per HTTP batch (MAX_BATCH_SIZE is 20). */
const BATCH = 20;
/** Page size asked of every list. */
const FIRST = 5;

/**
 * Tables whose rows may change while only reads run, with the reason. None: the outbox
 * relay marking facts published and postback attempts are background work of earlier
 * writes, so the snapshots are taken once that work is done (quietSnapshot).
 */
const TABLES_CHANGED_BY_READS: Record<string, string> = {};

/**
 * Fields of the API schema no read here can reach, with the reason. Everything else reachable
 * from Query and Subscription must resolve at least once on a non-null parent, so a field
 * added later is read by this test without anyone adding it here.
 */
const NOT_EXERCISED: Record<string, string> = {};

/** Arguments named like this take the id of that type. */
const ID_ARGUMENTS: Record<string, string> = {
  partnerId: 'Partner',
  parentId: 'Partner',
  linkId: 'ReferralLink',
  traderId: 'Trader',
  eventId: 'ReferralEvent',
  endpointId: 'PostbackEndpoint',
  deliveryId: 'PostbackDelivery',
  planId: 'CommissionPlan',
  commissionId: 'Commission',
  clickId: 'Click',
};

/**
 * Where each live stream replays from (its `after`), taken while seeding just before the
 * last writes, so each subscription receives those writes' messages without a write of its
 * own during the reads. A subscription added later needs its line here (the test says so).
 */
const REPLAY_FROM: Record<string, (ok: (query: string, variables?: Record<string, unknown>) => Promise<any>) => Promise<string>> = {
  // Events are listed newest first: the newest one's cursor.
  conversionRecorded: async (ok) => (await ok(`{ events(first: 1) { nodes { cursor } } }`)).events.nodes[0].cursor,
  // The log of corrections has no list query: replay it from its start (the seed corrects a deposit).
  conversionCorrected: async () => encodeCorrectionCursor(0),
  // The change log is read oldest first; its last page's endCursor is the end of the log.
  commissionChanged: async (ok) => {
    let after: string | null = null;
    for (;;) {
      const page: any = (await ok(`query($a: String) { commissionChanges(first: 100, after: $a) { pageInfo { hasNextPage endCursor } } }`, { a: after })).commissionChanges.pageInfo;
      after = page.endCursor;
      if (!page.hasNextPage) return after!;
    }
  },
};

/** The UTC date `offset` days from today, YYYY-MM-DD. */
const utcDay = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

const PAYMENTS = new Set(['FIRST_DEPOSIT', 'RECURRING_DEPOSIT', 'SUBSCRIPTION', 'WITHDRAWAL', 'REFUND', 'CHARGEBACK']);

interface Answer {
  data?: any;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export function defineReadOnlyTests(stack: () => Stack): void {
  describe('reads never write', () => {
    let key: string;
    let schema: GraphQLSchema;
    /** Ids (and codes) of what the seed created, by GraphQL type. */
    const seeded: Record<string, string[]> = {};
    const add = (type: string, ...ids: (string | null | undefined)[]) => (seeded[type] ??= []).push(...(ids.filter(Boolean) as string[]));
    /** Each live stream's position just before the last writes of the seed. */
    const replayFrom: Record<string, string> = {};
    let childId: string;
    let held: { payment: string; refund: string };
    let release: (() => Promise<void>) | null = null;
    let receiver: Awaited<ReturnType<typeof startReceiver>> | null = null;

    async function post(body: unknown, credential = key): Promise<any> {
      const res = await fetch(stack().gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
        body: JSON.stringify(body),
      });
      return res.json();
    }
    async function ok(query: string, variables: Record<string, unknown> = {}): Promise<any> {
      const res = (await post({ query, variables })) as Answer;
      if (res.errors) throw new Error(`${query.slice(0, 120)}: ${JSON.stringify(res.errors)}`);
      return res.data;
    }
    async function click(url: string, ip: string): Promise<string> {
      const res = await fetch(url, { headers: { 'user-agent': UA, 'x-forwarded-for': ip, referer: 'https://news.example/ib' }, redirect: 'manual' });
      expect(res.status).toBe(302);
      return new URL(res.headers.get('location')!).searchParams.get('click_id')!;
    }

    /** Seeds the tenant through the gateway, as its integrations would; independent parts side by side. */
    async function seed(): Promise<void> {
      const u = uid();
      const partner = async (input: Record<string, unknown>) => (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: input })).createPartner.id as string;
      const parentExternal = `ro_parent_${u}`;
      const childExternal = `ro_child_${u}`;
      const parentId = await partner({ name: 'RO Parent IB', email: `parent-${u}@ro.example`, externalId: parentExternal });
      childId = await partner({ name: 'RO Child IB', email: `child-${u}@ro.example`, externalId: childExternal, parentId, referralCode: `ro_${u}` });
      add('Partner', childId, parentId);
      const product = `ro_product_${u}`;
      let forexTrader = '';

      // Codes, link settings, links and clicks (links).
      const links = async () => {
        await ok(`mutation($p: ID, $c: String!) { updateReferralCode(partnerId: $p, code: $c) { id } }`, { p: childId, c: `ro2_${u}` });
        await ok(`mutation { rotateLinkEncryptionKey { keyId } }`);
        await ok(`mutation($i: LinkSettingsInput!) { updateLinkSettings(input: $i) { primaryDomain } }`, {
          i: { primaryDomain: 'https://www.broker.example', referralPath: '/join', regionalDomains: [{ domain: 'https://de.broker.example', countries: ['DE'] }] },
        });
        const link = (await ok(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { id trackingUrl } }`, {
          i: { partnerId: childId, path: '/open-account', encryptPartnerId: true, geoRouting: true, utm: { source: 'newsletter', medium: 'email', campaign: 'spring', term: 'fx', content: 'top' } },
        })).createReferralLink;
        const parentLink = (await ok(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { id } }`, { i: { partnerId: parentId, path: '/p' } })).createReferralLink;
        add('ReferralLink', link.id, parentLink.id);
        const clickId = await click(link.trackingUrl, '81.2.69.160');
        await click(link.trackingUrl, '81.2.69.160');
        const recorded = (await ok(`mutation($i: RecordClickInput!) { recordClick(input: $i) { id } }`, {
          i: { linkId: parentLink.id, ip: '81.2.69.161', userAgent: UA, referrer: 'https://blog.example/post' },
        })).recordClick;
        add('Click', recorded.id);
        return clickId;
      };

      // Plans, the child's assignment, and the chain as commissions knows it.
      const plans = async () => {
        const plan = await ok(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
          i: {
            name: `RO plan ${u}`,
            currency: 'USD',
            // Due at once: approval and payment can be seeded now, and nothing falls due during the reads.
            holdDays: 0,
            isDefault: true,
            salePercentage: '5',
            rules: [
              { kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '100', minAmount: '50', tierRates: ['10'] },
              { kind: 'REVSHARE', percentage: '20', tierRates: ['10'] },
              { kind: 'LOT_REBATE', perLot: '5', tierRates: ['10'] },
              { kind: 'SPREAD_SHARE', percentage: '10' },
              { kind: 'BONUS', amount: '25' },
            ],
          },
        });
        const productPlan = await ok(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
          i: { name: `RO product ${u}`, currency: 'USD', holdDays: 30, productId: product, rules: [{ kind: 'REVSHARE', percentage: '10' }] },
        });
        add('CommissionPlan', plan.createCommissionPlan.id, productPlan.createCommissionPlan.id);
        await waitFor('commissions to know the partner', async () => {
          const r = (await post({ query: `mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, variables: { p: childId, plan: plan.createCommissionPlan.id } })) as Answer;
          return r.errors ? undefined : true;
        }, [], 15_000);
        await waitFor('commissions to know the chain', async () => ((await ok(`query($id: ID!) { partner(id: $id) { commissionUplines { id } } }`, { id: childId })).partner.commissionUplines.length === 1 ? true : undefined), [], 15_000);
      };

      // Postbacks: a local receiver where the stack allows it (npm start), else an address that
      // never resolves, disabled after its test delivery so no event of this tenant queues a retry.
      const postbacks = async () => {
        receiver = await startReceiver();
        let endpoint = (await post({ query: `mutation($u: String!) { createPostbackEndpoint(input: { url: $u, eventTypes: ["*"], description: "RO CRM" }) { endpoint { id } } }`, variables: { u: receiver.url('/ro') } })) as Answer;
        const local = !endpoint.errors;
        if (!local) {
          expect(endpoint.errors?.[0].extensions).toMatchObject({ reason: 'postback.url_invalid' });
          endpoint = (await post({ query: `mutation { createPostbackEndpoint(input: { url: "https://hooks.example.invalid/ro", eventTypes: ["*"], description: "RO CRM" }) { endpoint { id } } }` })) as Answer;
        }
        const endpointId = endpoint.data.createPostbackEndpoint.endpoint.id as string;
        add('PostbackEndpoint', endpointId);
        // A test delivery is attempted once, never retried.
        add('PostbackDelivery', (await ok(`mutation($e: ID!) { sendTestPostback(endpointId: $e) { id } }`, { e: endpointId })).sendTestPostback.id);
        if (!local) await ok(`mutation($e: ID!) { updatePostbackEndpoint(id: $e, input: { enabled: false }) { id } }`, { e: endpointId });
      };

      // The product catalogue, where the graph has one: the product events and the product plan name, and an archived one.
      const catalogue = async () => {
        if (!schema.getMutationType()?.getFields().createProduct) return;
        const create = `mutation($i: CreateProductInput!) { createProduct(input: $i) { id } }`;
        await ok(create, { i: { id: product, name: 'RO Premium' } });
        await ok(create, { i: { id: `${product}_old`, name: 'RO Legacy' } });
        await ok(`mutation($id: ID!) { updateProduct(id: $id, input: { archived: true }) { id } }`, { id: `${product}_old` });
        add('Product', product, `${product}_old`);
      };

      // A dated exchange rate, where the graph has a rate table (a pair no seeded payment uses).
      const rates = async () => {
        if (!schema.getMutationType()?.getFields().setFxRate) return;
        await ok(`mutation { setFxRate(input: { from: "EUR", to: "USD", rate: "1.085" }) { id } }`);
      };

      const [clickId] = await Promise.all([links(), plans(), postbacks(), catalogue(), rates()]);

      // Events of every type the schema knows, one trader, attributed by the click id first.
      const email = `trader-${u}@ro.example`;
      const track = async (input: Record<string, unknown>) => {
        const e = (await ok(`mutation($i: TrackEventInput!) { trackEvent(input: $i) { id cursor trader { id } } }`, { i: input })).trackEvent;
        add('ReferralEvent', e.id);
        add('Trader', e.trader?.id);
        return e;
      };
      const events = async () => {
        await track({ eventType: 'REGISTRATION', clickId, email, name: 'Jane Doe', externalCustomerId: `cust_${u}`, ip: '81.2.69.160', userAgent: UA });
        const types = (schema.getType('EventType') as unknown as { getValues(): { name: string }[] }).getValues().map((v) => v.name);
        const amounts: Record<string, string> = { FIRST_DEPOSIT: '200.00', RECURRING_DEPOSIT: '100.00', SUBSCRIPTION: '50.00', WITHDRAWAL: '20.00', REFUND: '100.00', CHARGEBACK: '50.00' };
        // Payments before the refund and chargeback that undo them.
        const order = [...types.filter((t) => t !== 'REGISTRATION' && t !== 'REFUND' && t !== 'CHARGEBACK'), 'REFUND', 'CHARGEBACK'].filter((t) => types.includes(t));
        for (const eventType of order) {
          await track({
            eventType,
            email,
            ...(PAYMENTS.has(eventType) ? { amount: amounts[eventType] ?? '10.00', currency: 'USD', paymentMethod: 'card' } : {}),
            ...(eventType === 'SUBSCRIPTION' ? { productId: product, subscriptionStatus: 'active' } : {}),
            ...(eventType === 'CUSTOM' ? { customEventName: 'account_upgrade' } : {}),
          });
        }
        // A payment in a currency no rate converts: its percentage commissions wait as FX_PENDING (Earnings.fxPending).
        if (schema.getMutationType()?.getFields().setFxRate) await track({ eventType: 'RECURRING_DEPOSIT', email, amount: '15000.00', currency: 'NGN', paymentMethod: 'card' });
        // A second trader by the partner's referral code (or unattributed, if events has not learnt it yet).
        await track({ eventType: 'REGISTRATION', email: `second-${u}@ro.example`, referralCode: `ro2_${u}` });
      };

      // Forex (Track360): a customer of the child IB, deposits, a withdrawal and a trading day.
      const forex = async () => {
        const customer = `ro_cust_fx_${u}`;
        const traderId = await waitFor('events to learn the IB', async () => {
          await ok(`mutation($r: [ForexCustomerInput!]!) { upsertForexCustomers(records: $r) { accepted } }`, {
            r: [{ customerId: customer, signupDate: `${utcDay(-20)}T14:30:00Z`, lastModifiedDate: `${utcDay(-12)}T08:22:15Z`, firstName: 'Maria', lastName: 'S', email: `maria-${u}@ro.example`, affiliateId: childExternal, trackingData: '2001_1000_ro', langId: 'es', countryCode: 'MX', kycStatusId: 'approved', salesStatusId: 'converted', tradingAccountType: 'ECN', leverage: '1:200' }],
          });
          const t = (await ok(`query($e: String) { traders(filter: { externalId: $e }) { nodes { id partner { id } } } }`, { e: customer })).traders.nodes[0];
          return t?.partner?.id === childId ? (t.id as string) : undefined;
        }, [], 15_000);
        add('Trader', traderId);
        forexTrader = traderId;
        const txn = (id: string, type: string, amount: string, date: string) => ({ transactionId: id, customerId: customer, transactionType: type, transactionSubtype: 'wire', amountCurrency: amount, amountUsd: amount, currency: 'USD', transactionDate: date, status: 'approved', note: 'seeded' });
        await ok(`mutation($r: [ForexTransactionInput!]!) { upsertForexTransactions(records: $r) { accepted } }`, {
          r: [txn(`ro_dep1_${u}`, 'deposit', '5000', `${utcDay(-10)}T10:45:00Z`), txn(`ro_dep2_${u}`, 'deposit', '250.50', `${utcDay(-9)}T10:45:00Z`), txn(`ro_wd_${u}`, 'withdrawal', '100', `${utcDay(-8)}T10:45:00Z`)],
        });
        await ok(`mutation($r: [TradingActivityInput!]!) { upsertTradingActivity(records: $r) { accepted } }`, {
          r: [{ date: utcDay(-1), customerId: customer, instrument: 'EURUSD', lotsTraded: '2.5', volumeUsd: '250000', spreadCost: '7.5', commission: '5', pnl: '-12.3', currency: 'USD' }],
        });
        // A deposit of another customer re-sent approved for less: a correction (conversionCorrected).
        const other = `ro_cust_fx2_${u}`;
        await ok(`mutation($r: [ForexCustomerInput!]!) { upsertForexCustomers(records: $r) { accepted } }`, { r: [{ customerId: other, signupDate: `${utcDay(-20)}T14:30:00Z`, affiliateId: childExternal, trackingData: 'ro2' }] });
        const resent = { ...txn(`ro_dep3_${u}`, 'deposit', '100', `${utcDay(-5)}T10:45:00Z`), customerId: other };
        await ok(`mutation($r: [ForexTransactionInput!]!) { upsertForexTransactions(records: $r) { accepted } }`, { r: [resent] });
        await ok(`mutation($r: [ForexTransactionInput!]!) { upsertForexTransactions(records: $r) { accepted } }`, { r: [{ ...resent, amountCurrency: '80', amountUsd: '80' }] });
      };

      // KYC: a code of the child IB with a bonus, applications approved, rejected and pending, a retired code.
      const kyc = async () => {
        const code = `KYC_RO_${u}`.toUpperCase();
        const retired = `KYC_OLD_${u}`.toUpperCase();
        const createCode = `mutation($i: CreateReferralCodeInput!) { createReferralCode(input: $i) { id } }`;
        await ok(createCode, { i: { userId: childExternal, referralCode: code, category: 'isv_premium', bonus: { amount: '25', currency: 'USD' } } });
        await ok(createCode, { i: { userId: childExternal, referralCode: retired, category: 'seasonal' } });
        await ok(`mutation($c: String!) { deactivateReferralCode(code: $c) { id } }`, { c: retired });
        add('ReferralCode', code, retired);
        const start = async (n: string) =>
          (await ok(`mutation($i: StartKycInput!) { startKyc(input: $i) { id } }`, { i: { userId: `ro_kyc_${n}_${u}`, firstName: 'Jane', lastName: 'Smith', email: `kyc-${n}-${u}@ro.example`, country: 'GB', referralCode: code } })).startKyc.id as string;
        const [approved, rejected, pending] = await Promise.all([start('a'), start('r'), start('p')]);
        add('KycApplication', approved, rejected, pending);
        await ok(`mutation($id: ID!) { decideKyc(id: $id, decision: APPROVED) { id } }`, { id: approved });
        await ok(`mutation($id: ID!) { decideKyc(id: $id, decision: REJECTED, reason: "documents unreadable") { id } }`, { id: rejected });
      };

      await Promise.all([events(), forex(), kyc()]);

      // Commissions in every status: wait until the consumers have run, then approve, pay, reverse.
      await quietSnapshot(stack());
      await ok(`mutation { approveDueCommissions }`);
      // Paid and reversed: commissions of the forex customer, not of the trader whose first deposit is refunded below.
      const list = (await ok(`query($p: ID!) { partner(id: $p) { commissions(first: 100, filter: { status: APPROVED }) { nodes { id kind trader { id } } } } }`, { p: childId })).partner.commissions.nodes as { id: string; kind: string; trader: { id: string } | null }[];
      const cpa = list.find((c) => c.kind === 'CPA' && c.trader?.id === forexTrader)!;
      const other = list.find((c) => c.kind !== 'CPA' && c.trader?.id === forexTrader)!;
      expect(cpa && other).toBeTruthy();
      for (const name of Object.keys(schema.getSubscriptionType()?.getFields() ?? {})) if (REPLAY_FROM[name]) replayFrom[name] = await REPLAY_FROM[name](ok);
      await ok(`mutation($ids: [ID!]!) { markCommissionsPaid(ids: $ids) { id } }`, { ids: [cpa.id] });
      await ok(`mutation($id: ID!) { reverseCommission(id: $id, reason: "clawback after payment") { id } }`, { id: cpa.id });
      await ok(`mutation($id: ID!) { reverseCommission(id: $id, reason: "fraud review") { id } }`, { id: other.id });
      const all = (await ok(`query($p: ID!) { commissions(first: 100, filter: { partnerId: $p }) { nodes { id } } }`, { p: childId })).commissions.nodes as { id: string }[];
      add('Commission', ...all.map((c) => c.id));

      // Two facts the commissions consumer has not processed when they are read: a payment, and
      // a refund of the first deposit.
      release = await holdBackConsumer(stack(), 'commissions', 'commissions.events');
      held = {
        payment: (await track({ eventType: 'RECURRING_DEPOSIT', email, amount: '300.00', currency: 'USD' })).id,
        refund: (await track({ eventType: 'REFUND', email, amount: '200.00', currency: 'USD' })).id,
      };
      // The newest first: the held-back events are the ones read by id.
      for (const id of [held.refund, held.payment]) seeded.ReferralEvent.unshift(seeded.ReferralEvent.splice(seeded.ReferralEvent.indexOf(id), 1)[0]);
    }

    /**
     * The approval schedule of every tenant on the shared stack approves commissions as
     * their hold passes: approve what is due now, so no background approval lands between
     * the snapshots (the seeded plan's commissions are due at once, the product plan's in 30 days).
     */
    async function approveDueEverywhere(s: Snapshot): Promise<number> {
      const table = s.get('commissions.commissions');
      const tenants = new Set([...(table?.rows.values() ?? [])].filter((r) => r.row.status === 'PENDING').map((r) => String(r.row.tenant_id)));
      let approved = 0;
      for (const tenant of tenants) {
        const credential = tenant === stack().tenantId ? stack().apiKey : (await stack().admin('create-key', '--tenant', tenant, '--scopes', 'all', '--name', 'read-only test')).key;
        const res = (await post({ query: `mutation { approveDueCommissions }` }, credential)) as Answer;
        expect(res.errors).toBeUndefined();
        approved += res.data.approveDueCommissions as number;
      }
      return approved;
    }

    beforeAll(async () => {
      const tenant = await stack().admin('create-tenant', '--name', `Read-only ${uid()}`);
      key = (await stack().admin('create-key', '--tenant', tenant.id, '--scopes', 'all', '--name', 'read-only')).key;
      const intro = (await post({ query: getIntrospectionQuery() })) as { data: IntrospectionQuery };
      schema = buildClientSchema(intro.data);
      const started = Date.now();
      await seed();
      console.log(`read-only invariant: seeded the tenant in ${Date.now() - started} ms`);
    }, 90_000);

    afterAll(async () => {
      await release?.();
      await receiver?.close();
    });

    /** Literal arguments: `first`, every required one, and a root field's own ids. */
    const fill: ArgFiller = (parent, field, arg) => {
      const named = getNamedType(arg.type);
      if (arg.name === 'first' && named.name === 'Int') return String(FIRST);
      const root = parent.name === 'Query' || parent.name === 'Subscription';
      if (parent.name === 'Subscription' && arg.name === 'after') return replayFrom[field.name] === undefined ? undefined : JSON.stringify(replayFrom[field.name]);
      if (!isRequired(arg) && !(root && ID_ARGUMENTS[arg.name])) return undefined;
      // Ranges around today: the seeded trading day is yesterday; a range is at most 366 days.
      return literalFor(arg.type, (t) => {
        switch (t.name) {
          case 'ID': {
            const type = arg.name === 'id' ? getNamedType(field.type).name : ID_ARGUMENTS[arg.name];
            const id = type && seeded[type]?.[0];
            return id ? JSON.stringify(id) : undefined;
          }
          case 'String':
            if (arg.name === 'code') return JSON.stringify(seeded.ReferralCode[0]);
            if (arg.name === 'from' || arg.name === 'to') return JSON.stringify(utcDay(arg.name === 'to' ? 1 : -30));
            return undefined;
          case 'Date':
            return JSON.stringify(utcDay(arg.name === 'to' ? 1 : -30));
          case 'DateTime':
            return JSON.stringify(new Date(Date.now() + (arg.name === 'to' ? 1 : -30) * 86_400_000).toISOString());
          case 'Int':
            return String(FIRST);
          case 'Boolean':
            return 'true';
          default:
            return undefined;
        }
      });
    };

    /** Root arguments of each call: one call per seeded id (or code), up to `perKey(type)`, for `field(id: ID!)` and `field(code: String!)`. */
    function rootCalls(rootType: GraphQLObjectType, name: string, perKey: (type: string) => number): string[] {
      const field = rootType.getFields()[name];
      const byKey = field.args.find((a) => isRequired(a) && (a.name === 'id' || a.name === 'code'));
      const other = (skip?: string) =>
        field.args
          .filter((a) => a.name !== skip)
          .map((a) => [a.name, fill(rootType, field, a)] as const)
          .filter(([, v]) => v !== undefined)
          .map(([n, v]) => `${n}: ${v}`);
      if (!byKey) {
        const args = other();
        return [args.length ? `(${args.join(', ')})` : ''];
      }
      const type = byKey.name === 'id' ? getNamedType(field.type).name : 'ReferralCode';
      return (seeded[type] ?? []).slice(0, perKey(type)).map((v) => `(${[`${byKey.name}: ${JSON.stringify(v)}`, ...other(byKey.name)].join(', ')})`);
    }

    function operations(rootType: GraphQLObjectType, root: 'query' | 'subscription', prefix: string, perKey: (type: string) => number): { ops: Operation[]; unselectable: string[] } {
      const ops: Operation[] = [];
      const unselectable = new Set<string>();
      for (const name of Object.keys(rootType.getFields())) {
        for (const args of rootCalls(rootType, name, perKey)) {
          const plan = selectionFor(schema, rootType, name, args, fill, LIMITS);
          plan.unselectable.forEach((f) => unselectable.add(f));
          for (const sel of split(plan.sel, (s) => operationText(root, 'Probe', s), LIMITS)) {
            const opName = `${prefix}_${name}_${ops.length}`;
            ops.push({ name: opName, root, sel, text: operationText(root, opName, sel) });
          }
        }
      }
      return { ops, unselectable: [...unselectable] };
    }

    async function runAll(ops: Operation[], credential: string): Promise<Answer[]> {
      const batches: Operation[][] = [];
      for (let i = 0; i < ops.length; i += BATCH) batches.push(ops.slice(i, i + BATCH));
      const answers = await Promise.all(
        batches.map(async (batch) => {
          const res = await post(batch.map((o) => ({ query: o.text })), credential);
          if (!Array.isArray(res)) throw new Error(`batch refused: ${JSON.stringify(res).slice(0, 500)}`);
          return res as Answer[];
        }),
      );
      return answers.flat();
    }

    it('reading every field of the graph, as the tenant, as a partner and live, changes no row of any database', async () => {
      const started = Date.now();
      const queryType = schema.getQueryType()!;
      const subscriptionType = schema.getSubscriptionType()!;
      // By id: both held-back events, one of everything else.
      const { ops, unselectable } = operations(queryType, 'query', 'tenant', (type) => (type === 'ReferralEvent' ? 2 : 1));
      const partnerOps = operations(queryType, 'query', 'partner', () => 1).ops;
      const token = (await (await fetch(`${stack().origin}/oauth/partner-token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ partnerId: childId }),
      })).json()) as { access_token: string };

      const before = await quietSnapshot(stack());
      const baseline = (await approveDueEverywhere(before)) ? await quietSnapshot(stack()) : before;
      const snapshotted = Date.now();

      const exercised = new Set<string>();
      const failures: string[] = [];
      const [answers, partnerAnswers] = await Promise.all([runAll(ops, key), runAll(partnerOps, token.access_token)]);
      answers.forEach((a, i) => {
        if (a.errors) failures.push(`${ops[i].name}: ${JSON.stringify(a.errors).slice(0, 400)}\n  ${ops[i].text.slice(0, 300)}`);
        markExercised(ops[i].sel, a.data, exercised);
      });
      // A partner sees its own data; tenant configuration answers FORBIDDEN (recorded, not failures).
      const refused = new Set<string>();
      partnerAnswers.forEach((a, i) => {
        for (const e of a.errors ?? []) {
          if (e.extensions?.code !== 'FORBIDDEN' && e.extensions?.code !== 'NOT_FOUND') failures.push(`${partnerOps[i].name} (partner): ${JSON.stringify(e).slice(0, 400)}`);
          else refused.add(`${(e.path ?? [partnerOps[i].sel.field]).join('.')}: ${e.extensions.code}`);
        }
        markExercised(partnerOps[i].sel, a.data, exercised);
      });

      const queried = Date.now();
      // Every live stream replays what the seed wrote last (the held-back events among them), with every field.
      const subscriptionOps = operations(subscriptionType, 'subscription', 'live', () => 1);
      for (const name of Object.keys(subscriptionType.getFields())) {
        if (!replayFrom[name]) failures.push(`Subscription.${name}: no replay point; add one to REPLAY_FROM`);
      }
      const { client } = wsClient(stack().gatewayUrl, { authorization: `Bearer ${key}` });
      const subs = subscriptionOps.ops.filter((o) => replayFrom[o.sel.field]).map((o) => ({ op: o, sel: o.sel, sub: collect(client, o.text) }));
      try {
        // Until every stream has replayed something and nothing more has come for a moment.
        let last = '';
        await waitFor('every subscription to replay', async () => {
          const counts = subs.map((s) => (s.sub.isDone() ? 'done' : s.sub.messages.length)).join();
          const settled = subs.every((s) => s.sub.messages.length > 0 || s.sub.isDone()) && counts === last;
          last = counts;
          return settled ? true : (await new Promise((r) => setTimeout(r, 250)), undefined);
        }, [], 15_000);
      } finally {
        subs.forEach((s) => s.sub.unsubscribe());
        await client.dispose();
      }
      for (const s of subs) {
        if (s.sub.error()) failures.push(`${s.op.name}: ${JSON.stringify(s.sub.error()).slice(0, 400)}`);
        for (const m of s.sub.messages) {
          if (m.errors) failures.push(`${s.op.name}: ${JSON.stringify(m.errors).slice(0, 400)}`);
          markExercised(s.sel, m.data, exercised);
        }
      }
      const read = Date.now();

      const after = await quietSnapshot(stack());
      const changes = diff(baseline, after, new Set(Object.keys(TABLES_CHANGED_BY_READS)));
      const operationCount = ops.length + partnerOps.length + subs.length;
      // What ran and what it cost, for whoever reads the test log.
      console.log(
        `read-only invariant: ${operationCount} operations (${ops.length} as the tenant, ${partnerOps.length} as a partner, ${subs.length} subscriptions ` +
          `receiving ${subs.reduce((n, s) => n + s.sub.messages.length, 0)} messages), ${exercised.size} fields exercised, ` +
          `${baseline.size} tables compared; partner refusals: ${[...refused].sort().join(', ') || 'none'}; ` +
          `snapshots ${snapshotted - started} ms, queries ${queried - snapshotted} ms, subscription ${read - queried} ms, final snapshot ${Date.now() - read} ms`,
      );

      // Every field of the API schema was read: a new one is covered without anyone listing it.
      const reachable = reachableFields(schema, [queryType, subscriptionType]);
      const missed = [...reachable].filter((f) => !exercised.has(f) && !NOT_EXERCISED[f]).sort();
      // One assertion, so a failing run shows every problem at once.
      expect({ failures, changes: changes.length ? describeChanges(changes) : 'no row changed', missed, unselectable }).toEqual({
        failures: [],
        changes: 'no row changed',
        missed: [],
        unselectable: [],
      });
      for (const name of Object.keys(queryType.getFields())) expect(exercised).toContain(`Query.${name}`);
      // The reads reached the commissions of the events whose consumer had not run.
      for (const id of [held.payment, held.refund]) {
        const i = ops.findIndex((o) => o.sel.field === 'event' && o.sel.args.includes(id) && o.sel.children!.some((c) => c.field === 'commissions'));
        expect(answers[i]?.data?.event).toMatchObject({ commissions: expect.any(Array) });
      }
    }, 90_000);
  });
}

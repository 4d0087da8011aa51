import { randomBytes } from 'node:crypto';
import { requestFingerprint } from '../../subgraphs/events/src/domain/request-fingerprint';
import { Stack } from '../helpers/harness';
import { updateRows } from '../helpers/stored-rows';

const uid = () => randomBytes(4).toString('hex');
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const TRACK = `mutation($i: TrackEventInput!, $k: String) { trackEvent(input: $i, idempotencyKey: $k) { id timestamp amount trader { id } } }`;
const DAY_MS = 86_400_000;

/**
 * Values as integrators spell them (#16): dates where the seeds send dates, idempotency keys
 * compared by value, who may record clicks, and the HTTP status of each kind of error.
 */
export function defineInputValueTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}, key?: string | null) => stack().gql(q, v, key);
  async function ok(q: string, v: Record<string, unknown> = {}, key?: string | null) {
    const res = await gql(q, v, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }
  async function partnerWithLink() {
    const p = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: `IB ${uid()}` } })).createPartner;
    const link = (await ok(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { id trackingUrl } }`, { i: { partnerId: p.id, path: '/' } })).createReferralLink;
    return { partnerId: p.id as string, link: link as { id: string; trackingUrl: string } };
  }
  const clickCount = async (linkId: string) => (await ok(`query($id: ID!) { referralLink(id: $id) { clickCount } }`, { id: linkId })).referralLink.clickCount as number;
  async function partnerToken(partnerId: string): Promise<string> {
    const res = await fetch(`${stack().origin}/oauth/partner-token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': stack().apiKey },
      body: JSON.stringify({ partnerId }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { access_token: string }).access_token;
  }
  /** Refairn's payment-succeeded example, as trackEvent input: 100 USD, active, paid on 2026-06-14. */
  const refairnPayment = (email: string) => ({ eventType: 'SUBSCRIPTION', email, amount: 100, currency: 'USD', subscriptionStatus: 'active', occurredAt: '2026-06-14' });

  describe('dates: a DateTime input also takes YYYY-MM-DD', () => {
    it('FonProxy: the referral graph takes from and to as an "ISO date" (referralGraph(from: "2026-11-20"))', async () => {
      const { partnerId } = await partnerWithLink();
      const seed = await ok(`query($p: ID) { referralGraph(partnerId: $p, from: "2026-11-20") { from granularity } }`, { p: partnerId });
      expect(seed.referralGraph.from).toBe('2026-11-20T00:00:00.000Z');
      // to as a date is the end of that day: 20 and 21 November, two daily buckets, ending at midnight of the 22nd.
      const both = await ok(`query($p: ID) { referralGraph(partnerId: $p, from: "2026-11-20", to: "2026-11-21", granularity: DAY) { from to clicks { t v } } }`, { p: partnerId });
      expect(both.referralGraph).toEqual({
        from: '2026-11-20T00:00:00.000Z',
        to: '2026-11-22T00:00:00.000Z',
        clicks: [
          { t: '2026-11-20T00:00:00.000Z', v: 0 },
          { t: '2026-11-21T00:00:00.000Z', v: 0 },
        ],
      });
      // The same day as both ends is that one day.
      const oneDay = await ok(`query($p: ID) { referralGraph(partnerId: $p, from: "2026-11-20", to: "2026-11-20", granularity: DAY) { to clicks { t } } }`, { p: partnerId });
      expect(oneDay.referralGraph).toEqual({ to: '2026-11-21T00:00:00.000Z', clicks: [{ t: '2026-11-20T00:00:00.000Z' }] });
    });

    it('a date as the end of a range includes that whole day; an instant at midnight does not (clickCount, clicks, referralGraph)', async () => {
      const { partnerId, link } = await partnerWithLink();
      const click = (await ok(`mutation($l: ID) { recordClick(input: { linkId: $l, ip: "81.2.69.160", userAgent: "${CHROME}" }) { createdAt } }`, { l: link.id })).recordClick;
      const day = (click.createdAt as string).slice(0, 10);
      const midnight = `${day}T00:00:00.000Z`;
      const counts = await ok(
        `query($p: ID!, $d: DateTime, $m: DateTime) { partner(id: $p) { day: clickCount(from: $d, to: $d) before: clickCount(to: $m) upToDay: clickCount(to: $d) } }`,
        { p: partnerId, d: day, m: midnight },
      );
      expect(counts.partner).toEqual({ day: 1, before: 0, upToDay: 1 });
      const listed = await ok(`query($p: ID, $d: DateTime) { clicks(filter: { partnerId: $p, from: $d, to: $d }) { totalCount } }`, { p: partnerId, d: day });
      expect(listed.clicks.totalCount).toBe(1);
      const graph = await ok(`query($p: ID, $d: DateTime) { referralGraph(partnerId: $p, from: $d, to: $d, granularity: DAY) { to clicks { t v } } }`, { p: partnerId, d: day });
      expect(graph.referralGraph).toEqual({ to: new Date(Date.parse(midnight) + DAY_MS).toISOString(), clicks: [{ t: midnight, v: 1 }] });
    });

    it('Refairn: paymentDate is YYYY-MM-DD (occurredAt: "2026-06-14" is 00:00 UTC), and events(filter: { to: "2026-06-14" }) includes that day', async () => {
      const email = `jane-${uid()}@example.com`;
      const event = (await ok(TRACK, { i: refairnPayment(email) })).trackEvent;
      expect(event.timestamp).toBe('2026-06-14T00:00:00.000Z');
      const inDay = async (from: string, to: string) =>
        (await ok(`query($t: ID, $f: DateTime, $to: DateTime) { events(filter: { traderId: $t, from: $f, to: $to }) { totalCount } }`, { t: event.trader.id, f: from, to })).events.totalCount;
      expect(await inDay('2026-06-14', '2026-06-14')).toBe(1);
      expect(await inDay('2026-06-13', '2026-06-13')).toBe(0);
      expect(await inDay('2026-06-13', '2026-06-14T00:00:00Z')).toBe(0);
    });
    it('approveDueCommissions(asOf) takes a date: a past day or today is accepted (today meaning now), a later day is BAD_USER_INPUT', async () => {
      const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      for (const asOf of ['2026-06-14', dayOf(Date.now())]) {
        const res = await gql(`mutation($a: DateTime) { approveDueCommissions(asOf: $a) }`, { a: asOf });
        expect({ asOf, errors: res.body.errors }).toEqual({ asOf, errors: undefined });
        expect(typeof res.body.data.approveDueCommissions).toBe('number');
      }
      // Two days ahead: still ahead of the server's clock whatever the moment the test runs.
      const later = await gql(`mutation($a: DateTime) { approveDueCommissions(asOf: $a) }`, { a: dayOf(Date.now() + 2 * DAY_MS) });
      expect(later.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'asOf' });
    });
  });

  describe('idempotency keys compare values, not spellings', () => {
    const eventsOf = async (traderId: string) => (await ok(`query($t: ID) { events(filter: { traderId: $t }) { totalCount } }`, { t: traderId })).events.totalCount;

    it('the same key with amount 100 and then "100.00", keys in another order and the date spelled 2026-06-14T02:00:00+02:00 answers the original event', async () => {
      const email = `idem-${uid()}@example.com`;
      const key = `payment-${uid()}`;
      const first = (await ok(TRACK, { i: refairnPayment(email), k: key })).trackEvent;
      // Every field of the same payment, in reverse key order, the amount and the date spelled otherwise.
      const respelled = { occurredAt: '2026-06-14T02:00:00+02:00', subscriptionStatus: 'active', currency: 'USD', amount: '100.00', email, eventType: 'SUBSCRIPTION' };
      const again = await gql(TRACK, { k: key, i: respelled });
      expect(again.status).toBe(200);
      expect(again.body.errors).toBeUndefined();
      expect(again.body.data.trackEvent.id).toBe(first.id);
      // Inline, with the date at midnight UTC: the same instant again.
      const inline = await ok(
        `mutation($k: String) { trackEvent(idempotencyKey: $k, input: { currency: "USD", amount: 100.0, occurredAt: "2026-06-14T00:00:00Z", eventType: SUBSCRIPTION, subscriptionStatus: "active", email: "${email}" }) { id } }`,
        { k: key },
      );
      expect(inline.trackEvent.id).toBe(first.id);
      expect(await eventsOf(first.trader.id)).toBe(1);
    });

    it('another value under the same key is still CONFLICT idempotency_conflict, answered in a 200 body, and stores nothing', async () => {
      const email = `idem-${uid()}@example.com`;
      const key = `payment-${uid()}`;
      const first = (await ok(TRACK, { i: refairnPayment(email), k: key })).trackEvent;
      for (const changed of [{ amount: '100.01' }, { occurredAt: '2026-06-15' }, { occurredAt: '2026-06-14T00:00:01Z' }]) {
        const res = await gql(TRACK, { i: { ...refairnPayment(email), ...changed }, k: key });
        expect(res.status).toBe(200);
        expect(res.body.errors?.[0].extensions).toEqual({ code: 'CONFLICT', param: 'idempotencyKey', reason: 'idempotency_conflict' });
      }
      expect(await eventsOf(first.trader.id)).toBe(1);
    });

    it('a key stored before fingerprints had versions (version 1, by spelling) still answers its original event', async () => {
      const email = `old-${uid()}@example.com`;
      const key = `payment-${uid()}`;
      const stored = { ...refairnPayment(email), amount: '100.00' };
      const first = (await ok(TRACK, { i: stored, k: key })).trackEvent;
      // The input as the events service sees it, fingerprinted as before versions: what an old row holds.
      const asParsed = { eventType: 'SUBSCRIPTION', email, amount: '100.00', currency: 'USD', subscriptionStatus: 'active', occurredAt: new Date('2026-06-14T00:00:00Z') };
      const v1 = requestFingerprint(asParsed as never, 1);
      // Spelled "100.00", versions 1 and 2 differ: the replay below matches only if the stored version is honoured.
      expect(v1).not.toBe(requestFingerprint(asParsed as never));
      expect(await updateRows(stack(), 'events', 'events', { request_hash: v1, request_hash_version: null }, { id: first.id })).toBe(1);

      const replay = await gql(TRACK, { i: stored, k: key });
      expect(replay.body.errors).toBeUndefined();
      expect(replay.body.data.trackEvent.id).toBe(first.id);
      // Version 1 compared spellings: an old key replays the spelling it was stored with, and only that.
      const respelled = await gql(TRACK, { i: { ...stored, amount: 100 }, k: key });
      expect(respelled.body.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'idempotency_conflict' });
      expect(await eventsOf(first.trader.id)).toBe(1);
    });
  });

  describe('partners cannot forge clicks', () => {
    const RECORD = `mutation($l: ID) { recordClick(input: { linkId: $l, ip: "81.2.69.160", userAgent: "${CHROME}" }) { id } }`;
    const setPartnersRecordClicks = async (on: boolean) =>
      expect((await ok(`mutation($on: Boolean) { updateLinkSettings(input: { partnersRecordClicks: $on }) { partnersRecordClicks } }`, { on })).updateLinkSettings).toEqual({
        partnersRecordClicks: on,
      });

    it('a partner token is refused recordClick (FORBIDDEN, in a 200 body) and nothing is stored; the link redirect still counts clicks', async () => {
      expect((await ok(`{ linkSettings { partnersRecordClicks } }`)).linkSettings.partnersRecordClicks).toBe(false);
      const { partnerId, link } = await partnerWithLink();
      const token = await partnerToken(partnerId);
      const res = await fetch(stack().gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: RECORD, variables: { l: link.id } }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: unknown; errors: { message: string; extensions: Record<string, unknown> }[] };
      expect(body.data).toBeNull();
      expect(body.errors[0].extensions).toEqual({ code: 'FORBIDDEN', reason: 'partner_record_click' });
      expect(body.errors[0].message).toContain('/r/<slug>');
      expect(body.errors[0].message).toContain('partnersRecordClicks: true');
      expect(await clickCount(link.id)).toBe(0);

      const visit = await fetch(link.trackingUrl, { headers: { 'user-agent': CHROME, 'x-forwarded-for': '81.2.69.160' }, redirect: 'manual' });
      expect(visit.status).toBe(302);
      expect(await clickCount(link.id)).toBe(1);
      // The tenant's own credential records clicks as before.
      expect((await ok(RECORD, { l: link.id })).recordClick.id).toMatch(/^clk_/);
      expect(await clickCount(link.id)).toBe(2);
    });

    it('a partner token records clicks on its own links once the tenant allows it (updateLinkSettings partnersRecordClicks)', async () => {
      const { partnerId, link } = await partnerWithLink();
      const other = await partnerWithLink();
      const token = await partnerToken(partnerId);
      const asPartner = async (linkId: string) => {
        const res = await fetch(stack().gatewayUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: RECORD, variables: { l: linkId } }),
        });
        return (await res.json()) as { data: { recordClick: { id: string } } | null; errors?: { extensions: Record<string, unknown> }[] };
      };
      await setPartnersRecordClicks(true);
      try {
        const recorded = await asPartner(link.id);
        expect(recorded.errors).toBeUndefined();
        expect(recorded.data!.recordClick.id).toMatch(/^clk_/);
        expect(await clickCount(link.id)).toBe(1);
        // Still only its own links: another partner's is not found.
        expect((await asPartner(other.link.id)).errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', param: 'input.linkId' });
        expect(await clickCount(other.link.id)).toBe(0);
      } finally {
        await setPartnersRecordClicks(false);
      }
      expect((await asPartner(link.id)).errors?.[0].extensions).toEqual({ code: 'FORBIDDEN', reason: 'partner_record_click' });
      expect(await clickCount(link.id)).toBe(1);
    });
  });

  describe('HTTP statuses', () => {
    const post = (body: string, headers: Record<string, string> = { 'x-api-key': stack().apiKey }) =>
      fetch(stack().gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

    it('a document that does not parse, or does not validate against the schema, is HTTP 400 with its code', async () => {
      const parse = await post(JSON.stringify({ query: '{ partners(' }));
      expect(parse.status).toBe(400);
      expect(((await parse.json()) as any).errors[0].extensions.code).toBe('GRAPHQL_PARSE_FAILED');
      const validation = await post(JSON.stringify({ query: '{ noSuchField }' }));
      expect(validation.status).toBe(400);
      expect(((await validation.json()) as any).errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const badVariable = await post(JSON.stringify({ query: 'query($n: Int) { partners(first: $n) { totalCount } }', variables: { n: 'ten' } }));
      expect(badVariable.status).toBe(400);
      expect(((await badVariable.json()) as any).errors[0].extensions.code).toBe('BAD_USER_INPUT');
    });

    it('no credential is HTTP 401 UNAUTHENTICATED', async () => {
      const res = await post(JSON.stringify({ query: '{ partners { totalCount } }' }), {});
      expect(res.status).toBe(401);
      expect(((await res.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    });

    it('errors raised while executing are HTTP 200 with their code in the body (NOT_FOUND, BAD_USER_INPUT from a resolver, FORBIDDEN)', async () => {
      const notFound = await post(JSON.stringify({ query: '{ event(id: "evt_no_such_event") { id } }' }));
      expect(notFound.status).toBe(200);
      expect(((await notFound.json()) as any).errors[0].extensions).toMatchObject({ code: 'NOT_FOUND', param: 'id' });
      const resolverInput = await post(JSON.stringify({ query: 'mutation { trackEvent(input: { eventType: CUSTOM }) { id } }' }));
      expect(resolverInput.status).toBe(200);
      expect(((await resolverInput.json()) as any).errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.customEventName' });
      const narrow = (await stack().admin('create-key', '--tenant', stack().tenantId, '--scopes', 'links:read')).key as string;
      const forbidden = await post(JSON.stringify({ query: '{ events { totalCount } }' }), { 'x-api-key': narrow });
      expect(forbidden.status).toBe(200);
      expect(((await forbidden.json()) as any).errors[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    });
  });
}

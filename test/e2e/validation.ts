import { randomBytes } from 'node:crypto';
import { Stack } from '../helpers/harness';
import { bulkBody, maximalCustomer, UPSERT_CUSTOMERS } from '../helpers/forex-records';

const uid = () => randomBytes(4).toString('hex');
const UPSERT_TRANSACTIONS = `mutation($r: [ForexTransactionInput!]!) { upsertForexTransactions(records: $r) { accepted created updated rejected { index field message } } }`;
const UPSERT_ACTIVITY = `mutation($r: [TradingActivityInput!]!) { upsertTradingActivity(records: $r) { accepted created updated rejected { index field message } } }`;

/** The UTC date `days` from today, YYYY-MM-DD. */
const utcDay = (days: number) => {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + days)).toISOString().slice(0, 10);
};

/**
 * Bad input gets a clear answer and writes nothing: values checked against real code lists (ISO 3166-1 alpha-2,
 * ISO 639-1, ISO 4217 with minor units, IP addresses), UTM values of 1-200 characters, Track360's own limits, and bulk
 * calls that store their good records while each bad value comes back in `rejected`.
 */
export function defineValidationTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}) => stack().gql(q, v);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }
  /** The one error of a refused call: its code, param and message, and nothing internal in it. */
  async function refused(q: string, v: Record<string, unknown>, param: string, message: string | RegExp) {
    const res = await gql(q, v);
    expect(res.body.data?.[Object.keys(res.body.data ?? {})[0]] ?? null).toBeNull();
    expect(res.body.errors).toHaveLength(1);
    const e = res.body.errors![0];
    expect(e.extensions).toMatchObject({ code: 'BAD_USER_INPUT', param });
    if (typeof message === 'string') expect(e.message).toBe(message);
    else expect(e.message).toMatch(message);
    expect(JSON.stringify(res.body)).not.toMatch(/https?:\/\/|\bat .+:\d+:\d+|SELECT |INSERT /);
  }

  describe('validation against real lists, and Track360 limits', () => {
    let partnerId: string;
    let linkId: string;
    const customer = `val_${uid()}`;

    beforeAll(async () => {
      partnerId = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: `Validation ${uid()}`, externalId: `ib_${uid()}` } })).createPartner.id;
      linkId = (await ok(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { id } }`, { i: { partnerId, path: '/open' } })).createReferralLink.id;
      const c = await ok(UPSERT_CUSTOMERS, { r: [{ customerId: customer, signupDate: '2026-03-10T14:30:00Z', affiliateId: 'ib_1045', trackingData: 't', countryCode: 'MX', langId: 'es' }] });
      expect(c.upsertForexCustomers).toMatchObject({ accepted: 1, rejected: [] });
    });

    it('country codes not in ISO 3166-1 (XX, ZZ) and lower-case de are refused on every country input, and nothing is written', async () => {
      const kycCount = async (userId: string) => (await ok(`query($u: String) { kycApplications(filter: { userId: $u }) { totalCount } }`, { u: userId })).kycApplications.totalCount;
      const user = `u_${uid()}`;
      for (const country of ['XX', 'ZZ', 'de']) {
        await refused(`mutation($i: StartKycInput!) { startKyc(input: $i) { id } }`, { i: { userId: user, country } }, 'input.country', `country must be an ISO 3166-1 alpha-2 country code in capitals such as MX or GB; got "${country}"`);
      }
      expect(await kycCount(user)).toBe(0);

      const before = (await ok(`{ linkSettings { regionalDomains { domain countries } } }`)).linkSettings;
      for (const country of ['de', 'XX']) {
        await refused(
          `mutation($i: LinkSettingsInput!) { updateLinkSettings(input: $i) { primaryDomain } }`,
          { i: { regionalDomains: [{ domain: 'https://de.broker.example', countries: ['AT', country] }] } },
          'input.regionalDomains.0.countries.1',
          `countries must be an ISO 3166-1 alpha-2 country code in capitals such as MX or GB; got "${country}"`,
        );
      }
      expect((await ok(`{ linkSettings { regionalDomains { domain countries } } }`)).linkSettings).toEqual(before);

      await refused(`query { clicks(filter: { country: "de" }) { totalCount } }`, {}, 'filter.country', 'country must be an ISO 3166-1 alpha-2 country code in capitals such as MX or GB; got "de"');
    });

    it('amounts with more decimals than their currency (10.123 USD, 10.5 JPY) and IPs that are none (not-an-ip) are refused by trackEvent, and no event is stored', async () => {
      const email = `val-${uid()}@example.com`;
      const TRACK = `mutation($i: TrackEventInput!) { trackEvent(input: $i) { id } }`;
      await refused(TRACK, { i: { eventType: 'FIRST_DEPOSIT', email, amount: '10.123', currency: 'USD' } }, 'input.amount', 'amount must have at most 2 decimals in USD (its ISO 4217 minor unit); got 10.123');
      await refused(TRACK, { i: { eventType: 'FIRST_DEPOSIT', email, amount: 10.5, currency: 'JPY' } }, 'input.amount', 'amount must have no decimals in JPY (its ISO 4217 minor unit); got 10.5');
      await refused(TRACK, { i: { eventType: 'REGISTRATION', email, ip: 'not-an-ip' } }, 'input.ip', 'ip must be an IPv4 address such as 203.0.113.7 or an IPv6 address such as 2001:db8::1; got "not-an-ip"');
      expect((await ok(`query($e: String) { traders(filter: { email: $e }) { totalCount } }`, { e: email })).traders.totalCount).toBe(0);
      // The same amounts written to their minor unit are accepted.
      await ok(TRACK, { i: { eventType: 'FIRST_DEPOSIT', email, amount: '10.12', currency: 'USD', ip: '2001:db8::1' } });
    });

    it('recordClick refuses ip "999.1.1.1" and a UTM value that is empty is refused by createReferralLink; no click or link is stored', async () => {
      const clickCount = async () => (await ok(`query($l: ID) { clicks(filter: { linkId: $l }) { totalCount } }`, { l: linkId })).clicks.totalCount;
      const clicksBefore = await clickCount();
      await refused(
        `mutation($l: ID) { recordClick(input: { linkId: $l, ip: "999.1.1.1", userAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0" }) { id } }`,
        { l: linkId },
        'input.ip',
        'ip must be an IPv4 address such as 203.0.113.7 or an IPv6 address such as 2001:db8::1; got "999.1.1.1"',
      );
      expect(await clickCount()).toBe(clicksBefore);

      const linkCount = async () => (await ok(`query($p: ID) { referralLinks(partnerId: $p) { totalCount } }`, { p: partnerId })).referralLinks.totalCount;
      const linksBefore = await linkCount();
      for (const blank of ['', '   ']) {
        await refused(
          `mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { id } }`,
          { i: { partnerId, path: '/open', utm: { source: 'newsletter', campaign: blank } } },
          'input.utm.campaign',
          'utm.campaign must be 1-200 characters of letters, digits, space and _ - . ~ + : /',
        );
      }
      await refused(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { id } }`, { i: { partnerId, path: '/open', utm: { source: 'x'.repeat(201) } } }, 'input.utm.source', /^utm\.source must be 1-200 characters/);
      expect(await linkCount()).toBe(linksBefore);
    });

    it('a bulk call with good and bad customers stores the good ones and rejects each bad value (country XX, language xx, a 501-character string) with index, field and message', async () => {
      const ids = [0, 1, 2, 3].map((i) => `${customer}_c${i}`);
      const base = (customerId: string) => ({ customerId, signupDate: '2026-03-10T14:30:00Z', affiliateId: 'ib_1045', trackingData: '2001_1000_abcdefg' });
      const res = await ok(UPSERT_CUSTOMERS, {
        r: [{ ...base(ids[0]), countryCode: 'XX' }, { ...base(ids[1]), langId: 'xx' }, { ...base(ids[2]), firstName: 'é'.repeat(501) }, { ...base(ids[3]), countryCode: 'MX', langId: 'es', firstName: 'é'.repeat(500) }],
      });
      expect(res.upsertForexCustomers).toEqual({
        accepted: 1,
        created: 1,
        updated: 0,
        rejected: [
          { index: 0, field: 'countryCode', message: 'countryCode must be an ISO 3166-1 alpha-2 country code in capitals such as MX or GB; got "XX"' },
          { index: 1, field: 'langId', message: 'langId must be an ISO 639-1 language code in lower case such as es or en; got "xx"' },
          { index: 2, field: 'firstName', message: 'firstName must be at most 500 characters; got 501' },
        ],
      });
      for (const [i, stored] of [[0, 0], [1, 0], [2, 0], [3, 1]] as const) {
        expect((await ok(`query($e: String) { traders(filter: { externalId: $e }) { totalCount } }`, { e: ids[i] })).traders.totalCount).toBe(stored);
      }
    });

    it('a bulk call with good and bad transactions stores the good ones: 10.123 USD, 10.5 JPY, "abc" and a boolean amount, an unknown currency each come back in rejected', async () => {
      const tx = (n: number, over: Record<string, unknown>) => ({ transactionId: `${customer}_t${n}`, customerId: customer, transactionType: 'bonus', amountCurrency: 5000, currency: 'USD', transactionDate: '2026-03-12T10:45:00Z', status: 'approved', ...over });
      const res = await ok(UPSERT_TRANSACTIONS, {
        r: [
          tx(0, { amountCurrency: '10.123' }),
          tx(1, {}),
          tx(2, { amountCurrency: 10.5, currency: 'JPY' }),
          tx(3, { amountCurrency: 'abc' }),
          tx(4, { amountCurrency: true }),
          tx(5, { currency: 'XYZ' }),
          // "no decimals rule on amount_usd": only the 15 significant digits.
          tx(6, { amountCurrency: '10.12', amountUsd: '10.123456' }),
          tx(7, { amountCurrency: '10', currency: 'JPY' }),
        ],
      });
      expect(res.upsertForexTransactions).toEqual({
        accepted: 3,
        created: 3,
        updated: 0,
        rejected: [
          { index: 0, field: 'amountCurrency', message: 'amountCurrency must have at most 2 decimal places; got 3' },
          { index: 2, field: 'amountCurrency', message: 'amountCurrency must have no decimals in JPY (its ISO 4217 minor unit); got 10.5' },
          { index: 3, field: 'amountCurrency', message: 'amountCurrency must be a decimal number, as a JSON number (12.5) or a string ("12.5"); got "abc"' },
          { index: 4, field: 'amountCurrency', message: 'amountCurrency must be a decimal number, as a JSON number (12.5) or a string ("12.5"); got true' },
          { index: 5, field: 'currency', message: 'currency must be an ISO 4217 currency code; XYZ is not one' },
        ],
      });
      const stored = await ok(`query($c: String) { forexTransactions(filter: { customerId: $c }, first: 20) { totalCount nodes { transactionId } } }`, { c: customer });
      expect(stored.forexTransactions.nodes.map((n: any) => n.transactionId).sort()).toEqual([1, 6, 7].map((n) => `${customer}_t${n}`));
    });

    it('trading activity: a malformed lots value, 3 decimal places on lots_traded and a day more than one day ahead of UTC are rejected per record; spread_cost with 4 decimals and tomorrow (GMT+2/3) are stored', async () => {
      const day = (n: number, over: Record<string, unknown>) => ({ date: '2026-03-15', customerId: customer, instrument: `I${n}`, lotsTraded: 12.5, currency: 'USD', ...over });
      const res = await ok(UPSERT_ACTIVITY, {
        r: [
          day(0, { lotsTraded: '12,5' }),
          day(1, { lotsTraded: 12.345 }),
          day(2, { date: utcDay(2) }),
          day(3, { date: utcDay(1) }),
          day(4, { spreadCost: '37.1234', commission: 25.5 }),
          day(5, { lotsTraded: -1 }),
        ],
      });
      expect(res.upsertTradingActivity).toEqual({
        accepted: 2,
        created: 2,
        updated: 0,
        rejected: [
          { index: 0, field: 'lotsTraded', message: 'lotsTraded must be a decimal number, as a JSON number (12.5) or a string ("12.5"); got "12,5"' },
          { index: 1, field: 'lotsTraded', message: 'lotsTraded must have at most 2 decimal places; got 3' },
          { index: 2, field: 'date', message: `date must be at most 1 day after today's UTC date (broker servers run ahead of UTC), so ${utcDay(1)} at the latest; got ${utcDay(2)}` },
          { index: 5, field: 'lotsTraded', message: 'lotsTraded must be zero or more; got -1' },
        ],
      });
      const instruments = async (date: string) =>
        (await ok(`query($e: String, $d: String!) { traders(filter: { externalId: $e }) { nodes { tradingActivity(from: $d, to: $d) { instrument } } } }`, { e: customer, d: date })).traders.nodes[0].tradingActivity
          .map((d: any) => d.instrument)
          .sort();
      expect(await instruments('2026-03-15')).toEqual(['I4']);
      expect(await instruments(utcDay(1))).toEqual(['I3']);
      expect(await instruments(utcDay(2))).toEqual([]);
    });

    it('"Bulk endpoints accept up to 1000 records per request": 1,000 customers with every string at 500 characters of 4-byte UTF-8 pass the body limit and are all stored', async () => {
      const prefix = `max${uid()}`;
      const records = Array.from({ length: 1000 }, (_, i) => maximalCustomer(i, prefix));
      const res = await fetch(stack().gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': stack().apiKey }, body: bulkBody(records) });
      const body = (await res.json()) as any;
      expect(res.status).toBe(200);
      expect(body.errors).toBeUndefined();
      expect(body.data.upsertForexCustomers).toEqual({ accepted: 1000, created: 1000, updated: 0, rejected: [] });
      const one = await ok(`query($e: String) { traders(filter: { externalId: $e }) { totalCount } }`, { e: records[999].customerId });
      expect(one.traders.totalCount).toBe(1);
    }, 120_000);
  });
}

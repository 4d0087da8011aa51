import { randomBytes } from 'node:crypto';
import { Stack, waitFor } from '../helpers/harness';

const uid = () => randomBytes(4).toString('hex');
const ua = () => `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 run/${uid()}`;
const TRACK = `mutation($i: TrackEventInput!, $key: String) { trackEvent(input: $i, idempotencyKey: $key) {
  id cursor eventType attribution isConversion isDuplicate amount currency partner { id name } trader { id email } click { id } link { id } } }`;

/** The events issue through the gateway: attribution by every signal, forex ingestion, counters. */
export function defineEventsTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}, key?: string | null) => stack().gql(q, v, key);
  async function ok(q: string, v: Record<string, unknown> = {}) {
    const res = await gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }
  async function partnerWithLink(extra: Record<string, unknown> = {}) {
    const p = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id name } }`, { i: { name: `IB ${uid()}`, ...extra } })).createPartner;
    const link = (await ok(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { id trackingUrl } }`, { i: { partnerId: p.id, path: '/join' } })).createReferralLink;
    return { partner: p, link };
  }
  async function click(trackingUrl: string, userAgent: string, ip = '81.2.69.160') {
    const res = await fetch(trackingUrl, { headers: { 'user-agent': userAgent, 'x-forwarded-for': ip }, redirect: 'manual' });
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location')!).searchParams.get('click_id')!;
  }

  describe('attribution', () => {
    it('an event 1 ms after the click is attributed by its click id to the link and partner, without waiting for the bus', async () => {
      const { partner, link } = await partnerWithLink();
      const clickId = await click(link.trackingUrl, ua());
      const res = await gql(TRACK, { i: { eventType: 'REGISTRATION', email: `c-${uid()}@x.io`, clickId } });
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.trackEvent).toMatchObject({ attribution: 'CLICK_ID', partner: { id: partner.id, name: partner.name }, click: { id: clickId }, link: { id: link.id }, isConversion: true });
    });

    it("a forged or other tenant's click id does not attribute", async () => {
      const { link } = await partnerWithLink();
      const clickId = await click(link.trackingUrl, ua());
      const forged = clickId.slice(0, -2) + (clickId.endsWith('AA') ? 'BB' : 'AA');
      const res = await gql(TRACK, { i: { eventType: 'EMAIL_SIGNUP', email: `f-${uid()}@x.io`, clickId: forged } });
      expect(res.body.data.trackEvent).toMatchObject({ attribution: 'NONE', partner: null, click: null });
    });

    it('a visitor who clicked and later signs up without a click id or code is attributed by fingerprint', async () => {
      const { partner, link } = await partnerWithLink();
      const agent = ua();
      await click(link.trackingUrl, agent, '81.2.69.161');
      const event = await waitFor('events to learn the click', async () => {
        const r = await gql(TRACK, { i: { eventType: 'REGISTRATION', email: `fp-${uid()}@x.io`, ip: '81.2.69.161', userAgent: agent } });
        return r.body.data?.trackEvent.attribution === 'FINGERPRINT' ? r.body.data.trackEvent : undefined;
      }, [], 15_000);
      expect(event).toMatchObject({ partner: { id: partner.id }, link: { id: link.id } });
      const other = await gql(TRACK, { i: { eventType: 'REGISTRATION', email: `fp2-${uid()}@x.io`, ip: '81.2.69.161', userAgent: ua() } });
      expect(other.body.data.trackEvent.attribution).toBe('NONE');
    });

    it('the click id wins over a referral code, and the trader keeps its first-touch partner afterwards', async () => {
      const a = await partnerWithLink();
      const codeOwner = `ft_${uid()}`;
      await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: 'Code owner', referralCode: codeOwner } });
      const email = `order-${uid()}@x.io`;
      const clickId = await click(a.link.trackingUrl, ua());
      const first = await gql(TRACK, { i: { eventType: 'REGISTRATION', email, clickId, referralCode: codeOwner } });
      expect(first.body.data.trackEvent).toMatchObject({ attribution: 'CLICK_ID', partner: { id: a.partner.id } });
      const later = await gql(TRACK, { i: { eventType: 'FIRST_DEPOSIT', email, amount: '100.00', currency: 'USD' } });
      expect(later.body.data.trackEvent).toMatchObject({ attribution: 'TRADER_FIRST_TOUCH', partner: { id: a.partner.id }, amount: '100.00' });
      const trader = await ok(`query($id: ID!) { trader(id: $id) { partner { id } attribution events { totalCount } } }`, { id: first.body.data.trackEvent.trader.id });
      expect(trader.trader).toEqual({ partner: { id: a.partner.id }, attribution: 'CLICK_ID', events: { totalCount: 2 } });
    });

    it('cursors grow in commit order and event counters appear on the link beside its clicks', async () => {
      const { link } = await partnerWithLink();
      const cursors: string[] = [];
      for (let i = 0; i < 3; i++) {
        const clickId = await click(link.trackingUrl, ua());
        const r = await gql(TRACK, { i: { eventType: i === 2 ? 'FIRST_DEPOSIT' : 'REGISTRATION', email: `ctr-${uid()}@x.io`, clickId, amount: i === 2 ? 50 : null, currency: i === 2 ? 'EUR' : null } });
        cursors.push(r.body.data.trackEvent.cursor);
      }
      const positions = cursors.map((c) => Number(Buffer.from(c, 'base64url').toString().split(':')[1]));
      expect(positions[1]).toBe(positions[0] + 1);
      expect(positions[2]).toBe(positions[1] + 1);
      const counters = await ok(`query($id: ID!) { referralLink(id: $id) { clickCount eventCount registrations: eventCount(eventType: REGISTRATION) conversionCount } }`, { id: link.id });
      expect(counters.referralLink).toEqual({ clickCount: 3, eventCount: 3, registrations: 2, conversionCount: 3 });
    });

    it('referralGraph carries clicks (links) and registrations (events) for the same buckets', async () => {
      const { partner, link } = await partnerWithLink();
      for (let i = 0; i < 2; i++) {
        const clickId = await click(link.trackingUrl, ua());
        await gql(TRACK, { i: { eventType: 'REGISTRATION', email: `g-${uid()}@x.io`, clickId } });
      }
      const g = await ok(`query($p: ID) { referralGraph(partnerId: $p, granularity: DAY) { granularity clicks { t v } registrations { t v } } }`, { p: partner.id });
      const { clicks, registrations } = g.referralGraph;
      expect(registrations.map((p: any) => p.t)).toEqual(clicks.map((p: any) => p.t));
      expect(clicks.reduce((s: number, p: any) => s + p.v, 0)).toBe(2);
      expect(registrations.reduce((s: number, p: any) => s + p.v, 0)).toBe(2);
    });

    it('conversion event types are a tenant setting', async () => {
      const { link } = await partnerWithLink();
      const before = await ok(`{ eventSettings { conversionEventTypes attributionWindowHours } }`);
      expect(before.eventSettings.conversionEventTypes).toContain('REGISTRATION');
      await ok(`mutation { updateEventSettings(input: { conversionEventTypes: [FIRST_DEPOSIT] }) { conversionEventTypes } }`);
      try {
        const r = await gql(TRACK, { i: { eventType: 'REGISTRATION', email: `s-${uid()}@x.io`, clickId: await click(link.trackingUrl, ua()) } });
        expect(r.body.data.trackEvent).toMatchObject({ attribution: 'CLICK_ID', isConversion: false });
      } finally {
        await ok(`mutation { updateEventSettings(input: { conversionEventTypes: null }) { conversionEventTypes } }`);
      }
    });

    it.each([
      [{ eventType: 'CUSTOM' }, 'input.customEventName'],
      [{ eventType: 'FIRST_DEPOSIT', amount: '1', currency: 'XYZ' }, 'input.currency'],
      [{ eventType: 'FIRST_DEPOSIT', amount: '1234567890.1234567' , currency: 'USD' }, 'input.amount'],
      [{ eventType: 'REGISTRATION', email: 'not-an-email' }, 'input.email'],
      [{ eventType: 'SUBSCRIPTION', subscriptionStatus: 'paused' }, 'input.subscriptionStatus'],
      [{ eventType: 'REGISTRATION', occurredAt: '2099-01-01T00:00:00Z' }, 'input.occurredAt'],
      [{ eventType: 'REGISTRATION', name: 'x'.repeat(501) }, 'input.name'],
    ])('trackEvent refuses %j with param %s', async (input, param) => {
      const res = await gql(TRACK, { i: input });
      expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param });
    });
  });

  describe('forex ingestion (Track360)', () => {
    const UPSERT_CUSTOMERS = `mutation($r: [ForexCustomerInput!]!) { upsertForexCustomers(records: $r) { accepted created updated rejected { index field message } } }`;
    const UPSERT_TXN = `mutation($r: [ForexTransactionInput!]!) { upsertForexTransactions(records: $r) { accepted created updated rejected { index field message } } }`;
    const UPSERT_ACTIVITY = `mutation($r: [TradingActivityInput!]!) { upsertTradingActivity(records: $r) { accepted created updated rejected { index field message } } }`;
    let ib: { id: string };
    let affiliate: string;
    const customer = `tdr_${uid()}`;

    beforeAll(async () => {
      affiliate = `ib_${uid()}`;
      ib = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: 'Forex IB', externalId: affiliate } })).createPartner;
    });

    async function eventsOf(traderId: string) {
      const d = await ok(`query($t: ID!) { trader(id: $t) { events(first: 100) { nodes { eventType amount currency attribution partner { id } } } } }`, { t: traderId });
      return d.trader.events.nodes.reverse();
    }

    it('customers become traders attributed to the partner whose externalId is their affiliateId', async () => {
      await waitFor('events to learn the forex IB', async () => {
        const probe = `probe_${uid()}`;
        const r = await ok(UPSERT_CUSTOMERS, { r: [{ customerId: probe, signupDate: '2026-03-10T14:30:00Z', affiliateId: affiliate, trackingData: 'probe' }] });
        expect(r.upsertForexCustomers.accepted).toBe(1);
        const t = await ok(`query($e: String) { traders(filter: { externalId: $e }) { nodes { partner { id } } } }`, { e: probe });
        return t.traders.nodes[0]?.partner?.id === ib.id ? true : undefined;
      }, [], 15_000);
      const res = await ok(UPSERT_CUSTOMERS, {
        r: [
          { customerId: customer, signupDate: '2026-03-10T14:30:00Z', lastModifiedDate: '2026-03-12T08:22:15Z', firstName: 'Maria', lastName: 'S', email: `maria-${uid()}@example.com`, affiliateId: affiliate, trackingData: '2001_1000_abcdefg', langId: 'es', countryCode: 'MX', kycStatusId: 'approved', salesStatusId: 'converted', tradingAccountType: 'ECN', leverage: '1:200' },
          { customerId: `bad_${uid()}`, signupDate: 'yesterday', affiliateId: affiliate, trackingData: 'x'.repeat(51), countryCode: 'mx' },
        ],
      });
      expect(res.upsertForexCustomers).toMatchObject({ accepted: 1, created: 1, updated: 0 });
      expect(res.upsertForexCustomers.rejected.map((e: any) => [e.index, e.field])).toEqual([
        [1, 'signupDate'],
        [1, 'trackingData'],
        [1, 'countryCode'],
      ]);
      const t = await ok(`query($e: String) { traders(filter: { externalId: $e }) { nodes { name country language kycStatus accountType leverage trackingData attribution partner { id } } } }`, { e: customer });
      expect(t.traders.nodes[0]).toEqual({ name: 'Maria S', country: 'MX', language: 'es', kycStatus: 'approved', accountType: 'ECN', leverage: '1:200', trackingData: '2001_1000_abcdefg', attribution: 'AFFILIATE_ID', partner: { id: ib.id } });
    });

    it('a customer whose affiliate becomes a partner later is attached to it then', async () => {
      const late = `ib_late_${uid()}`;
      const cust = `tdr_late_${uid()}`;
      await ok(UPSERT_CUSTOMERS, { r: [{ customerId: cust, signupDate: '2026-03-10T14:30:00Z', affiliateId: late, trackingData: 't' }] });
      const q = `query($e: String) { traders(filter: { externalId: $e }) { nodes { affiliateId attribution partner { id } } } }`;
      expect((await ok(q, { e: cust })).traders.nodes[0]).toEqual({ affiliateId: late, attribution: 'NONE', partner: null });
      const p = (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }`, { i: { name: 'Late IB', externalId: late } })).createPartner;
      const attached = await waitFor('the trader to be attached', async () => {
        const t = (await ok(q, { e: cust })).traders.nodes[0];
        return t.partner ? t : undefined;
      }, [], 15_000);
      expect(attached).toEqual({ affiliateId: late, attribution: 'AFFILIATE_ID', partner: { id: p.id } });
    });

    it('a 1,000-record transaction batch stores the good records and reports each bad one precisely', async () => {
      const records = Array.from({ length: 1000 }, (_, i) => ({
        transactionId: `txn_bulk_${customer}_${i}`,
        customerId: customer,
        transactionType: 'bonus',
        amountCurrency: '10.00',
        currency: 'USD',
        transactionDate: '2026-03-12T10:45:00Z',
        status: 'approved',
      }));
      const bad: Record<number, [string, unknown]> = { 3: ['currency', 'usd'], 250: ['transactionType', 'gift'], 500: ['amountCurrency', '1.234'], 777: ['customerId', 'tdr_unknown'], 999: ['transactionDate', '2026-02-30T00:00:00Z'] };
      for (const [i, [field, value]] of Object.entries(bad)) (records[Number(i)] as Record<string, unknown>)[field] = value;
      const res = await ok(UPSERT_TXN, { r: records });
      expect(res.upsertForexTransactions).toMatchObject({ accepted: 995, created: 995, updated: 0 });
      expect(res.upsertForexTransactions.rejected.map((e: any) => [e.index, e.field])).toEqual(Object.entries(bad).map(([i, [f]]) => [Number(i), f]));
      const stored = await ok(`query($c: String) { forexTransactions(filter: { customerId: $c, transactionType: "bonus" }, first: 1) { totalCount } }`, { c: customer });
      expect(stored.forexTransactions.totalCount).toBe(995);
      const tooMany = await gql(UPSERT_TXN, { r: Array.from({ length: 1001 }, () => ({})) });
      expect(tooMany.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'records' });
    }, 60_000);

    it('deposits derive FIRST_DEPOSIT once when approved, RECURRING_DEPOSIT after, CHARGEBACK on reversal, WITHDRAWAL; re-sends derive nothing', async () => {
      const deposit = (id: string, status: string, amount = '5000') => ({ transactionId: id, customerId: customer, transactionType: 'deposit', transactionSubtype: 'wire', amountCurrency: amount, currency: 'USD', transactionDate: '2026-03-12T10:45:00Z', status });
      const d1 = `dep_${uid()}`;
      expect((await ok(UPSERT_TXN, { r: [deposit(d1, 'pending')] })).upsertForexTransactions).toMatchObject({ accepted: 1, created: 1 });
      await ok(UPSERT_TXN, { r: [deposit(d1, 'approved')] });
      await ok(UPSERT_TXN, { r: [deposit(d1, 'approved')] });
      const d2 = `dep_${uid()}`;
      await ok(UPSERT_TXN, { r: [deposit(d2, 'approved', '250.50'), { ...deposit(`wd_${uid()}`, 'approved', '100'), transactionType: 'withdrawal' }] });
      await ok(UPSERT_TXN, { r: [deposit(d2, 'reversed', '250.50')] });
      await ok(UPSERT_TXN, { r: [deposit(d2, 'reversed', '250.50')] });
      const traderId = (await ok(`query($e: String) { traders(filter: { externalId: $e }) { nodes { id } } }`, { e: customer })).traders.nodes[0].id;
      const derived = (await eventsOf(traderId)).map((e: any) => [e.eventType, e.amount]);
      expect(derived).toEqual([
        ['FIRST_DEPOSIT', '5000.00'],
        ['RECURRING_DEPOSIT', '250.50'],
        ['WITHDRAWAL', '100.00'],
        ['CHARGEBACK', '250.50'],
      ]);
      const first = (await eventsOf(traderId))[0];
      expect(first).toMatchObject({ attribution: 'TRADER_FIRST_TOUCH', partner: { id: ib.id }, currency: 'USD' });
    });

    it('the first trading day derives FIRST_TRADE once; a corrected re-send replaces the day', async () => {
      const day = { date: '2026-03-15', customerId: customer, instrument: 'EURUSD', lotsTraded: '12.5', volumeUsd: '1562500', spreadCost: '37.5', commission: '25', pnl: '-142.3', currency: 'USD' };
      expect((await ok(UPSERT_ACTIVITY, { r: [day] })).upsertTradingActivity).toMatchObject({ accepted: 1, created: 1, updated: 0, rejected: [] });
      expect((await ok(UPSERT_ACTIVITY, { r: [{ ...day, lotsTraded: '13.25' }] })).upsertTradingActivity).toMatchObject({ accepted: 1, created: 0, updated: 1 });
      const bad = await ok(UPSERT_ACTIVITY, { r: [{ ...day, lotsTraded: '-1' }] });
      expect(bad.upsertTradingActivity.rejected).toEqual([{ index: 0, field: 'lotsTraded', message: 'lotsTraded must be zero or more; got -1' }]);
      const traderId = (await ok(`query($e: String) { traders(filter: { externalId: $e }) { nodes { id tradingActivity(from: "2026-03-01", to: "2026-03-31") { date lotsTraded pnl } } } }`, { e: customer })).traders.nodes[0];
      expect(traderId.tradingActivity).toEqual([{ date: '2026-03-15', lotsTraded: '13.25', pnl: '-142.3' }]);
      expect((await eventsOf(traderId.id)).filter((e: any) => e.eventType === 'FIRST_TRADE')).toHaveLength(1);
    });
  });
}

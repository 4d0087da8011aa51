import { randomBytes } from 'node:crypto';
import { decryptPartnerToken } from '../../subgraphs/links/src/domain/partner-token';
import { Stack, waitFor } from '../helpers/harness';

const uid = () => randomBytes(4).toString('hex');
const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const IPHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const GB_IP = '81.2.69.160';
const US_IP = '8.8.8.8';

/** The links issue through the gateway: codes, settings, links, the redirect, clicks and the graph. */
export function defineLinksTests(stack: () => Stack): void {
  const gql = (q: string, v: Record<string, unknown> = {}, key?: string | null) => stack().gql(q, v, key);
  async function ok(q: string, v: Record<string, unknown> = {}, key?: string | null) {
    const res = await gql(q, v, key);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  }
  async function partner(name = `IB ${uid()}`, extra: Record<string, unknown> = {}) {
    return (await ok(`mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id referralCode referralUrl } }`, { i: { name, ...extra } })).createPartner;
  }
  function visit(url: string, ua: string, ip?: string, method = 'GET') {
    const headers: Record<string, string> = { 'user-agent': ua, referer: 'https://news.example/article' };
    if (ip) headers['x-forwarded-for'] = ip;
    return fetch(url, { method, headers, redirect: 'manual' });
  }

  describe('referral codes', () => {
    it('a partner edits its code; invalid and taken codes are refused with their reasons; the old code still attributes', async () => {
      const a = await partner();
      const b = await partner();
      const newCode = `john_doe-${uid()}`;
      const changed = await ok(`mutation($id: ID, $code: String!) { updateReferralCode(partnerId: $id, code: $code) { referralCode referralCodeHistory referralUrl } }`, { id: a.id, code: newCode });
      expect(changed.updateReferralCode.referralCode).toBe(newCode);
      expect(changed.updateReferralCode.referralCodeHistory).toEqual([newCode, a.referralCode]);
      expect(changed.updateReferralCode.referralUrl).toMatch(new RegExp(`\\?ref=${newCode}$`));

      const invalid = await gql(`mutation($id: ID, $code: String!) { updateReferralCode(partnerId: $id, code: $code) { id } }`, { id: a.id, code: 'no spaces!' });
      expect(invalid.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'referral.code_invalid', param: 'code' });
      expect(invalid.body.errors?.[0].message).toBe('code must be 3-30 characters of A-Z a-z 0-9 _ -');
      const tooShort = await gql(`mutation($id: ID) { updateReferralCode(partnerId: $id, code: "ab") { id } }`, { id: a.id });
      expect(tooShort.body.errors?.[0].extensions?.reason).toBe('referral.code_invalid');
      const taken = await gql(`mutation($id: ID, $code: String!) { updateReferralCode(partnerId: $id, code: $code) { id } }`, { id: b.id, code: newCode.toUpperCase() });
      expect(taken.body.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', reason: 'referral.code_taken' });
      const oldTaken = await gql(`mutation($id: ID, $code: String!) { updateReferralCode(partnerId: $id, code: $code) { id } }`, { id: b.id, code: a.referralCode });
      expect(oldTaken.body.errors?.[0].extensions?.reason).toBe('referral.code_taken');

      const event = await waitFor('the old code to attribute', async () => {
        const r = await gql(`mutation($i: TrackEventInput!) { trackEvent(input: $i) { attribution partner { id } } }`, { i: { eventType: 'REGISTRATION', email: `old-${uid()}@x.io`, referralCode: a.referralCode } });
        return r.body.data?.trackEvent.attribution === 'REFERRAL_CODE' ? r.body.data.trackEvent : undefined;
      }, [], 15_000);
      expect(event.partner.id).toBe(a.id);
    });

    it('viewer is the calling partner for a partner key, which may change its own code, and null for a tenant key', async () => {
      const p = await partner();
      const key = (await stack().admin('create-key', '--tenant', stack().tenantId, '--scopes', 'links:read,links:write', '--partner', p.id)).key;
      expect((await ok(`{ viewer { id referralCode } }`, {}, key)).viewer).toEqual({ id: p.id, referralCode: p.referralCode });
      expect((await ok(`{ viewer { id } }`)).viewer).toBeNull();
      const mine = `mine_${uid()}`;
      expect((await ok(`mutation($c: String!) { updateReferralCode(code: $c) { referralCode } }`, { c: mine }, key)).updateReferralCode.referralCode).toBe(mine);
      const other = await partner();
      const denied = await gql(`mutation($id: ID) { updateReferralCode(partnerId: $id, code: "hijack_x") { id } }`, { id: other.id }, key);
      expect(denied.body.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    });
  });

  describe('partners', () => {
    it('updatePartner changes fields and refuses a parent cycle or an unknown parent', async () => {
      const top = await partner('Top');
      const mid = await partner('Mid', { parentId: top.id });
      const leaf = await partner('Leaf', { parentId: mid.id });
      const upd = await ok(`mutation($id: ID!, $i: UpdatePartnerInput!) { updatePartner(id: $id, input: $i) { name email parent { id } } }`, { id: leaf.id, i: { name: 'Leaf 2', email: 'leaf@x.io' } });
      expect(upd.updatePartner).toEqual({ name: 'Leaf 2', email: 'leaf@x.io', parent: { id: mid.id } });
      const cycle = await gql(`mutation($id: ID!, $p: ID) { updatePartner(id: $id, input: { parentId: $p }) { id } }`, { id: top.id, p: leaf.id });
      expect(cycle.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.parentId', reason: 'partner.parent_cycle' });
      const self = await gql(`mutation($id: ID!) { updatePartner(id: $id, input: { parentId: $id }) { id } }`, { id: top.id });
      expect(self.body.errors?.[0].extensions?.reason).toBe('partner.parent_cycle');
      const unknown = await gql(`mutation($id: ID!) { updatePartner(id: $id, input: { parentId: "prt_00000000000000000000000000" }) { id } }`, { id: top.id });
      expect(unknown.body.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', param: 'input.parentId', reason: 'partner_not_found' });
      const children = await ok(`query($id: ID!) { partner(id: $id) { children { totalCount nodes { id } } } }`, { id: mid.id });
      expect(children.partner.children).toEqual({ totalCount: 1, nodes: [{ id: leaf.id }] });
    });
  });

  describe('links, redirect, clicks and the graph', () => {
    let ib: { id: string; referralCode: string };
    let link: { id: string; url: string; trackingUrl: string };
    let keySecret: string;
    let keyId: string;

    beforeAll(async () => {
      ib = await partner(`Geo IB ${uid()}`);
      const settings = await ok(
        `mutation($i: LinkSettingsInput!) { updateLinkSettings(input: $i) { primaryDomain regionalDomains { domain countries } clickCookieName clickParamName } }`,
        { i: { primaryDomain: 'https://www.broker.example', regionalDomains: [{ domain: 'https://uk.broker.example', countries: ['GB', 'IE'] }] } },
      );
      expect(settings.updateLinkSettings).toEqual({
        primaryDomain: 'https://www.broker.example',
        regionalDomains: [{ domain: 'https://uk.broker.example', countries: ['GB', 'IE'] }],
        clickCookieName: 'rgw_click',
        clickParamName: 'click_id',
      });
    });

    it('link settings refuse a bad domain with its param and change nothing', async () => {
      const bad = await gql(`mutation { updateLinkSettings(input: { primaryDomain: "ftp://nope", clickCookieDays: 5 }) { primaryDomain } }`);
      expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.primaryDomain' });
      const now = await ok(`{ linkSettings { primaryDomain clickCookieDays } }`);
      expect(now.linkSettings).toEqual({ primaryDomain: 'https://www.broker.example', clickCookieDays: 30 });
    });

    it('an encrypted link needs a key; with one, its URL carries Formx=<token> that the tenant decrypts to the partner id', async () => {
      const input = { partnerId: ib.id, path: '/en/open-account', encryptPartnerId: true, geoRouting: true, utm: { source: 'newsletter', medium: 'email', campaign: 'spring sale' } };
      const settings = await ok(`{ linkSettings { encryptionKeyId } }`);
      if (!settings.linkSettings.encryptionKeyId) {
        const noKey = await gql(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { id } }`, { i: input });
        expect(noKey.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.encryptPartnerId', reason: 'link.no_encryption_key' });
      }
      const rotated = await ok(`mutation { rotateLinkEncryptionKey { keyId secret settings { encryptionKeyId } } }`);
      keyId = rotated.rotateLinkEncryptionKey.keyId;
      keySecret = rotated.rotateLinkEncryptionKey.secret;
      expect(rotated.rotateLinkEncryptionKey.settings.encryptionKeyId).toBe(keyId);
      const created = await ok(
        `mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { id url trackingUrl path encryptPartnerId geoRouting utm { source medium campaign term content } clickCount partner { id } } }`,
        { i: input },
      );
      link = created.createReferralLink;
      expect(link).toMatchObject({ path: '/en/open-account', encryptPartnerId: true, geoRouting: true, clickCount: 0, partner: { id: ib.id } });
      expect(created.createReferralLink.utm).toEqual({ source: 'newsletter', medium: 'email', campaign: 'spring sale', term: null, content: null });
      const url = new URL(link.url);
      expect(url.origin + url.pathname).toBe('https://www.broker.example/en/open-account');
      expect(url.searchParams.get('ref')).toBeNull();
      expect([...url.searchParams.keys()]).toEqual(['Formx', 'utm_source', 'utm_medium', 'utm_campaign']);
      expect(url.searchParams.get('utm_campaign')).toBe('spring sale');
      const token = url.searchParams.get('Formx')!;
      expect(decryptPartnerToken(token, (id) => (id === keyId ? Buffer.from(keySecret, 'base64url') : undefined))).toBe(ib.id);
      expect(link.trackingUrl).toMatch(new RegExp(`^${stack().origin.replace('127.0.0.1', '(127\\.0\\.0\\.1|localhost)')}/r/[0-9A-Za-z]+$`));
    });

    it('a plain link carries ref=<code>; bad paths, UTM values and partners are refused with param', async () => {
      const plain = await ok(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { url } }`, { i: { partnerId: ib.id, path: '/promo', utm: { source: 'x' } } });
      expect(plain.createReferralLink.url).toBe(`https://www.broker.example/promo?ref=${ib.referralCode}&utm_source=x`);
      const cases: [Record<string, unknown>, string][] = [
        [{ partnerId: ib.id, path: 'no-slash' }, 'input.path'],
        [{ partnerId: ib.id, path: '//evil.example/x' }, 'input.path'],
        [{ partnerId: ib.id, path: '/a?b=c' }, 'input.path'],
        [{ partnerId: ib.id, path: '/ok', utm: { campaign: 'a&b=c' } }, 'input.utm.campaign'],
      ];
      for (const [i, param] of cases) {
        const res = await gql(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { id } }`, { i });
        expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param });
      }
      // An unknown partner is a reference that names nothing (id-arguments.ts), as the README says.
      const unknown = await gql(`mutation($i: CreateReferralLinkInput!) { createReferralLink(input: $i) { id } }`, { i: { partnerId: 'prt_00000000000000000000000000', path: '/ok' } });
      expect(unknown.body.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', param: 'input.partnerId', reason: 'partner_not_found' });
    });

    it('/r/<slug> records a click and redirects with the click id, geo-routed, and sets the cookie', async () => {
      const res = await visit(link.trackingUrl, CHROME, GB_IP);
      expect(res.status).toBe(302);
      const location = new URL(res.headers.get('location')!);
      expect(location.origin).toBe('https://uk.broker.example');
      expect(location.pathname).toBe('/en/open-account');
      const clickId = location.searchParams.get('click_id')!;
      expect(clickId).toMatch(/^clk_/);
      expect(location.searchParams.get('Formx')).toBe(new URL(link.url).searchParams.get('Formx'));
      expect(res.headers.getSetCookie().join(';')).toContain(`rgw_click=${encodeURIComponent(clickId)}`);

      const us = await visit(link.trackingUrl, IPHONE, US_IP);
      expect(new URL(us.headers.get('location')!).origin).toBe('https://www.broker.example');

      const clicks = await ok(`query($l: ID) { clicks(filter: { linkId: $l }) { totalCount nodes { id ip country deviceType browser os referrer landingUrl userAgent isUnique utm { campaign } link { id } partner { id } } } }`, { l: link.id });
      expect(clicks.clicks.totalCount).toBe(2);
      const [iphone, chrome] = clicks.clicks.nodes;
      expect(chrome).toMatchObject({ id: clickId, ip: GB_IP, country: 'GB', deviceType: 'desktop', browser: 'Chrome', os: 'Windows', referrer: 'https://news.example/article', isUnique: true, utm: { campaign: 'spring sale' }, link: { id: link.id }, partner: { id: ib.id } });
      expect(chrome.landingUrl).toBe(location.toString());
      expect(iphone).toMatchObject({ ip: US_IP, country: 'US', deviceType: 'mobile', os: 'iOS' });
    });

    it('bots, link-preview fetchers and HEAD requests are redirected but not counted; repeats count once as unique', async () => {
      for (const ua of ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'facebookexternalhit/1.1', 'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)']) {
        const res = await visit(link.trackingUrl, ua, GB_IP);
        expect(res.status).toBe(302);
        expect(new URL(res.headers.get('location')!).searchParams.get('click_id')).toBeNull();
      }
      const head = await visit(link.trackingUrl, CHROME, GB_IP, 'HEAD');
      expect(head.status).toBe(302);
      expect(head.headers.getSetCookie()).toEqual([]);
      await visit(link.trackingUrl, CHROME, GB_IP);
      const counts = await ok(`query($id: ID!, $p: ID!) { referralLink(id: $id) { clickCount(days: 30) uniqueClickCount } partner(id: $p) { clickCount } }`, { id: link.id, p: ib.id });
      expect(counts.referralLink).toEqual({ clickCount: 3, uniqueClickCount: 2 });
      expect(counts.partner.clickCount).toBe(3);
    });

    it('an unknown slug is 404 link_not_found', async () => {
      const res = await fetch(`${stack().origin}/r/doesNotExist1`, { redirect: 'manual' });
      expect(res.status).toBe(404);
      expect(((await res.json()) as any).error.code).toBe('link_not_found');
    });

    it('recordClick captures a server-side click and refuses a bot', async () => {
      const rec = await ok(`mutation($l: ID) { recordClick(input: { linkId: $l, ip: "81.2.69.160", userAgent: "${IPHONE}" }) { id country deviceType } }`, { l: link.id });
      expect(rec.recordClick).toMatchObject({ country: 'GB', deviceType: 'mobile' });
      expect(rec.recordClick.id).toMatch(/^clk_/);
      const bot = await gql(`mutation($l: ID) { recordClick(input: { linkId: $l, userAgent: "curl/8.0" }) { id } }`, { l: link.id });
      expect(bot.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'click.bot' });
    });

    it('referralGraph shows the clicks in the current UTC hour bucket, zeros elsewhere, and refuses bad ranges', async () => {
      const now = new Date();
      const from = new Date(now.getTime() - 5 * 3600_000).toISOString();
      const to = new Date(now.getTime() + 3600_000).toISOString();
      const g = await ok(`query($p: ID, $f: DateTime, $t: DateTime) { referralGraph(partnerId: $p, from: $f, to: $t, granularity: HOUR) { partnerId granularity from to clicks { t v } } }`, { p: ib.id, f: from, t: to });
      const graph = g.referralGraph;
      expect(graph.granularity).toBe('HOUR');
      const hour = new Date(now);
      hour.setUTCMinutes(0, 0, 0);
      expect(graph.clicks).toHaveLength(7);
      // The clicks were made moments ago: in this hour's bucket (or the previous one, across an hour boundary).
      const recent = [hour.toISOString(), new Date(hour.getTime() - 3600_000).toISOString()];
      expect(graph.clicks.reduce((sum: number, p: any) => sum + p.v, 0)).toBe(4);
      expect(graph.clicks.filter((p: any) => p.v > 0).every((p: any) => recent.includes(p.t))).toBe(true);
      expect(graph.clicks.filter((p: any) => p.v === 0).length).toBeGreaterThanOrEqual(5);
      expect(graph.clicks.map((p: any) => new Date(p.t).getUTCMinutes())).toEqual(Array(7).fill(0));
      const auto = await ok(`query($p: ID) { referralGraph(partnerId: $p) { granularity clicks { v } } }`, { p: ib.id });
      expect(auto.referralGraph.granularity).toBe('DAY');
      expect(auto.referralGraph.clicks.reduce((s: number, p: any) => s + p.v, 0)).toBe(4);
      const backwards = await gql(`query($p: ID) { referralGraph(partnerId: $p, from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z") { from } }`, { p: ib.id });
      expect(backwards.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'from' });
      const tooMany = await gql(`query($p: ID) { referralGraph(partnerId: $p, from: "2020-01-01T00:00:00Z", to: "2026-01-01T00:00:00Z", granularity: HOUR) { from } }`, { p: ib.id });
      expect(tooMany.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'granularity' });
    });
  });
}

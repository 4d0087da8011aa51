import { Client } from 'pg';
import { freePort, Proc, ready, run, Stack, startDistributed, startEmbedded, stopAll, waitFor } from '../helpers/harness';
import { collect, wsClient } from '../helpers/ws';
import { sqlStatements } from '../helpers/metrics';
import { createDatabase, describeWithPostgresAndRedis, dropRedisKeys, postgresUrl, redisUrl, uniquePrefix } from '../helpers/services';
import { defineSliceTests } from './slice';
import { defineGatewayHttpTests } from './gateway-http';
import { defineLinksTests } from './links';
import { defineEventsTests } from './events';
import { defineKycTests } from './kyc';
import { defineCommissionsTests } from './commissions';
import { defineCommissionsCoreTests } from './commissions-core';
import { defineCurrencyTests } from './currency';
import { defineFxCpaTests } from './fx-cpa';
import { defineMoneyHotfixTests } from './money-hotfixes';
import { defineExactlyOnceTests } from './exactly-once';
import { defineExactlyOnceAllFactsTests } from './exactly-once-all-facts';
import { defineCpaCorrectionTests } from './cpa-corrections';
import { defineCodeNamespaceTests } from './code-namespace';
import { defineForexFirstsTests } from './forex-firsts';
import { defineRuleConditionsTests } from './rule-conditions';
import { defineProductTests } from './products';
import { defineAttributionTimingTests } from './attribution-timing';
import { defineSubscriptionTests } from './subscriptions';
import { defineSubgraphWebSocketTests } from './subgraph-websocket';
import { defineCommissionChangeTests } from './commission-changes';
import { defineReadOnlyTests } from './read-only';
import { defineInputValueTests } from './input-values';
import { defineBadInputTests } from './bad-input';
import { defineValidationTests } from './validation';
import { defineAuthThrottlingTests } from './auth-throttling';
import { defineClientMistakeTests } from './client-mistakes';
import { defineClientEdgeTests } from './client-edges';
import { defineResumingClientTests } from './resuming-clients';
import Redis from 'ioredis';


describeWithPostgresAndRedis('production layout: five processes on PostgreSQL and Redis Streams', () => {
  let stack: Stack;
  let db: { url: string; drop: () => Promise<void> };
  const prefix = `${uniquePrefix('e2e')}:`;
  beforeAll(async () => {
    db = await createDatabase('rgw_e2e');
    stack = await startDistributed({ databaseUrl: db.url, redisUrl, redisKeyPrefix: prefix });
  }, 90_000);
  afterAll(async () => {
    const codes = await stack?.stop();
    await db?.drop();
    await dropRedisKeys(prefix);
    expect(codes).toEqual([0, 0, 0, 0, 0]);
  }, 60_000);

  defineSliceTests(() => stack);
  // The production layout allows no browser origin until CORS_ORIGINS says so.
  defineGatewayHttpTests(() => stack, {});
  defineLinksTests(() => stack);
  defineEventsTests(() => stack);
  defineKycTests(() => stack);
  defineCommissionsTests(() => stack);
  defineSubscriptionTests(() => stack);
  defineSubgraphWebSocketTests(() => stack);
  defineCommissionChangeTests(() => stack);
  defineMoneyHotfixTests(() => stack);
  defineExactlyOnceTests(() => stack);
  defineCodeNamespaceTests(() => stack);
  defineForexFirstsTests(() => stack);
  defineRuleConditionsTests(() => stack);
  defineProductTests(() => stack);
  defineAttributionTimingTests(() => stack, { distributed: true });
  defineReadOnlyTests(() => stack);
  defineCommissionsCoreTests(() => stack);
  defineCurrencyTests(() => stack);
  defineInputValueTests(() => stack);
  defineValidationTests(() => stack);
  defineBadInputTests(() => stack);
  defineClientMistakeTests(() => stack);
  defineClientEdgeTests(() => stack);
  defineCpaCorrectionTests(() => stack);
  defineAuthThrottlingTests(() => stack);
  // After the parts with EUR payments: it sets a EUR->USD rate dated hours back, which would convert other parts' EUR payments.
  defineFxCpaTests(() => stack);
  // Kills the gateway (-9) and starts it again while live clients follow the stream.
  defineResumingClientTests(() => stack);
  // Last: it publishes every fact the stack has stored again.
  defineExactlyOnceAllFactsTests(() => stack);

  it('each subgraph serves its own Prometheus figures on /metrics, SQL statements of its database included', async () => {
    for (const [name, url] of Object.entries(stack.subgraphUrls)) {
      const res = await fetch(new URL('/metrics', url));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain');
      expect((await sqlStatements(new URL('/metrics', url).href))[name]).toBeGreaterThan(0);
    }
  });

  it('each subgraph keeps its tables in its own PostgreSQL schema, created by migrations', async () => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    const { rows } = await c.query(
      `SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('gateway','links','events','kyc','commissions') ORDER BY 1, 2`,
    );
    await c.end();
    const bySchema: Record<string, string[]> = {};
    for (const r of rows) (bySchema[r.table_schema] ??= []).push(r.table_name);
    expect(bySchema.links).toEqual(expect.arrayContaining(['partners', 'outbox', 'processed_facts', 'migrations']));
    expect(bySchema.events).toEqual(expect.arrayContaining(['events', 'traders', 'referral_code_owners', 'outbox', 'processed_facts', 'migrations']));
    expect(bySchema.kyc).toEqual(expect.arrayContaining(['referral_codes', 'outbox', 'migrations']));
    expect(bySchema.commissions).toEqual(expect.arrayContaining(['commissions', 'outbox', 'migrations']));
    expect(bySchema.gateway).toEqual(expect.arrayContaining(['tenants', 'api_keys', 'migrations']));
    expect(bySchema.links).not.toContain('events');
  });

  it('a subgraph that stops leaves /readyz 200 naming it in degraded, and it exits 0 on SIGTERM', async () => {
    const kyc = stack.procs.find((p) => p.name === 'kyc')!;
    kyc.child.kill('SIGTERM');
    expect((await kyc.exited).code).toBe(0);
    const res = await fetch(`${stack.origin}/readyz`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; degraded: string[]; checks: Record<string, string> };
    expect(body).toMatchObject({ status: 'degraded', degraded: ['subgraph:kyc'] });
    expect(body.checks['subgraph:kyc']).toMatch(/^down: unreachable/);
    expect(body.checks['subgraph:links']).toBe('ok');
  });

  it('postback endpoints on private, loopback or plain-http targets are refused outside insecure mode', async () => {
    for (const url of ['https://10.0.0.5/hook', 'https://127.0.0.1/hook', 'https://localhost/hook', 'http://example.com/hook', 'https://[fd00::1]/hook']) {
      const res = await stack.gql(`mutation($u: String!) { createPostbackEndpoint(input: { url: $u, eventTypes: ["*"] }) { signingSecret } }`, { u: url });
      expect(res.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.url', reason: 'postback.url_invalid' });
    }
    const okRes = await stack.gql(`mutation { createPostbackEndpoint(input: { url: "https://hooks.example.com/referrals", eventTypes: ["FIRST_DEPOSIT"] }) { signingSecret endpoint { url } } }`);
    expect(okRes.body.data.createPostbackEndpoint.endpoint.url).toBe('https://hooks.example.com/referrals');
  });

  it('facts travel on Redis Streams under the configured key prefix', async () => {
    const redis = new Redis(redisUrl);
    const streams = await redis.keys(`${prefix}facts:*`);
    await redis.quit();
    expect(streams).toEqual(expect.arrayContaining([`${prefix}facts:partner.changed`, `${prefix}facts:referral_code.changed`, `${prefix}facts:event.recorded`]));
  });
});

describeWithPostgresAndRedis('npm start with DATABASE_URL and REDIS_URL', () => {
  it('serves the same graph from PostgreSQL and Redis', async () => {
    const db = await createDatabase('rgw_start');
    const prefix = `${uniquePrefix('start')}:`;
    const stack = await startEmbedded({ DATABASE_URL: db.url, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix });
    try {
      expect(stack.procs[0].output()).toMatch(/Referral gateway is running \(PostgreSQL postgres:\/\/.*, Redis redis:\/\//);
      const res = await stack.gql(`{ partners(first: 5) { nodes { name referralCode registrationCount earnings { totalIncome } } } }`);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.partners.nodes).toEqual([{ name: 'Demo Partner', referralCode: 'demo', registrationCount: 0, earnings: { totalIncome: '0.00' } }]);
    } finally {
      expect(await stack.stop()).toEqual([0]);
      await db.drop();
      await dropRedisKeys(prefix);
    }
  }, 90_000);
});

describeWithPostgresAndRedis('live conversions across replicas', () => {
  let stack: Stack;
  let db: { url: string; drop: () => Promise<void> };
  const extra: Proc[] = [];
  let gateway2: string;
  const prefix = `${uniquePrefix('replicas')}:`;
  beforeAll(async () => {
    db = await createDatabase('rgw_replicas');
    stack = await startDistributed({ databaseUrl: db.url, redisUrl, redisKeyPrefix: prefix });
    const events2Port = await freePort();
    const events2 = run('events-2', 'subgraphs/events/src/index.js', { ...stack.env!, EVENTS_PORT: String(events2Port) });
    extra.push(events2);
    await waitFor('second events /readyz', () => ready(`http://127.0.0.1:${events2Port}/readyz`), extra);
    const gw2Port = await freePort();
    const gw2 = run('gateway-2', 'gateway/src/index.js', {
      ...stack.env!,
      PORT: String(gw2Port),
      LINKS_URL: stack.subgraphUrls.links,
      EVENTS_URL: `http://127.0.0.1:${events2Port}/graphql`,
      KYC_URL: stack.subgraphUrls.kyc,
      COMMISSIONS_URL: stack.subgraphUrls.commissions,
      WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
      WS_MAX_CONNECTIONS_PER_TENANT: '3',
    });
    extra.push(gw2);
    await waitFor('second gateway /readyz', () => ready(`http://127.0.0.1:${gw2Port}/readyz`), extra);
    gateway2 = `http://127.0.0.1:${gw2Port}/graphql`;
  }, 120_000);
  afterAll(async () => {
    const codes = await stopAll(extra.reverse());
    await stack?.stop();
    await db?.drop();
    await dropRedisKeys(prefix);
    expect(codes).toEqual([0, 0]);
  }, 60_000);

  it('an event written through one gateway and events replica reaches a subscriber on the other pair', async () => {
    const p = await stack.gql(`mutation { createPartner(input: { name: "Replica IB" }) { id } }`);
    const partnerId = p.body.data.createPartner.id;
    const link = await stack.gql(`mutation($p: ID) { createReferralLink(input: { partnerId: $p, path: "/r" }) { trackingUrl } }`, { p: partnerId });
    const { client } = wsClient(gateway2, { apiKey: stack.apiKey });
    const sub = collect(client, `subscription($f: ConversionStreamFilter) { conversionRecorded(filter: $f) { id partner { id } } }`, { f: { partnerId } });
    try {
      const res = await fetch(link.body.data.createReferralLink.trackingUrl, { headers: { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0) Chrome/120.0', 'x-forwarded-for': '81.2.69.170' }, redirect: 'manual' });
      const clickId = new URL(res.headers.get('location')!).searchParams.get('click_id')!;
      const ids: string[] = [];
      await waitFor('the event on the other replica', async () => {
        const t = await stack.gql(`mutation($c: String) { trackEvent(input: { eventType: REGISTRATION, email: "r${Date.now()}@x.io", clickId: $c }) { id } }`, { c: clickId });
        ids.push(t.body.data.trackEvent.id);
        return sub.messages.length ? true : undefined;
      }, [], 20_000);
      expect(ids).toContain(sub.messages[0].data.conversionRecorded.id);
      expect(sub.messages[0].data.conversionRecorded.partner.id).toBe(partnerId);
    } finally {
      sub.unsubscribe();
      await client.dispose();
    }
  });

  it('the subscription limit per connection and the connection limit per tenant hold, and metrics count them', async () => {
    const q = `subscription { conversionRecorded { id } }`;
    const a = wsClient(gateway2, { apiKey: stack.apiKey });
    const subs = [collect(a.client, q), collect(a.client, q), collect(a.client, q)];
    await waitFor('the third subscription to be refused', async () => (subs[2].isDone() ? true : undefined), [], 10_000);
    expect(JSON.stringify(subs[2].error())).toMatch(/at most 2 active subscriptions per connection/);
    const others = [wsClient(gateway2, { apiKey: stack.apiKey }), wsClient(gateway2, { apiKey: stack.apiKey }), wsClient(gateway2, { apiKey: stack.apiKey })];
    for (const o of others) collect(o.client, q);
    const closes = await Promise.race([Promise.any(others.map((o) => o.closed)), new Promise((r) => setTimeout(() => r(null), 10_000))]);
    expect(closes).toMatchObject({ code: 4429 });
    const metrics = await (await fetch(gateway2.replace('/graphql', '/metrics'))).text();
    expect(metrics).toMatch(/gateway_ws_connections \d+/);
    expect(metrics).toMatch(/gateway_ws_subscriptions [1-9]/);
    for (const s of subs) s.unsubscribe();
    await Promise.all([a, ...others].map((c) => c.client.dispose()));
  });
});

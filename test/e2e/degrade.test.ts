import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Stack, startDistributed, waitFor } from '../helpers/harness';
import { startOwnRedis, OwnRedis } from '../helpers/own-redis';
import { createDatabase, describeWithPostgresAndRedis } from '../helpers/services';
import { collect, wsClient } from '../helpers/ws';

/**
 * Degrade, don't fall over: the production layout on its own Redis server, which this
 * suite stops, and a subgraph killed with -9. First the subgraph (the live stream needs
 * Redis), then Redis.
 */
const uid = () => randomBytes(4).toString('hex');
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36';

async function readyz(url: string): Promise<{ status: number; body: { status: string; degraded: string[]; checks: Record<string, string> } }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.json()) as never };
}

/** The value of one Prometheus sample (`name{labels}`) on a /metrics page, or undefined. */
async function sample(metricsUrl: string, series: string): Promise<number | undefined> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describeWithPostgresAndRedis('degrade, do not fall over: Redis stopped, a subgraph killed', () => {
  let stack: Stack;
  let redis: OwnRedis;
  let db: { url: string; drop: () => Promise<void> };
  const prefix = 'degrade:';
  const subgraphOrigin = (name: string) => new URL(stack.subgraphUrls[name]).origin;
  const ok = async (q: string, v: Record<string, unknown> = {}) => {
    const res = await stack.gql(q, v);
    expect(res.body.errors).toBeUndefined();
    return res.body.data;
  };
  const clickId = async (trackingUrl: string) => {
    const res = await fetch(trackingUrl, { headers: { 'user-agent': UA, 'x-forwarded-for': '81.2.69.163' }, redirect: 'manual' });
    return new URL(res.headers.get('location')!).searchParams.get('click_id')!;
  };
  const TRACK = `mutation($i: TrackEventInput!) { trackEvent(input: $i) { id commissions { amount } } }`;
  const deposit = (click: string) => ({ i: { eventType: 'FIRST_DEPOSIT', clickId: click, email: `deg-${uid()}@x.io`, amount: '42.00', currency: 'USD' } });
  let partner: { id: string; name: string; referralCode: string };
  let trackingUrl: string;

  beforeAll(async () => {
    db = await createDatabase('rgw_degrade');
    redis = await startOwnRedis();
    stack = await startDistributed({ databaseUrl: db.url, redisUrl: redis.url, redisKeyPrefix: prefix });
    partner = (await ok(`mutation { createPartner(input: { name: "Degrade IB" }) { id name referralCode } }`)).createPartner;
    trackingUrl = (await ok(`mutation($p: ID) { createReferralLink(input: { partnerId: $p, path: "/degrade" }) { trackingUrl } }`, { p: partner.id })).createReferralLink.trackingUrl;
    const plan = await ok(`mutation { createCommissionPlan(input: { name: "Degrade plan", currency: "USD", holdDays: 7, rules: [{ kind: CPA, eventType: FIRST_DEPOSIT, amount: "10" }] }) { id } }`);
    await waitFor('the plan assignment', async () => {
      const r = await stack.gql(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: partner.id, plan: plan.createCommissionPlan.id });
      return r.body.errors ? undefined : true;
    }, [], 15_000);
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await redis?.close();
    await db?.drop();
  }, 60_000);

  it('with commissions killed (-9): other fields are answered, its fields are null with SERVICE_UNAVAILABLE, trackEvent returns its id, a subscription keeps streaming with errors beside the data, /readyz is 200 degraded', async () => {
    const { client } = wsClient(stack.gatewayUrl, { apiKey: stack.apiKey });
    const sub = collect(client, `subscription($f: ConversionStreamFilter) { conversionRecorded(filter: $f) { id partner { id } commissions { amount } } }`, { f: { partnerId: partner.id } });
    try {
      const click = await clickId(trackingUrl);
      // Live once set up upstream: send events until one arrives (with commissions up: its amount).
      const first = await waitFor('the first live message', async () => {
        await ok(TRACK, deposit(click));
        return sub.messages[0];
      }, [], 15_000);
      expect(first.errors).toBeUndefined();
      expect(first.data.conversionRecorded.commissions).toEqual([{ amount: '10.00' }]);

      const commissions = stack.procs.find((p) => p.name === 'commissions')!;
      commissions.child.kill('SIGKILL');
      await commissions.exited;

      const read = await stack.gql(`{ partners(first: 50) { nodes { id name earnings { totalIncome } } } commissions(first: 1) { totalCount } }`);
      expect(read.status).toBe(200);
      expect(read.body.data.partners.nodes).toContainEqual({ id: partner.id, name: partner.name, earnings: null });
      expect(read.body.data.commissions).toBeNull();
      expect(read.body.errors?.length).toBeGreaterThan(0);
      for (const e of read.body.errors!) expect(e.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE', service: 'commissions' });
      expect(read.body.errors![0].message).toMatch(/the commissions service is unavailable/);
      expect(JSON.stringify(read.body)).not.toMatch(/127\.0\.0\.1|localhost|ECONNREFUSED|:\d{4,5}\b/);

      const before = sub.messages.length;
      const tracked = await stack.gql(TRACK, deposit(click));
      expect(tracked.status).toBe(200);
      expect(tracked.body.data.trackEvent).toEqual({ id: expect.stringMatching(/\S/), commissions: null });
      expect(tracked.body.errors?.map((e) => e.extensions)).toEqual([{ code: 'SERVICE_UNAVAILABLE', service: 'commissions' }]);
      const stored = await ok(`query($id: ID!) { event(id: $id) { id } }`, { id: tracked.body.data.trackEvent.id });
      expect(stored.event.id).toBe(tracked.body.data.trackEvent.id);

      // The subscription goes on: this event arrives with its id and partner, commissions null beside an error.
      const live = await waitFor('the live message without commissions', async () => sub.messages.slice(before).find((m) => m.data?.conversionRecorded?.id === tracked.body.data.trackEvent.id), [], 15_000);
      expect(live.data.conversionRecorded).toEqual({ id: tracked.body.data.trackEvent.id, partner: { id: partner.id }, commissions: null });
      expect(live.errors?.map((e) => e.extensions)).toEqual([{ code: 'SERVICE_UNAVAILABLE', service: 'commissions' }]);
      const again = (await ok(`mutation($i: TrackEventInput!) { trackEvent(input: $i) { id } }`, deposit(click))).trackEvent.id;
      await waitFor('a second live message', async () => (sub.messages.some((m) => m.data?.conversionRecorded?.id === again) ? true : undefined), [], 15_000);
      expect(sub.isDone()).toBe(false);
      expect(await sample(`${stack.origin}/metrics`, 'gateway_subgraph_unavailable_total{subgraph="commissions"}')).toBeGreaterThan(0);

      const ready = await readyz(`${stack.origin}/readyz`);
      expect(ready.status).toBe(200);
      expect(ready.body).toMatchObject({ status: 'degraded', degraded: ['subgraph:commissions'] });
      expect(ready.body.checks.database).toBe('ok');
    } finally {
      sub.unsubscribe();
      await client.dispose();
    }
  }, 60_000);

  it('with Redis stopped: queries and trackEvent are answered, rate limits and replay protection fall back per process with a warning and a metric, /readyz is 200 degraded; the relay publishes once Redis is back', async () => {
    await redis.stop();
    const started = Date.now();
    const read = await stack.gql(`{ partners(first: 50) { nodes { id name } } }`);
    expect(read.status).toBe(200);
    expect(read.body.errors).toBeUndefined();
    expect(read.body.data.partners.nodes).toContainEqual({ id: partner.id, name: partner.name });
    const tracked = await stack.gql(`mutation($i: TrackEventInput!) { trackEvent(input: $i) { id } }`, { i: { eventType: 'REGISTRATION', referralCode: partner.referralCode, email: `deg-${uid()}@x.io` } });
    expect(tracked.status).toBe(200);
    expect(tracked.body.errors).toBeUndefined();
    const eventId = tracked.body.data.trackEvent.id as string;
    // Failing fast: no request waited for Redis.
    expect(Date.now() - started).toBeLessThan(5000);

    expect(await sample(`${stack.origin}/metrics`, 'rgw_degraded{dependency="redis",feature="rate_limits"}')).toBe(1);
    expect(await sample(`${stack.origin}/metrics`, 'rgw_degraded_operations_total{dependency="redis",feature="rate_limits"}')).toBeGreaterThan(0);
    expect(await sample(`${subgraphOrigin('events')}/metrics`, 'rgw_degraded{dependency="redis",feature="replay_protection"}')).toBe(1);
    expect(await sample(`${subgraphOrigin('links')}/metrics`, 'rgw_degraded_operations_total{dependency="redis",feature="replay_protection"}')).toBeGreaterThan(0);
    expect(stack.procs.find((p) => p.name === 'gateway')!.output()).toMatch(/redis is unavailable: rate limits are counted per gateway process/);
    expect(stack.procs.find((p) => p.name === 'events')!.output()).toMatch(/redis is unavailable: principal tokens are remembered per process/);
    const ready = await readyz(`${stack.origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'degraded', degraded: ['redis', 'subgraph:commissions'] });
    const events = await readyz(`${subgraphOrigin('events')}/readyz`);
    expect(events).toMatchObject({ status: 200, body: { status: 'degraded', degraded: ['redis'], checks: { database: 'ok' } } });

    // Back, empty (no persistence): the shared counters return and the relay publishes the stored event.
    await redis.start();
    await waitFor('the rate limits back on Redis', async () => {
      await stack.gql(`{ partners(first: 1) { nodes { id } } }`);
      return (await sample(`${stack.origin}/metrics`, 'rgw_degraded{dependency="redis",feature="rate_limits"}')) === 0 ? true : undefined;
    });
    const probe = new Redis(redis.url);
    try {
      await waitFor('the event published on the bus', async () => {
        const entries = await probe.xrange(`${prefix}facts:event.recorded`, '-', '+');
        return entries.some(([, fields]) => fields.join(' ').includes(eventId)) ? true : undefined;
      });
    } finally {
      probe.disconnect();
    }
    expect((await readyz(`${stack.origin}/readyz`)).body.degraded).toEqual(['subgraph:commissions']);
  }, 60_000);
});

import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { ROOT, Stack, startDistributed, waitFor } from '../helpers/harness';
import { startOwnRedis, OwnRedis } from '../helpers/own-redis';
import { startReceiver } from '../helpers/receiver';
import { createDatabase, describeWithPostgresAndRedis } from '../helpers/services';

/**
 * Issue 17, "Tests that must exist": the production layout (its own PostgreSQL database, its own Redis without
 * persistence) under a steady trackEvent load while events, commissions and the gateway are killed with -9 and
 * restarted in turn, and Redis is stopped for 30 s and started again empty. Then: every acknowledged event is stored
 * once with its commissions once, the README's resuming Node client showed each once in commit order, and the
 * postback receiver got each at least once under one webhook-id (redelivered duplicates are allowed and reported).
 */
const uid = () => randomBytes(4).toString('hex');
const CLIENTS = 3;
/** Between a client's requests: a steady load the two-core CI machine sustains while processes restart. */
const PACE_MS = 150;
const REDIS_OUTAGE_MS = 30_000;
const TRACK = `mutation($k: String, $i: TrackEventInput!) { trackEvent(idempotencyKey: $k, input: $i) { id } }`;
/** What the plan pays per event type, in cents: CPA 2 per registration; CPA 10 and 10 % revenue share of a 100.00 first deposit. */
const EXPECTED: Record<string, string[]> = { REGISTRATION: ['CPA 200'], FIRST_DEPOSIT: ['CPA 1000', 'REVSHARE 1000'] };
/** A USD amount as the API gives it ("10.00") in cents, as the database stores it ("1000"). */
const cents = (amount: string) => String(BigInt(amount.replace('.', '')));

interface Acked {
  id: string;
  eventType: string;
}

describeWithPostgresAndRedis('fault injection: processes killed with -9 and Redis restarted empty under trackEvent load (issue 17)', () => {
  let stack: Stack;
  let redis: OwnRedis;
  let db: { url: string; drop: () => Promise<void> };
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let subscriber: ChildProcess | undefined;

  beforeAll(async () => {
    db = await createDatabase('rgw_faults');
    redis = await startOwnRedis();
    receiver = await startReceiver();
    stack = await startDistributed({
      databaseUrl: db.url,
      redisUrl: redis.url,
      redisKeyPrefix: 'faults:',
      // The receiver listens on loopback; retries every second or two rather than minutes.
      env: { POSTBACKS_ALLOW_INSECURE: 'true', POSTBACK_RETRY_SCHEDULE: '0,1,2,2,2,2,2,2,2,2', POSTBACK_POLL_MS: '100' },
    });
  }, 120_000);

  afterAll(async () => {
    subscriber?.kill();
    await stack?.stop();
    await redis?.close();
    await receiver?.close();
    await db?.drop();
  }, 60_000);

  it('every acknowledged event is stored once with its commissions once, streamed once in order to a resuming client, and posted back under one webhook-id', async () => {
    const started = Date.now();
    const ok = async (q: string, v: Record<string, unknown> = {}) => {
      const res = await stack.gql(q, v);
      if (res.body.errors) throw new Error(JSON.stringify(res.body.errors));
      return res.body.data;
    };
    const partner = (await ok(`mutation { createPartner(input: { name: "Faults IB" }) { id referralCode } }`)).createPartner;
    const plan = await ok(`mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`, {
      i: {
        name: 'Faults plan',
        currency: 'USD',
        holdDays: 30,
        rules: [
          { kind: 'CPA', eventType: 'REGISTRATION', amount: '2' },
          { kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '10' },
          { kind: 'REVSHARE', eventType: 'FIRST_DEPOSIT', percentage: '10' },
        ],
      },
    });
    await waitFor('the plan assignment', async () => {
      const r = await stack.gql(`mutation($p: ID!, $plan: ID!) { assignCommissionPlan(partnerId: $p, planId: $plan) { id } }`, { p: partner.id, plan: plan.createCommissionPlan.id });
      return r.body.errors ? undefined : true;
    }, [], 15_000);
    const hookPath = `/faults-${uid()}`;
    await ok(`mutation($i: CreatePostbackEndpointInput!) { createPostbackEndpoint(input: $i) { endpoint { id } } }`, {
      i: { url: receiver.url(hookPath), eventTypes: ['REGISTRATION', 'FIRST_DEPOSIT'] },
    });

    // The README's Node client, from a marker's cursor: it must show every later event once, in commit order.
    const marker = (await ok(`mutation { trackEvent(input: { eventType: REGISTRATION, email: "marker-${uid()}@example.com" }) { cursor } }`)).trackEvent.cursor;
    let out = '';
    let err = '';
    subscriber = spawn(process.execPath, [path.join(ROOT, 'examples', 'live-conversions-node.js')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', GATEWAY_WS_URL: stack.gatewayUrl.replace(/^http/, 'ws'), API_KEY: stack.apiKey, LAST_CURSOR: marker },
    });
    subscriber.stdout!.on('data', (d) => (out += d));
    subscriber.stderr!.on('data', (d) => (err += d));
    const streamed = () => out.split('\n').filter(Boolean).map((line) => line.split(' ')[0]);

    // The load: each client registers a customer with the partner's code, then records the first deposit, each with
    // an idempotency key it sends again, with the same input, until the request is acknowledged.
    const acked: Acked[] = [];
    let failures = 0;
    let stopping = false;
    const send = async (key: string, input: Record<string, unknown>): Promise<string> => {
      for (;;) {
        try {
          const res = await fetch(stack.gatewayUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': stack.apiKey },
            body: JSON.stringify({ query: TRACK, variables: { k: key, i: input } }),
            signal: AbortSignal.timeout(10_000),
          });
          const body = (await res.json()) as { data?: { trackEvent?: { id: string } }; errors?: unknown[] };
          if (res.status === 200 && body.data?.trackEvent?.id) return body.data.trackEvent.id;
          if (JSON.stringify(body.errors ?? '').match(/BAD_USER_INPUT|CONFLICT|FORBIDDEN/)) throw new Error(`refused, not retried: ${JSON.stringify(body)}`);
        } catch (e) {
          if ((e as Error).message.startsWith('refused')) throw e;
        }
        failures++;
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const client = async (n: number) => {
      for (let i = 0; !stopping; i++) {
        const email = `faults-${n}-${i}-${uid()}@example.com`;
        const reg = await send(`reg-${n}-${i}-${email}`, { eventType: 'REGISTRATION', email, referralCode: partner.referralCode });
        acked.push({ id: reg, eventType: 'REGISTRATION' });
        await new Promise((r) => setTimeout(r, PACE_MS));
        const dep = await send(`dep-${n}-${i}-${email}`, { eventType: 'FIRST_DEPOSIT', email, referralCode: partner.referralCode, amount: '100.00', currency: 'USD' });
        acked.push({ id: dep, eventType: 'FIRST_DEPOSIT' });
        await new Promise((r) => setTimeout(r, PACE_MS));
      }
    };
    const load = Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    const progress = async (what: string, more: number) => {
      const target = acked.length + more;
      await waitFor(`${more} more acknowledged events ${what}`, async () => (acked.length >= target ? true : undefined), [], 60_000);
    };
    const phases: string[] = [];
    const phase = async (name: string, fault: () => Promise<void>) => {
      const t = Date.now();
      await fault();
      await progress(`after ${name}`, 20);
      phases.push(`${name}: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    };

    try {
      await progress('before any fault', 20);
      await phase('events killed -9 and restarted', () => stack.restartService!('events'));
      await phase('commissions killed -9 and restarted', () => stack.restartService!('commissions'));
      await phase('gateway killed -9 and restarted', () => stack.restartService!('gateway'));
      await phase(`Redis stopped ${REDIS_OUTAGE_MS / 1000} s and started again empty`, async () => {
        await redis.stop();
        const outage = Date.now();
        // The outage lasts its 30 s while the load goes on: acknowledgements keep coming (degrade, not fall over).
        const during = acked.length;
        await waitFor('the end of the Redis outage', async () => (Date.now() - outage >= REDIS_OUTAGE_MS ? true : undefined), [], REDIS_OUTAGE_MS + 5_000);
        phases.push(`acknowledged during the Redis outage: ${acked.length - during}`);
        await redis.start();
      });
    } finally {
      stopping = true;
      await load;
    }
    const loadEnded = Date.now();

    // Afterwards: poll until everything acknowledged has arrived everywhere, then until nothing changes any more.
    const pg = new Client({ connectionString: db.url });
    pg.on('error', () => undefined);
    await pg.connect();
    const ids = new Set(acked.map((a) => a.id));
    const snapshot = async () => {
      const events = (await pg.query(`SELECT id, position FROM events.events WHERE tenant_id = $1 AND partner_id = $2 ORDER BY position`, [stack.tenantId, partner.id])).rows as { id: string; position: string }[];
      const commissions = (await pg.query(`SELECT event_id, kind, amount_minor FROM commissions.commissions WHERE tenant_id = $1 AND partner_id = $2`, [stack.tenantId, partner.id])).rows as {
        event_id: string;
        kind: string;
        amount_minor: string;
      }[];
      const posted = receiver
        .at(hookPath)
        .map((r) => ({ webhookId: String(r.headers['webhook-id']), eventId: JSON.parse(r.body).data?.id as string }))
        .filter((p) => ids.has(p.eventId));
      return { events, commissions, posted, streamed: streamed().filter((id) => ids.has(id)) };
    };
    type Snap = Awaited<ReturnType<typeof snapshot>>;
    const complete = (s: Snap) => {
      const withCommission = new Set(s.commissions.map((c) => c.event_id));
      const posted = new Set(s.posted.map((p) => p.eventId));
      const shown = new Set(s.streamed);
      return acked.every((a) => withCommission.has(a.id) && posted.has(a.id) && shown.has(a.id));
    };
    const sizes = (s: Snap) => [s.events.length, s.commissions.length, s.posted.length, s.streamed.length].join('/');
    // Once outside the poll, so a broken query fails at once rather than after the bound.
    await snapshot();
    let last = '';
    let since = Date.now();
    const settled = await waitFor('every acknowledged event stored, credited, streamed and posted back, then quiet', async () => {
      const s = await snapshot();
      const now = sizes(s);
      if (now !== last) [last, since] = [now, Date.now()];
      return complete(s) && Date.now() - since >= 3_000 ? s : undefined;
    }, [], 120_000).catch(async (e) => {
      const s = await snapshot();
      const missing = (have: Iterable<string>) => {
        const set = new Set(have);
        return acked.filter((a) => !set.has(a.id)).map((a) => `${a.eventType} ${a.id}`).slice(0, 10);
      };
      throw new Error(
        `${(e as Error).message}\nacknowledged ${acked.length}; stored/commissions/posted/streamed ${sizes(s)}\n` +
          `without commission: ${missing(s.commissions.map((c) => c.event_id))}\nnot posted: ${missing(s.posted.map((p) => p.eventId))}\n` +
          `not streamed: ${missing(s.streamed)}\nsubscriber stderr:\n${err.slice(-3000)}`,
      );
    }).finally(() => pg.end());

    // Stored exactly once: the partner's rows are the acknowledged events, no more (a retry stored twice would add one).
    expect(settled.events.map((e) => e.id).sort()).toEqual([...ids].sort());
    expect(ids.size).toBe(acked.length);
    // Its commissions exactly once, in the database...
    const byEvent = new Map<string, string[]>();
    for (const c of settled.commissions) byEvent.set(c.event_id, [...(byEvent.get(c.event_id) ?? []), `${c.kind} ${c.amount_minor}`]);
    const wrong = acked.filter((a) => JSON.stringify((byEvent.get(a.id) ?? []).sort()) !== JSON.stringify(EXPECTED[a.eventType]));
    expect(wrong.map((a) => `${a.eventType} ${a.id}: ${byEvent.get(a.id)}`)).toEqual([]);
    expect(settled.commissions).toHaveLength(acked.reduce((n, a) => n + EXPECTED[a.eventType].length, 0));

    // ...and through the gateway: the events and commissions the API lists for the partner.
    const pages = async (field: string, selection: string) => {
      const nodes: any[] = [];
      let after: string | null = null;
      let total = -1;
      do {
        const data: any = await ok(`query($p: ID, $a: String) { ${field}(first: 100, after: $a, filter: { partnerId: $p }) { totalCount pageInfo { hasNextPage endCursor } nodes { ${selection} } } }`, { p: partner.id, a: after });
        nodes.push(...data[field].nodes);
        total = data[field].totalCount;
        after = data[field].pageInfo.hasNextPage ? data[field].pageInfo.endCursor : null;
      } while (after);
      return { nodes, total };
    };
    const apiEvents = await pages('events', 'id');
    expect(apiEvents.total).toBe(acked.length);
    expect(apiEvents.nodes.map((n) => n.id).sort()).toEqual([...ids].sort());
    const apiCommissions = await pages('commissions', 'kind amount event { id }');
    expect(apiCommissions.total).toBe(settled.commissions.length);
    const apiByEvent = new Map<string, string[]>();
    for (const c of apiCommissions.nodes) apiByEvent.set(c.event.id, [...(apiByEvent.get(c.event.id) ?? []), `${c.kind} ${cents(c.amount)}`]);
    expect(acked.filter((a) => JSON.stringify((apiByEvent.get(a.id) ?? []).sort()) !== JSON.stringify(EXPECTED[a.eventType]))).toEqual([]);

    // The resuming subscriber: each acknowledged event exactly once, in commit (stream position) order.
    expect(settled.streamed).toEqual(settled.events.map((e) => e.id));

    // Postbacks: each event at least once, and under exactly one webhook-id (a second id would be a second postback
    // for the same fact); the same webhook-id delivered again is a permitted retry, counted and reported.
    const webhookIds = new Map<string, Set<string>>();
    for (const p of settled.posted) webhookIds.set(p.eventId, (webhookIds.get(p.eventId) ?? new Set()).add(p.webhookId));
    expect(acked.filter((a) => webhookIds.get(a.id)?.size !== 1).map((a) => `${a.id}: ${[...(webhookIds.get(a.id) ?? [])]}`)).toEqual([]);
    // What the relays found Redis had forgotten (reported: how much depends on what consumers had read at the stop).
    let lossDetected = 0;
    let republished = 0;
    for (const url of Object.values(stack.subgraphUrls)) {
      for (const line of (await (await fetch(new URL('/metrics', url))).text()).split('\n')) {
        if (line.startsWith('bus_data_loss_detected_total{')) lossDetected += Number(line.split(' ').pop());
        if (line.startsWith('bus_facts_republished_total{')) republished += Number(line.split(' ').pop());
      }
    }
    const duplicates = settled.posted.length - new Set(settled.posted.map((p) => p.webhookId)).size;

    console.log(
      [
        `fault injection: ${acked.length} events acknowledged by ${CLIENTS} clients (${failures} failed requests retried with their idempotency key)`,
        ...phases.map((p) => `  ${p}`),
        `  settled ${((Date.now() - loadEnded) / 1000).toFixed(1)} s after the load ended; ${settled.commissions.length} commissions`,
        `  after Redis came back empty: data loss detected ${lossDetected} times, ${republished} facts republished from the outboxes`,
        `  the subscriber's stream ended ${(err.match(/stream ended/g) ?? []).length} times and resumed from its last cursor`,
        `  postbacks: ${settled.posted.length} received for ${acked.length} events, ${duplicates} duplicate deliveries (retries of the same webhook-id)`,
        `  total ${((Date.now() - started) / 1000).toFixed(1)} s`,
      ].join('\n'),
    );
  }, 360_000);
});

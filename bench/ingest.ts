import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { newId } from '../subgraphs/shared/src';
import { Stack, startDistributed, waitFor } from '../test/helpers/harness';
import { createDatabase, dropRedisKeys, redisUrl, uniquePrefix } from '../test/helpers/servers';
import { sqlStatements } from '../test/helpers/metrics';
import { load } from './load';
import { cpuOfGroups, pidsOf, runWorker } from './proc';
import { countArg, report, requirePostgresAndRedis } from './report';

/**
 * Event ingestion. The product's four subgraphs, each in its own process on PostgreSQL
 * and Redis (the production layout); one partner, then `trackEvent` through the gateway
 * from autocannon in a separate process for --seconds at --connections: a REGISTRATION of
 * a new email per request with the partner's referral code, so every request creates a
 * trader, attributes it and commits the event with its outbox fact. Events per second,
 * p50 and p99; every acknowledged event must be in the events table afterwards.
 *
 * Beside it, what PostgreSQL itself commits for the same rows at the same concurrency:
 * a second process (this file with --worker plain) with --connections plain `pg` clients, each
 * looping BEGIN; INSERT trader; INSERT event; INSERT outbox row; COMMIT, into copies of
 * the events subgraph's tables (schema `plain`, same indexes), with the column values of
 * the rows one real trackEvent wrote and fresh ids, email and timestamps. The ratios
 * ours/plain read as "the share of PostgreSQL's commit rate the product delivers" and
 * "how many times PostgreSQL's own p99 a tracked event takes"; absolute figures depend on
 * this (shared, noisy) machine and are only compared within one run.
 */
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    /** Internal: `plain` (the pg clients), run by the benchmark as a child process. */
    worker: { type: 'string' },
  },
});
const SECONDS = countArg('seconds', values.seconds, 3_600);
const CONNECTIONS = countArg('connections', values.connections, 1_000);
const WARMUP_SECONDS = 1;
/** A bound on the plain run's count too, far above what a machine commits in an hour. */
const MAX_TRANSACTIONS = 50_000_000;

/** The tables one trackEvent of a new trader writes, in the order the plain clients insert. */
const TABLES = ['traders', 'events', 'outbox'] as const;
type Table = (typeof TABLES)[number];

/** What the worker inserts: one real row per table, and the values in it to make fresh per transaction. */
interface WorkerSpec {
  databaseUrl: string;
  rows: Record<Table, Record<string, unknown>>;
  /** Columns set to the transaction's time (timestamptz columns that are not null in the sample). */
  timestamps: Record<Table, string[]>;
  /** Strings that identify the sample (event, trader and fact ids, email): replaced everywhere, JSON bodies included. */
  ids: { event: string; trader: string; fact: string; email: string };
}
interface WorkerResult {
  transactions: number;
  seconds: number;
  transactionsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  warmupTransactions: number;
}

function percentile(sorted: number[], q: number): number {
  if (!sorted.length) return 0;
  return +sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))].toFixed(2);
}

async function plainWorker(spec: WorkerSpec): Promise<void> {
  const statements = TABLES.map((t) => {
    const columns = Object.keys(spec.rows[t]);
    return { table: t, columns, text: `INSERT INTO plain.${t} (${columns.map((c) => `"${c}"`).join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})` };
  });
  // Positions are unique per tenant; the product serialises their assignment (see the note), plain clients just count.
  let position = 0;
  const transaction = (client: Client) => {
    const email = `c${newId('x').slice(2).toLowerCase()}@bench.test`;
    const subs: [string, string][] = [
      [spec.ids.event, newId('evt')],
      [spec.ids.trader, newId('trd')],
      [spec.ids.fact, newId('fct')],
      [spec.ids.email, email],
      [spec.ids.email.toLowerCase(), email],
    ];
    const now = new Date();
    const params = statements.map(({ table, columns }) =>
      columns.map((c) => {
        if (table === 'events' && c === 'position') return ++position;
        if (spec.timestamps[table].includes(c)) return now;
        const v = spec.rows[table][c];
        return typeof v === 'string' ? subs.reduce((s, [from, to]) => s.split(from).join(to), v) : v;
      }),
    );
    return async () => {
      await client.query('BEGIN');
      try {
        for (let i = 0; i < statements.length; i++) await client.query(statements[i].text, params[i]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    };
  };
  const clients = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const c = new Client({ connectionString: spec.databaseUrl });
      await c.connect();
      return c;
    }),
  );
  let total = 0;
  const run = async (seconds: number) => {
    const latencies: number[] = [];
    const started = process.hrtime.bigint();
    const deadline = started + BigInt(seconds * 1e9);
    await Promise.all(
      clients.map(async (c) => {
        while (process.hrtime.bigint() < deadline && total < MAX_TRANSACTIONS) {
          const tx = transaction(c);
          const t0 = process.hrtime.bigint();
          await tx();
          latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
          total++;
        }
      }),
    );
    return { latencies, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  };
  try {
    const warmup = await run(WARMUP_SECONDS);
    const { latencies, seconds } = await run(SECONDS);
    latencies.sort((a, b) => a - b);
    const result: WorkerResult = {
      transactions: latencies.length,
      seconds: +seconds.toFixed(3),
      transactionsPerSecond: +(latencies.length / seconds).toFixed(1),
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      warmupTransactions: warmup.latencies.length,
    };
    console.log(JSON.stringify(result));
  } finally {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
  }
}

/**
 * Rows per table of a schema. In `events`, processed_facts leaves out consumers' inbox rows
 * for event.recorded facts: those are written after the relay publishes, outside the request.
 */
async function rowCounts(pg: Client, schema: string): Promise<Record<string, number>> {
  const { rows } = await pg.query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name`, [schema]);
  const counts: Record<string, number> = {};
  for (const { table_name } of rows) {
    const downstream = schema === 'events' && table_name === 'processed_facts' ? ` WHERE fact_id NOT IN (SELECT fact_id FROM events.outbox WHERE type = 'event.recorded')` : '';
    counts[table_name] = Number((await pg.query(`SELECT count(*) AS n FROM "${schema}"."${table_name}"${downstream}`)).rows[0].n);
  }
  return counts;
}

async function main() {
  await requirePostgresAndRedis('ingestion');
  const db = await createDatabase('rgw_bench_ingest');
  const prefix = uniquePrefix('rgwbench');
  let stack: Stack | undefined;
  let pg: Client | undefined;
  try {
    stack = await startDistributed({ databaseUrl: db.url, redisUrl, redisKeyPrefix: prefix });
    pg = new Client({ connectionString: db.url });
    await pg.connect();
    const headers = { 'content-type': 'application/json', 'x-api-key': stack.apiKey };
    const post = async (body: string) => {
      const res = await fetch(stack!.gatewayUrl, { method: 'POST', headers, body });
      const json = (await res.json()) as { data?: any; errors?: unknown[] };
      if (res.status !== 200 || json.errors || !json.data) throw new Error(`HTTP ${res.status} ${JSON.stringify(json).slice(0, 500)}`);
      return json.data;
    };

    const { createPartner: partner } = await post(JSON.stringify({ query: `mutation { createPartner(input: { name: "Bench" }) { id referralCode } }` }));
    const track = (email: string) =>
      JSON.stringify({
        query: `mutation($i: TrackEventInput!) { trackEvent(input: $i) { id attribution partner { id } } }`,
        variables: { i: { eventType: 'REGISTRATION', email, referralCode: partner.referralCode } },
      });
    const body = track('c[<id>]@bench.test');
    // Attribution by code reads what the events subgraph learnt over the bus.
    let probe = 0;
    await waitFor('the events subgraph to know the partner', async () => ((await post(track(`probe${++probe}@bench.test`))).trackEvent.partner?.id === partner.id ? true : undefined), stack.procs, 60_000);

    // One request exactly as autocannon sends it: no GraphQL errors, attributed, and the tables it writes.
    const before = await rowCounts(pg, 'events');
    const sample = (await post(body.replace('[<id>]', 'sample'))).trackEvent;
    if (sample.partner?.id !== partner.id) throw new Error(`the sample trackEvent was not attributed to the partner: ${JSON.stringify(sample)}`);
    const after = await rowCounts(pg, 'events');
    // The baseline inserts into exactly these tables: fail if trackEvent ever writes others.
    const tablesWritten = Object.keys(after).filter((t) => after[t] > (before[t] ?? 0));
    if (tablesWritten.join() !== [...TABLES].sort().join()) throw new Error(`the sample trackEvent wrote rows to ${tablesWritten.join(', ')}; the plain baseline inserts into ${TABLES.join(', ')}`);

    // The rows it wrote, as the plain clients will insert them.
    const row = async (sql: string, param: string) => {
      const { rows } = await pg!.query(sql, [param]);
      if (rows.length !== 1) throw new Error(`expected one row for ${sql} ${param}, found ${rows.length}`);
      return rows[0] as Record<string, unknown>;
    };
    const event = await row('SELECT * FROM events.events WHERE id = $1', sample.id);
    const trader = await row('SELECT * FROM events.traders WHERE id = $1', event.trader_id as string);
    const outbox = await row(`SELECT * FROM events.outbox WHERE body::jsonb #>> '{payload,event,id}' = $1`, sample.id);
    delete outbox.seq; // assigned by its sequence (LIKE .. INCLUDING ALL keeps the default)
    outbox.published_at = null; // as written; the relay marks it later
    const { rows: tsColumns } = await pg.query<{ table_name: Table; column_name: string }>(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'events' AND table_name = ANY($1) AND data_type LIKE 'timestamp%'`,
      [[...TABLES]],
    );
    const rows: Record<Table, Record<string, unknown>> = { traders: trader, events: event, outbox };
    const spec: WorkerSpec = {
      databaseUrl: db.url,
      rows,
      timestamps: Object.fromEntries(TABLES.map((t) => [t, tsColumns.filter((c) => c.table_name === t && rows[t][c.column_name] != null).map((c) => c.column_name)])) as Record<Table, string[]>,
      ids: { event: sample.id, trader: trader.id as string, fact: outbox.fact_id as string, email: trader.email as string },
    };

    // Ours: a short warm-up (JIT, plan caches, pools), then the measured run.
    const run = (seconds: number) => load(stack!.gatewayUrl, { seconds, connections: CONNECTIONS, headers, bodies: [body], graphql: true });
    await run(WARMUP_SECONDS);
    const eventsBefore = Number((await pg.query('SELECT count(*) AS n FROM events.events')).rows[0].n);
    const cpu = cpuOfGroups({
      ...Object.fromEntries(stack.procs.map((p) => [p.name, () => [p.child.pid!]])),
      postgres: () => pidsOf('postgres'),
      redis: () => pidsOf('redis-server'),
    });
    // SQL statements each subgraph sent (from its /metrics): the request's own and those of the work each event sets off.
    const statements = async () =>
      Object.fromEntries(await Promise.all(Object.entries(stack!.subgraphUrls).map(async ([name, url]) => [name, (await sqlStatements(new URL('/metrics', url).href))[name] ?? NaN] as const)));
    const statementsBefore = await statements();
    const ours = await run(SECONDS);
    const cpuUsed = cpu();
    const statementsAfter = await statements();
    const eventsAfter = Number((await pg.query('SELECT count(*) AS n FROM events.events')).rows[0].n);
    if (!ours.requests) throw new Error(`no trackEvent was answered in ${SECONDS} s: ${JSON.stringify(ours)}`);
    if (ours.non2xx > 0) throw new Error(`trackEvent answered ${ours.non2xx} of ${ours.requests} requests with an error status`);
    if (ours.graphqlErrors > 0) throw new Error(`trackEvent answered ${ours.graphqlErrors} of ${ours.requests} requests with GraphQL errors`);
    const acknowledged = ours.requests - ours.non2xx;
    // Requests in flight when autocannon stopped may have committed too: at least, never fewer.
    const lossCheck = { acknowledged, eventRowsAdded: eventsAfter - eventsBefore, lost: Math.max(0, acknowledged - (eventsAfter - eventsBefore)) };
    if (lossCheck.lost > 0) throw new Error(`${lossCheck.lost} acknowledged events are not in events.events: ${JSON.stringify(lossCheck)}`);
    process.stderr.write(`  ours: ${ours.requestsPerSecond} events/s, p50 ${ours.p50Ms} ms, p99 ${ours.p99Ms} ms\n`);

    // Plain: the same rows into copies of the same tables, committed by PostgreSQL itself.
    await pg.query('CREATE SCHEMA plain');
    for (const t of TABLES) await pg.query(`CREATE TABLE plain.${t} (LIKE events.${t} INCLUDING ALL)`);
    const plain = await runWorker<WorkerResult>('plain', __filename, ['--worker', 'plain', '--seconds', String(SECONDS), '--connections', String(CONNECTIONS)], spec, WARMUP_SECONDS + SECONDS);
    const plainRows = await rowCounts(pg, 'plain');
    for (const t of TABLES) {
      if (plainRows[t] !== plain.warmupTransactions + plain.transactions) throw new Error(`plain.${t} holds ${plainRows[t]} rows after ${plain.warmupTransactions + plain.transactions} commits`);
    }
    process.stderr.write(`  plain pg: ${plain.transactionsPerSecond} transactions/s, p50 ${plain.p50Ms} ms, p99 ${plain.p99Ms} ms\n`);

    const ratio = (a: number, b: number) => +(a / Math.max(b, 1e-9)).toPrecision(3);
    const result = {
      benchmark: 'event-ingestion',
      seconds: SECONDS,
      connections: CONNECTIONS,
      ours: { eventsPerSecond: ours.requestsPerSecond, p50Ms: ours.p50Ms, p99Ms: ours.p99Ms, events: ours.requests, non2xx: ours.non2xx, graphqlErrors: ours.graphqlErrors, errors: ours.errors, timeouts: ours.timeouts },
      plainPg: { transactionsPerSecond: plain.transactionsPerSecond, p50Ms: plain.p50Ms, p99Ms: plain.p99Ms, transactions: plain.transactions },
      // autocannon reports whole milliseconds: PostgreSQL's p99 counts as at least 1 ms.
      ratio: { eventsPerSecond: ratio(ours.requestsPerSecond, plain.transactionsPerSecond), p99: ratio(ours.p99Ms, Math.max(1, plain.p99Ms)) },
      lossCheck,
      // Where the time goes: CPU per acknowledged event of each process during the run (the
      // relay, consumers and PostgreSQL's own work for each event included).
      sqlStatementsPerEvent: Object.fromEntries(Object.keys(statementsAfter).map((name) => [name, +((statementsAfter[name] - statementsBefore[name]) / acknowledged).toFixed(1)])),
      cpuMsPerEvent: Object.fromEntries(Object.entries(cpuUsed).map(([name, ms]) => [name, ms === null ? null : +(ms / acknowledged).toPrecision(3)])),
      tablesWritten,
      note:
        'ours: HTTP to the gateway (API key, limits, signed principal), GraphQL, the events subgraph finding the trader, attributing the code and ' +
        'assigning the event its per-tenant position under an advisory lock held to commit (one tenant\'s events take turns from there to commit); ' +
        'meanwhile, on the same machine, the relay publishing each fact to Redis and marking it, and the postbacks and commissions consumers committing ' +
        'their own transactions for it. plain: the same three inserts per transaction with positions from a counter, nothing else',
    };
    report('ingest', result);
  } finally {
    await pg?.end().catch(() => undefined);
    await stack?.stop();
    await db.drop();
    await dropRedisKeys(prefix);
  }
}

async function worker(mode: string): Promise<void> {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  if (mode === 'plain') return plainWorker(JSON.parse(input) as WorkerSpec);
  throw new Error(`--worker must be plain; got ${JSON.stringify(mode)}`);
}

(values.worker !== undefined ? worker(values.worker) : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});

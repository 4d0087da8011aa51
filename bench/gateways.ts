import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ALL_SCOPES, PRINCIPAL_HEADER, signingKey, signPrincipal } from '../subgraphs/shared/src';
import { freePorts, gqlBatchClient, Proc, ROOT, run, Stack, startDistributed, stopAll, waitFor } from '../test/helpers/harness';
import { createDatabase, dropRedisKeys, redisUrl, uniquePrefix } from '../test/helpers/servers';
import { load, LoadResult } from './load';
import { cpuMs, peakRssMb, resetPeakRss } from './proc';
import { countArg, report, requirePostgresAndRedis } from './report';

/**
 * Gateway overhead and peers. The product's four subgraphs, each in its own process on
 * PostgreSQL and Redis (the production layout), seeded through the gateway with a
 * realistic programme; then the same three queries, at the same concurrency, through:
 *  - ours (API key, principal signed per subgraph request, limits, metrics),
 *  - the stock @apollo/gateway with default settings on the same supergraph,
 *  - GraphQL Hive Gateway (@graphql-hive/gateway) with default settings on it,
 *  - and, for the single-subgraph query, the subgraph itself.
 * The stock and Hive gateways forward one signed principal header sent by the load
 * generator (a reusable token), which is all the subgraphs need. Every target's answer
 * is checked to equal ours before it is measured.
 */
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    partners: { type: 'string', default: '600' },
  },
});
const SECONDS = countArg('seconds', values.seconds, 3_600);
const CONNECTIONS = countArg('connections', values.connections, 1_000);
const PARTNERS = countArg('partners', values.partners, 5_000);
const BATCH = Math.min(500, PARTNERS);
const PAGE = 100;
/** The batched lookup starts at partner 0, 10, 20, ...: as many different sets of 500 as the seed allows, up to 20. */
const STEP = 10;
const BATCH_VARIANTS = Math.min(20, Math.floor((PARTNERS - BATCH) / STEP) + 1);

type Target = 'ours' | 'stock' | 'hive' | 'direct';
interface Query {
  name: string;
  bodies: string[];
  targets: Target[];
}

async function seed(stack: Stack) {
  const batch = gqlBatchClient(stack.gatewayUrl, stack.apiKey);
  const chunks = <T>(items: T[], n = 20) => Array.from({ length: Math.ceil(items.length / n) }, (_, i) => items.slice(i * n, i * n + n));

  await batch([
    {
      query: `mutation($i: CommissionPlanInput!) { createCommissionPlan(input: $i) { id } }`,
      variables: { i: { name: 'Standard', currency: 'USD', holdDays: 14, isDefault: true, rules: [{ kind: 'CPA', eventType: 'FIRST_DEPOSIT', amount: '100', minAmount: '50' }, { kind: 'REVSHARE', percentage: '20' }] } },
    },
  ]);
  // One in ten partners is an IB with nine sub-partners under it.
  const partners: { id: string; code: string; externalId: string }[] = [];
  const create = async (indexes: number[], parentOf: (i: number) => string | undefined) => {
    for (const part of chunks(indexes)) {
      const made = await batch(
        part.map((i) => ({
          query: `mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id referralCode externalId } }`,
          variables: { i: { name: `Partner ${i}`, email: `partner${i}@bench.test`, externalId: `ext-${i}`, parentId: parentOf(i) } },
        })),
      );
      part.forEach((i, j) => (partners[i] = { id: made[j].createPartner.id, code: made[j].createPartner.referralCode, externalId: `ext-${i}` }));
    }
  };
  const all = Array.from({ length: PARTNERS }, (_, i) => i);
  await create(all.filter((i) => i % 10 === 0), () => undefined);
  await create(all.filter((i) => i % 10 !== 0), (i) => partners[i - (i % 10)].id);

  // Attribution by code reads what the events subgraph learnt over the bus: wait for the last partner.
  const last = partners[PARTNERS - 1];
  await waitFor('the events subgraph to know the partners', async () => {
    const [d] = await batch([{ query: `mutation($i: TrackEventInput!) { trackEvent(input: $i) { partner { id } } }`, variables: { i: { eventType: 'EMAIL_SIGNUP', email: 'probe@bench.test', referralCode: last.code } } }]);
    return d.trackEvent.partner?.id === last.id ? true : undefined;
  }, [], 60_000);

  // Per partner: a KYC referral code; then two registrations and KYC applications with it;
  // then one of the two deposits. Phases, because a batch's operations run side by side.
  const codes: { query: string; variables?: object }[] = [];
  const registrations: { query: string; variables?: object }[] = [];
  const deposits: { query: string; variables?: object }[] = [];
  const track = `mutation($i: TrackEventInput!) { trackEvent(input: $i) { id } }`;
  partners.forEach((p, i) => {
    codes.push({ query: `mutation($i: CreateReferralCodeInput!) { createReferralCode(input: $i) { id } }`, variables: { i: { userId: p.externalId, referralCode: `KYC${i}` } } });
    for (const n of [0, 1]) {
      const email = `customer${i}-${n}@bench.test`;
      registrations.push({ query: track, variables: { i: { eventType: 'REGISTRATION', email, referralCode: p.code } } });
      registrations.push({ query: `mutation($i: StartKycInput!) { startKyc(input: $i) { id } }`, variables: { i: { userId: `customer${i}-${n}`, email, country: 'DE', referralCode: `KYC${i}` } } });
    }
    deposits.push({ query: track, variables: { i: { eventType: 'FIRST_DEPOSIT', email: `customer${i}-0@bench.test`, amount: `${250 + (i % 7) * 50}.00`, currency: 'USD' } } });
  });
  for (const phase of [codes, registrations, deposits]) {
    // Four batches in flight, as a busy integration would send them.
    const parts = chunks(phase);
    await Promise.all(Array.from({ length: 4 }, async () => {
      for (let part = parts.shift(); part; part = parts.shift()) await batch(part);
    }));
  }

  // The batched lookup reads pages of a hundred partners from several starting points:
  // the cursor after every tenth partner, found once.
  const cursors: (string | null)[] = [null];
  while (cursors.length * STEP < PARTNERS) {
    const [d] = await batch([{ query: `query($a: String) { partners(first: ${STEP}, after: $a) { pageInfo { endCursor } } }`, variables: { a: cursors[cursors.length - 1] } }]);
    cursors.push(d.partners.pageInfo.endCursor);
  }
  // Commissions arrive over the bus: wait until the last deposit has earned something.
  await waitFor('commissions for the seeded deposits', async () => {
    const [d] = await batch([{ query: `query($id: ID!) { partner(id: $id) { earnings { pendingIncome } } }`, variables: { id: last.id } }]);
    return Number(d.partner.earnings.pendingIncome) > 0 ? true : undefined;
  }, [], 60_000);
  return { partners, cursors };
}

/**
 * Each query as many bodies, one per request in turn: different partners, codes, or sets of
 * partners, so that no two requests in flight send a subgraph the same fetch. Hive Gateway
 * deduplicates identical in-flight requests, inbound and to subgraphs, by default; ten
 * clients asking different things would not let it.
 */
function queries(partners: { id: string }[], cursors: (string | null)[]): Query[] {
  const batchQuery = (start: number) =>
    `query { ${Array.from({ length: Math.ceil(BATCH / PAGE) }, (_, i) => {
      const c = cursors[start + (i * PAGE) / STEP];
      const size = Math.min(PAGE, BATCH - i * PAGE);
      return `p${i}: partners(first: ${size}${c ? `, after: "${c}"` : ''}) { nodes { id name registrationCount earnings { pendingIncome totalIncome currency } } }`;
    }).join(' ')} }`;
  const single = `query($id: ID!) { partner(id: $id) { id name email externalId referralCode referralUrl createdAt } }`;
  const four = `query($code: String!) { referralCode(code: $code) { referralCode usedCount partner { id name referralCode clickCount registrationCount incomePercentage earnings { totalIncome pendingIncome currency } } } }`;
  return [
    { name: 'single-subgraph lookup', bodies: partners.map((p) => JSON.stringify({ query: single, variables: { id: p.id } })), targets: ['ours', 'stock', 'hive', 'direct'] },
    { name: 'across all four subgraphs', bodies: partners.map((_, i) => JSON.stringify({ query: four, variables: { code: `KYC${i}` } })), targets: ['ours', 'stock', 'hive'] },
    {
      name: `batched lookup of ${BATCH} entities`,
      bodies: Array.from({ length: BATCH_VARIANTS }, (_, k) => JSON.stringify({ query: batchQuery(k) })),
      targets: ['ours', 'stock', 'hive'],
    },
  ];
}

async function main() {
  await requirePostgresAndRedis('gateway');
  const db = await createDatabase('rgw_bench');
  const prefix = uniquePrefix('rgwbench');
  const peers: Proc[] = [];
  let stack: Stack | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rgw-bench-'));
  try {
    stack = await startDistributed({ databaseUrl: db.url, redisUrl, redisKeyPrefix: prefix });
    const seedStarted = Date.now();
    const { partners, cursors } = await seed(stack);
    const seedSeconds = +((Date.now() - seedStarted) / 1000).toFixed(1);

    // The same supergraph the gateway runs, pointed at the running subgraphs.
    let supergraph = fs.readFileSync(path.join(ROOT, 'schema', 'supergraph.graphql'), 'utf8');
    for (const [name, url] of Object.entries(stack.subgraphUrls)) supergraph = supergraph.replace(new RegExp(`(@join__graph\\(name: "${name}", url: ")[^"]+`), `$1${url}`);
    const file = path.join(dir, 'supergraph.graphql');
    fs.writeFileSync(file, supergraph);
    const [stockPort, hivePort] = await freePorts(2);
    peers.push(run('stock @apollo/gateway', 'bench/peers/stock-gateway.js', { NODE_ENV: 'production' }, [file, String(stockPort)]));
    peers.push(run('Hive Gateway', 'bench/peers/hive-gateway.js', { NODE_ENV: 'production' }, [file, String(hivePort)]));

    const token = await signPrincipal({ tenantId: stack.tenantId, scopes: [...ALL_SCOPES] }, signingKey(stack.principalSecret), SECONDS * 20 + 600, { reusable: true });
    const json = { 'content-type': 'application/json' };
    const targets: Record<Target, { url: string; headers: Record<string, string>; pid: number }> = {
      ours: { url: stack.gatewayUrl, headers: { ...json, 'x-api-key': stack.apiKey }, pid: stack.procs[stack.procs.length - 1].child.pid! },
      stock: { url: `http://127.0.0.1:${stockPort}/graphql`, headers: { ...json, [PRINCIPAL_HEADER]: token }, pid: peers[0].child.pid! },
      hive: { url: `http://127.0.0.1:${hivePort}/graphql`, headers: { ...json, [PRINCIPAL_HEADER]: token }, pid: peers[1].child.pid! },
      direct: { url: stack.subgraphUrls.links, headers: { ...json, [PRINCIPAL_HEADER]: token }, pid: stack.procs[0].child.pid! },
    };
    // The four subgraph processes (the gateway is the last of the stack's).
    const subgraphPids = stack.procs.slice(0, -1).map((p) => p.child.pid!);
    const ask = async (t: Target, body: string) => {
      const res = await fetch(targets[t].url, { method: 'POST', headers: targets[t].headers, body });
      return (await res.json()) as { data?: unknown; errors?: unknown[] };
    };
    for (const t of ['stock', 'hive'] as const) await waitFor(`${t} to answer`, async () => ((await ask(t, '{"query":"{ __typename }"}').catch(() => undefined))?.data ? true : undefined), peers);

    const qs = queries(partners, cursors);
    const results: Record<string, Partial<Record<Target, LoadResult & { peakRssMb: number | null; cpuMsPerRequest: number | null; subgraphsCpuMsPerRequest: number | null }>>> = {};
    for (const q of qs) {
      const samples = [q.bodies[0], q.bodies[q.bodies.length - 1]];
      const expected = await Promise.all(samples.map((b) => ask('ours', b)));
      for (const e of expected) if (e.errors || !e.data) throw new Error(`${q.name}: ours answered ${JSON.stringify(e.errors)}`);
      results[q.name] = {};
      for (const t of q.targets) {
        for (const [i, b] of samples.entries()) {
          const got = await ask(t, b);
          if (JSON.stringify(got.data) !== JSON.stringify(expected[i].data)) throw new Error(`${q.name}: ${t} answered differently from ours: ${JSON.stringify(got).slice(0, 500)}`);
        }
        const opts = { connections: CONNECTIONS, headers: targets[t].headers, bodies: q.bodies, graphql: true };
        // A short warm-up (JIT, plan caches, connection pools), then the measured run.
        await load(targets[t].url, { ...opts, seconds: 1 });
        resetPeakRss(targets[t].pid);
        const cpuBefore = cpuMs(targets[t].pid);
        const subgraphsBefore = subgraphPids.map(cpuMs);
        const r = await load(targets[t].url, { ...opts, seconds: SECONDS });
        const cpuAfter = cpuMs(targets[t].pid);
        const subgraphsAfter = subgraphPids.map(cpuMs);
        if (r.non2xx + r.errors + r.timeouts + r.graphqlErrors > 0) throw new Error(`${q.name}: ${t} failed requests: ${JSON.stringify(r)}`);
        const cpuMsPerRequest = cpuBefore === null || cpuAfter === null ? null : +((cpuAfter - cpuBefore) / r.requests).toPrecision(3);
        const subgraphCpu = subgraphsAfter.reduce<number | null>((sum, after, i) => (sum === null || after === null || subgraphsBefore[i] === null ? null : sum + after - subgraphsBefore[i]!), 0);
        const subgraphsCpuMsPerRequest = subgraphCpu === null ? null : +(subgraphCpu / r.requests).toPrecision(3);
        results[q.name][t] = { ...r, peakRssMb: peakRssMb(targets[t].pid), cpuMsPerRequest, subgraphsCpuMsPerRequest };
        process.stderr.write(`  ${q.name}, ${t}: ${r.requestsPerSecond} /s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, ${cpuMsPerRequest} ms CPU/request (subgraphs ${subgraphsCpuMsPerRequest} ms)\n`);
      }
    }
    const ratio = (a: number, b: number) => +(a / Math.max(b, 1e-9)).toPrecision(3);
    const ratios = Object.fromEntries(
      Object.entries(results).map(([name, r]) => [
        name,
        Object.fromEntries(
          (['stock', 'hive', 'direct'] as const)
            .filter((t) => r[t])
            .map((t) => [
              `ours/${t}`,
              {
                requestsPerSecond: ratio(r.ours!.requestsPerSecond, r[t]!.requestsPerSecond),
                p99: ratio(r.ours!.p99Ms, Math.max(1, r[t]!.p99Ms)),
                cpuPerRequest: r.ours!.cpuMsPerRequest && r[t]!.cpuMsPerRequest ? ratio(r.ours!.cpuMsPerRequest, r[t]!.cpuMsPerRequest) : null,
              },
            ]),
        ),
      ]),
    );
    const result = {
      benchmark: 'gateway-overhead',
      seconds: SECONDS,
      connections: CONNECTIONS,
      seeded: { partners: PARTNERS, events: PARTNERS * 3, kycApplications: PARTNERS * 2, referralCodes: PARTNERS, seconds: seedSeconds },
      results,
      ratios,
      note: 'ours authenticates an API key, checks limits, counts metrics and signs a single-use principal for every subgraph request; the stock and Hive gateways forward one reusable token',
    };
    report('gateways', result);
  } finally {
    await stopAll(peers);
    await stack?.stop();
    await db.drop();
    await dropRedisKeys(prefix);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

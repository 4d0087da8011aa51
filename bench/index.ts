import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from '../test/helpers/harness';

/**
 * `npm run bench`: runs each benchmark script in its own process, one after the other
 * (they would disturb each other's figures side by side), prints one table and writes
 * every result to bench/results/latest.json. `--quick` runs every part briefly.
 *
 * The gateway and ingestion parts run the production layout and need PostgreSQL and
 * Redis (TEST_DATABASE_URL / TEST_REDIS_URL); without them they are shown as failed.
 */
const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const QUICK = values.quick;

interface Part {
  name: string;
  script: string;
  args: { full: string[]; quick: string[] };
  rows: (r: any) => [string, string][];
}

const GATEWAY_NAMES: Record<string, string> = { ours: 'ours', stock: 'stock @apollo/gateway', hive: 'Hive Gateway', direct: 'subgraph direct' };

const PARTS: Part[] = [
  {
    name: 'gateway overhead and peers',
    script: 'gateways.js',
    args: { full: ['--seconds', '10', '--connections', '10'], quick: ['--seconds', '2', '--connections', '10'] },
    rows: (r) =>
      Object.entries(r.results as Record<string, Record<string, any>>).flatMap(([query, byTarget]) => [
        ...Object.entries(byTarget).map(
          ([t, m]) =>
            [
              `${query}, ${GATEWAY_NAMES[t]}: requests/s, p50, p99, peak RSS, CPU/request (its process; the subgraphs)`,
              `${m.requestsPerSecond} /s, ${m.p50Ms} ms, ${m.p99Ms} ms, ${m.peakRssMb} MB, ${m.cpuMsPerRequest} ms; ${m.subgraphsCpuMsPerRequest} ms`,
            ] as [string, string],
        ),
        ...Object.entries(r.ratios[query] as Record<string, any>).map(
          ([pair, x]) => [`${query}, ratio ${pair}: requests/s, p99, CPU/request`, `${x.requestsPerSecond}, ${x.p99}, ${x.cpuPerRequest}`] as [string, string],
        ),
      ]),
  },
  {
    name: 'event ingestion',
    script: 'ingest.js',
    args: { full: ['--seconds', '10', '--connections', '10'], quick: ['--seconds', '2', '--connections', '10'] },
    rows: (r) => [
      ['ours (trackEvent via the gateway, PostgreSQL + Redis): events/s, p50, p99', `${r.ours.eventsPerSecond} /s, ${r.ours.p50Ms} ms, ${r.ours.p99Ms} ms`],
      ['plain pg, the same rows: commits/s, p50, p99', `${r.plainPg.transactionsPerSecond} /s, ${r.plainPg.p50Ms} ms, ${r.plainPg.p99Ms} ms`],
      ['ratio ours/plain: events/s, p99', `${r.ratio.eventsPerSecond}, ${r.ratio.p99}`],
      ['acknowledged events lost', `${r.lossCheck.lost} of ${r.lossCheck.acknowledged}`],
      ['SQL statements per event, by subgraph', Object.entries(r.sqlStatementsPerEvent as Record<string, number>).map(([p, n]) => `${p} ${n}`).join(', ')],
      ['CPU per event, by process', Object.entries(r.cpuMsPerEvent as Record<string, number | null>).map(([p, ms]) => `${p} ${ms} ms`).join(', ')],
    ],
  },
  {
    name: 'click redirect',
    script: 'redirect.js',
    args: { full: ['--seconds', '10', '--connections', '10'], quick: ['--seconds', '3', '--connections', '10'] },
    rows: (r) => [
      ['ours: requests/s, p50, p99', `${r.ours.requestsPerSecond} /s, ${r.ours.p50Ms} ms, ${r.ours.p99Ms} ms`],
      ['minimal Node 302: requests/s, p50, p99', `${r.minimalNode.requestsPerSecond} /s, ${r.minimalNode.p50Ms} ms, ${r.minimalNode.p99Ms} ms`],
      ['ratio ours/minimal: requests/s, p99', `${r.ratio.requestsPerSecond}, ${r.ratio.p99}`],
    ],
  },
  {
    name: 'live delivery',
    script: 'live-latency.js',
    args: { full: ['--subscribers', '1000', '--events', '100'], quick: ['--subscribers', '100', '--events', '10'] },
    rows: (r) => [
      [`${r.subscribers} subscribers: latency p50, p99, max`, `${r.latencyMs.p50} ms, ${r.latencyMs.p99} ms, ${r.latencyMs.max} ms`],
      ['gateway memory per subscriber', `${r.memoryPerSubscriberKb} KB`],
    ],
  },
  {
    name: 'postbacks',
    script: 'postbacks.js',
    args: { full: ['--events', '500', '--concurrency', '10'], quick: ['--events', '50', '--concurrency', '10'] },
    rows: (r) => [
      [`${r.delivered}/${r.events} delivered: deliveries/s`, `${r.deliveriesPerSecond} /s`],
      ['event to delivery p50, p99', `${r.eventToDeliveryMs.p50} ms, ${r.eventToDeliveryMs.p99} ms`],
    ],
  },
  {
    name: 'batched lookups',
    script: 'lookups.js',
    // The count is the figure, and it is meant for 500 references: quick runs it as well.
    args: { full: ['--references', '500'], quick: ['--references', '500'] },
    rows: (r) => [
      ...Object.entries(r.sqlStatements as Record<string, Record<string, number>>).map(
        ([subgraph, bySize]) => [`${subgraph}: SQL statements for ${Object.keys(bySize).join(' / ')} references`, Object.values(bySize).join(' / ')] as [string, string],
      ),
      ['constant in the number of references', String(r.constantInReferences)],
    ],
  },
];

function runPart(part: Part): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, part.script), ...(QUICK ? part.args.quick : part.args.full)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 15 * 60_000);
    child.on('exit', (code) => {
      clearTimeout(guard);
      const line = out.trim().split('\n').find((l) => l.startsWith('{"benchmark"'));
      if (code !== 0 || !line) return reject(new Error(`${part.script} exited ${code} without a result`));
      resolve(JSON.parse(line));
    });
  });
}

async function main() {
  const parts = values.only ? PARTS.filter((p) => p.name.includes(values.only!)) : PARTS;
  const results: Record<string, unknown> = {};
  const table: [string, string, string][] = [];
  let failed = false;
  for (const part of parts) {
    process.stderr.write(`bench: ${part.name}...\n`);
    try {
      const r = await runPart(part);
      results[part.name] = r;
      for (const [metric, value] of part.rows(r)) table.push([part.name, metric, value]);
    } catch (err) {
      failed = true;
      results[part.name] = { error: (err as Error).message };
      table.push([part.name, 'failed', (err as Error).message]);
    }
  }
  const widths = [0, 1, 2].map((i) => Math.max(...table.map((r) => r[i].length), ['part', 'metric', 'value'][i].length));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join(' | ');
  console.log(line(['part', 'metric', 'value']));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const r of table) console.log(line(r));
  const out = path.join(ROOT, 'bench', 'results', 'latest.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), quick: QUICK, results }, null, 2) + '\n');
  console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
  if (failed) process.exit(1);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

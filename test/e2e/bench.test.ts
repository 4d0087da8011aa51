import fs from 'node:fs';
import path from 'node:path';
import { ROOT, run } from '../helpers/harness';
import { describeWithPostgresAndRedis } from '../helpers/services';

/** Runs a compiled benchmark script to its end (killed after 90 s); its exit code and output. */
async function runScript(name: string, args: string[], killAfterMs = 90_000) {
  const proc = run(name, `bench/${name}.js`, { ...(process.env.TEST_DATABASE_URL ? { TEST_DATABASE_URL: process.env.TEST_DATABASE_URL } : {}), ...(process.env.TEST_REDIS_URL ? { TEST_REDIS_URL: process.env.TEST_REDIS_URL } : {}) }, args);
  const timer = setTimeout(() => proc.child.kill('SIGKILL'), killAfterMs);
  const { code } = await proc.exited;
  clearTimeout(timer);
  return { code, output: proc.output() };
}

/** The JSON line a benchmark script prints, after checking that it exited 0. */
async function benchResult(name: string, args: string[], killAfterMs?: number) {
  const { code, output } = await runScript(name, args, killAfterMs);
  if (code !== 0) throw new Error(`${name} exited ${code}:\n${output}`);
  const line = output.trim().split('\n').find((l) => l.startsWith('{"benchmark"'));
  expect(line).toBeDefined();
  return JSON.parse(line!);
}

/** Keeps the benchmark scripts working with a tiny run; no time is asserted. */
describe('benchmark scripts', () => {
  it('live-latency runs end to end and reports latency percentiles and memory per subscriber', async () => {
    const result = await benchResult('live-latency', ['--subscribers', '3', '--events', '2', '--per-connection', '2']);
    expect(result).toMatchObject({ benchmark: 'live-delivery', subscribers: 3, connections: 2, events: 2, messages: 6 });
    expect(typeof result.latencyMs.p50).toBe('number');
    expect(typeof result.memoryPerSubscriberKb).toBe('number');
  }, 100_000);

  it('postbacks runs end to end and reports deliveries per second and latency', async () => {
    const result = await benchResult('postbacks', ['--events', '5', '--concurrency', '2']);
    expect(result).toMatchObject({ benchmark: 'postbacks', events: 5, delivered: 5 });
    expect(result.deliveriesPerSecond).toBeGreaterThan(0);
  }, 100_000);

  it('redirect runs end to end and reports the click redirect beside a minimal Node server as a ratio', async () => {
    const result = await benchResult('redirect', ['--seconds', '1', '--connections', '2']);
    expect(result).toMatchObject({ benchmark: 'click-redirect', seconds: 1, connections: 2 });
    expect(result.ours.requests).toBeGreaterThan(0);
    expect(result.ours.non2xx).toBe(result.ours.requests); // every answer is a 302
    expect(result.minimalNode.requests).toBeGreaterThan(0);
    expect(result.ratio.requestsPerSecond).toBeGreaterThan(0);
  }, 100_000);

  it('npm run bench prints one table of every part and writes bench/results/latest.json', async () => {
    const started = Date.now();
    const { code, output } = await runScript('index', ['--quick', '--only', 'redirect']);
    expect(code).toBe(0);
    expect(output).toMatch(/^part\s+\| metric\s+\| value/m);
    expect(output).toMatch(/click redirect\s+\| ratio ours\/minimal/);
    expect(output).not.toMatch(/not measured|failed/);
    const latest = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench', 'results', 'latest.json'), 'utf8'));
    expect(Date.parse(latest.at)).toBeGreaterThanOrEqual(started - 1000);
    expect(latest.quick).toBe(true);
    expect(latest.results['click redirect']).toMatchObject({ benchmark: 'click-redirect', seconds: 3 });
  }, 100_000);

  it('lookups counts the SQL statements of each subgraph for entity references over HTTP', async () => {
    const result = await benchResult('lookups', ['--references', '60']);
    expect(result).toMatchObject({ benchmark: 'batched-lookups', references: 60, constantInReferences: true });
    expect(Object.keys(result.sqlStatements).sort()).toEqual(['commissions', 'events', 'kyc', 'links']);
    for (const bySize of Object.values(result.sqlStatements) as Record<string, number>[]) {
      expect(Object.keys(bySize)).toHaveLength(3);
      for (const n of Object.values(bySize)) expect(n).toBeGreaterThan(0); // counted, not absent
    }
  }, 100_000);

  it('a bad count on the command line stops a script with a message saying what is allowed', async () => {
    const { code, output } = await runScript('redirect', ['--seconds', '0']);
    expect(code).toBe(2);
    expect(output).toContain('--seconds must be a whole number from 1 to 3600; got "0"');
  });
});

/** The parts that run the production layout: PostgreSQL and Redis. */
describeWithPostgresAndRedis('benchmark scripts on PostgreSQL and Redis', () => {
  it('gateways measures ours, the stock gateway, Hive Gateway and the direct subgraph on the same answers', async () => {
    const result = await benchResult('gateways', ['--seconds', '1', '--connections', '2', '--partners', '120'], 170_000);
    expect(result).toMatchObject({ benchmark: 'gateway-overhead', seconds: 1, connections: 2, seeded: { partners: 120 } });
    expect(Object.keys(result.results)).toEqual(['single-subgraph lookup', 'across all four subgraphs', 'batched lookup of 120 entities']);
    expect(Object.keys(result.results['single-subgraph lookup'])).toEqual(['ours', 'stock', 'hive', 'direct']);
    for (const byTarget of Object.values(result.results) as Record<string, any>[]) {
      for (const m of Object.values(byTarget)) {
        expect(m.requests).toBeGreaterThan(0);
        expect(m.non2xx).toBe(0);
        expect(m.peakRssMb).toBeGreaterThan(0);
      }
    }
    expect(Object.keys(result.ratios['single-subgraph lookup'])).toEqual(['ours/stock', 'ours/hive', 'ours/direct']);
    expect(result.ratios['across all four subgraphs']['ours/hive'].requestsPerSecond).toBeGreaterThan(0);
  }, 180_000);

  it('ingest measures trackEvent through the gateway beside plain pg commits of the same rows, and loses nothing', async () => {
    const result = await benchResult('ingest', ['--seconds', '1', '--connections', '2'], 110_000);
    expect(result).toMatchObject({ benchmark: 'event-ingestion', seconds: 1, connections: 2, tablesWritten: ['events', 'outbox', 'traders'] });
    expect(result.ours.events).toBeGreaterThan(0);
    expect(result.ours.non2xx).toBe(0);
    expect(result.plainPg.transactions).toBeGreaterThan(0);
    expect(result.lossCheck.lost).toBe(0);
    expect(result.lossCheck.eventRowsAdded).toBeGreaterThanOrEqual(result.lossCheck.acknowledged);
    expect(result.ratio.eventsPerSecond).toBeGreaterThan(0);
    // trackEvent's own statements at least, counted by the events subgraph itself.
    expect(result.sqlStatementsPerEvent.events).toBeGreaterThanOrEqual(10);
    expect(Object.keys(result.cpuMsPerEvent).sort()).toEqual(['commissions', 'events', 'gateway', 'kyc', 'links', 'postgres', 'redis']);
    expect(result.cpuMsPerEvent.events).toBeGreaterThan(0);
  }, 120_000);
});

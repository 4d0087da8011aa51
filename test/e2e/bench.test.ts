import fs from 'node:fs';
import path from 'node:path';
import { ROOT, run } from '../helpers/harness';

/** Keeps the benchmark scripts working with a tiny run; no time is asserted. */
describe('benchmark scripts', () => {
  it('live-latency runs end to end and reports latency percentiles and memory per subscriber', async () => {
    const proc = run('live-latency', 'bench/live-latency.js', {}, ['--subscribers', '3', '--events', '2', '--per-connection', '2']);
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 90_000);
    const { code } = await proc.exited;
    clearTimeout(timer);
    expect(code).toBe(0);
    const line = proc.output().trim().split('\n').find((l) => l.startsWith('{"benchmark"'));
    expect(line).toBeDefined();
    const result = JSON.parse(line!);
    expect(result).toMatchObject({ benchmark: 'live-delivery', subscribers: 3, connections: 2, events: 2, messages: 6 });
    expect(typeof result.latencyMs.p50).toBe('number');
    expect(typeof result.memoryPerSubscriberKb).toBe('number');
  }, 100_000);

  it('postbacks runs end to end and reports deliveries per second and latency', async () => {
    const proc = run('postbacks', 'bench/postbacks.js', {}, ['--events', '5', '--concurrency', '2']);
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 90_000);
    const { code } = await proc.exited;
    clearTimeout(timer);
    expect(code).toBe(0);
    const line = proc.output().trim().split('\n').find((l) => l.startsWith('{"benchmark"'));
    const result = JSON.parse(line!);
    expect(result).toMatchObject({ benchmark: 'postbacks', events: 5, delivered: 5 });
    expect(result.deliveriesPerSecond).toBeGreaterThan(0);
  }, 100_000);

  it('redirect runs end to end and reports the click redirect beside a minimal Node server as a ratio', async () => {
    const proc = run('redirect', 'bench/redirect.js', {}, ['--seconds', '1', '--connections', '2']);
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 90_000);
    const { code } = await proc.exited;
    clearTimeout(timer);
    expect(code).toBe(0);
    const line = proc.output().trim().split('\n').find((l) => l.startsWith('{"benchmark"'));
    const result = JSON.parse(line!);
    expect(result).toMatchObject({ benchmark: 'click-redirect', seconds: 1, connections: 2 });
    expect(result.ours.requests).toBeGreaterThan(0);
    expect(result.ours.non2xx).toBe(result.ours.requests); // every answer is a 302
    expect(result.minimalNode.requests).toBeGreaterThan(0);
    expect(result.ratio.requestsPerSecond).toBeGreaterThan(0);
  }, 100_000);

  it('npm run bench prints one table of every part and writes bench/results/latest.json', async () => {
    const started = Date.now();
    const proc = run('bench', 'bench/index.js', {}, ['--quick', '--only', 'redirect']);
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 90_000);
    const { code } = await proc.exited;
    clearTimeout(timer);
    expect(code).toBe(0);
    expect(proc.output()).toMatch(/^part\s+\| metric\s+\| value/m);
    expect(proc.output()).toMatch(/click redirect\s+\| ratio ours\/minimal/);
    expect(proc.output()).toMatch(/event ingestion on PostgreSQL.*\| not measured/);
    const latest = JSON.parse(fs.readFileSync(path.join(ROOT, 'bench', 'results', 'latest.json'), 'utf8'));
    expect(Date.parse(latest.at)).toBeGreaterThanOrEqual(started - 1000);
    expect(latest.quick).toBe(true);
    expect(latest.results['click redirect']).toMatchObject({ benchmark: 'click-redirect', seconds: 3 });
  }, 100_000);

  it('lookups counts the SQL statements of each subgraph for entity references over HTTP', async () => {
    const proc = run('lookups', 'bench/lookups.js', {}, ['--references', '60']);
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 90_000);
    const { code } = await proc.exited;
    clearTimeout(timer);
    expect(code).toBe(0);
    const line = proc.output().trim().split('\n').find((l) => l.startsWith('{"benchmark"'));
    const result = JSON.parse(line!);
    expect(result).toMatchObject({ benchmark: 'batched-lookups', references: 60, constantInReferences: true });
    expect(Object.keys(result.sqlStatements).sort()).toEqual(['commissions', 'events', 'kyc', 'links']);
    for (const bySize of Object.values(result.sqlStatements) as Record<string, number>[]) {
      expect(Object.keys(bySize)).toHaveLength(3);
      for (const n of Object.values(bySize)) expect(n).toBeGreaterThan(0); // counted, not absent
    }
  }, 100_000);
});

import { run } from '../helpers/harness';

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
});

import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { startEmbedded, waitFor } from '../test/helpers/harness';
import { collect, wsClient } from '../test/helpers/ws';
import { countArg, report } from './report';

/**
 * Live delivery: N concurrent subscribers on the gateway, each selecting fields of two
 * subgraphs; latency from trackEvent acknowledged to the message received, p50/p99, and
 * the gateway process's memory per subscriber. Embedded stack (one process), loopback.
 */
const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '1000' },
    events: { type: 'string', default: '100' },
    'per-connection': { type: 'string', default: '20' },
  },
});
const SUBSCRIBERS = countArg('subscribers', values.subscribers, 100_000);
const EVENTS = countArg('events', values.events, 100_000);
const PER_CONNECTION = countArg('per-connection', values['per-connection'], 1_000);

function rssKb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main() {
  const stack = await startEmbedded({ WS_MAX_CONNECTIONS_PER_TENANT: '100000', SUBSCRIBER_BUFFER: '10000' });
  const pid = stack.procs[0].child.pid!;
  try {
    const p = await stack.gql(`mutation { createPartner(input: { name: "Bench IB", referralCode: "bench_ib" }) { id } }`);
    const partnerId = p.body.data.createPartner.id as string;
    await new Promise((r) => setTimeout(r, 200)); // let the code reach events' read model once
    const rssBefore = rssKb(pid);
    const received = new Map<string, number[]>();
    const clients = [];
    const subs = [];
    for (let i = 0; i < SUBSCRIBERS; i += PER_CONNECTION) {
      const c = wsClient(stack.gatewayUrl, { apiKey: stack.apiKey });
      clients.push(c);
      for (let j = i; j < Math.min(SUBSCRIBERS, i + PER_CONNECTION); j++) {
        const sub = collect(c.client, `subscription($f: ConversionStreamFilter) { conversionRecorded(filter: $f) { id partner { name } } }`, { f: { partnerId } });
        const push = sub.messages.push.bind(sub.messages);
        sub.messages.push = (...items) => {
          const now = performance.now();
          for (const m of items) {
            const id = m.data?.conversionRecorded?.id;
            if (id) (received.get(id) ?? received.set(id, []).get(id)!).push(now);
          }
          return push(...items);
        };
        subs.push(sub);
      }
    }
    const track = async () => {
      const res = await stack.gql(`mutation { trackEvent(input: { eventType: FIRST_DEPOSIT, referralCode: "bench_ib", email: "b${Math.random()}@x.io", amount: "10.00", currency: "USD" }) { id } }`);
      return { id: res.body.data.trackEvent.id as string, ack: performance.now() };
    };
    // Warm-up: every subscriber must be live before measuring.
    const warmup: string[] = [];
    let lastSent = 0;
    await waitFor('every subscriber to be live', async () => {
      if (warmup.some((id) => (received.get(id)?.length ?? 0) >= SUBSCRIBERS)) return true;
      if (performance.now() - lastSent > 500) {
        warmup.push((await track()).id);
        lastSent = performance.now();
      }
      return undefined;
    }, [], 120_000);
    // Let warm-up messages still in flight settle before measuring.
    await new Promise((r) => setTimeout(r, 1000));
    const rssAfter = rssKb(pid);
    const latencies: number[] = [];
    const acks: { id: string; ack: number }[] = [];
    for (let i = 0; i < EVENTS; i++) acks.push(await track());
    await waitFor('every message', async () => (acks.every((a) => (received.get(a.id)?.length ?? 0) >= SUBSCRIBERS) ? true : undefined), [], 120_000);
    for (const a of acks) for (const t of received.get(a.id)!) latencies.push(t - a.ack);
    latencies.sort((x, y) => x - y);
    const result = {
      benchmark: 'live-delivery',
      subscribers: SUBSCRIBERS,
      connections: clients.length,
      events: EVENTS,
      messages: latencies.length,
      latencyMs: { p50: +percentile(latencies, 50).toFixed(2), p99: +percentile(latencies, 99).toFixed(2), max: +latencies[latencies.length - 1].toFixed(2) },
      memoryPerSubscriberKb: +((rssAfter - rssBefore) / SUBSCRIBERS).toFixed(1),
      note: 'latency = message received at the subscriber minus trackEvent acknowledged; negative means the message beat the HTTP response',
    };
    for (const s of subs) s.unsubscribe();
    await Promise.all(clients.map((c) => c.client.dispose()));
    report('live-latency', result);
  } finally {
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

import { parseArgs } from 'node:util';
import { startEmbedded, waitFor } from '../test/helpers/harness';
import { startReceiver } from '../test/helpers/receiver';
import { countArg, report } from './report';

/**
 * Postback delivery: N events tracked through the gateway (C at a time) to one endpoint
 * on a fast local receiver; deliveries per second, and time from trackEvent acknowledged
 * to the receiver getting the postback (p50/p99). Embedded stack, loopback.
 */
const { values } = parseArgs({ options: { events: { type: 'string', default: '500' }, concurrency: { type: 'string', default: '10' } } });
const EVENTS = countArg('events', values.events, 100_000);
const CONCURRENCY = countArg('concurrency', values.concurrency, 1_000);

const pct = (s: number[], p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];

async function main() {
  const receiver = await startReceiver();
  const stack = await startEmbedded({ POSTBACK_CONCURRENCY: '50' });
  try {
    const ep = await stack.gql(`mutation($u: String!) { createPostbackEndpoint(input: { url: $u, eventTypes: ["*"] }) { endpoint { id } } }`, { u: receiver.url('/bench') });
    if (ep.body.errors) throw new Error(JSON.stringify(ep.body.errors));
    const acks = new Map<string, number>();
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < EVENTS) {
        next++;
        const r = await stack.gql(`mutation { trackEvent(input: { eventType: FIRST_DEPOSIT, email: "pb${Math.random()}@x.io", amount: "10.00", currency: "USD" }) { id } }`);
        acks.set(r.body.data.trackEvent.id, performance.now());
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    await waitFor('every postback', async () => (receiver.at('/bench').length >= EVENTS ? true : undefined), [], 300_000);
    const wallStart = started;
    const arrivals = receiver.at('/bench').map((r) => ({ id: JSON.parse(r.body).data.id as string, at: r.at }));
    // The receiver stamps Date.now(); convert acks (performance.now) to the same clock.
    const offset = Date.now() - performance.now();
    const latencies = arrivals.map((a) => a.at - (acks.get(a.id)! + offset)).sort((x, y) => x - y);
    const seconds = (Math.max(...arrivals.map((a) => a.at)) - (wallStart + offset)) / 1000;
    const result = {
      benchmark: 'postbacks',
      events: EVENTS,
      delivered: arrivals.length,
      deliveriesPerSecond: +(arrivals.length / seconds).toFixed(1),
      eventToDeliveryMs: { p50: +pct(latencies, 50).toFixed(1), p99: +pct(latencies, 99).toFixed(1) },
    };
    report('postbacks', result);
  } finally {
    await stack.stop();
    await receiver.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

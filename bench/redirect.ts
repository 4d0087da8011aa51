import http from 'node:http';
import { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { startEmbedded } from '../test/helpers/harness';
import { load } from './load';
import { countArg, report } from './report';

/**
 * The click redirect: GET /r/<slug> through the gateway (which records a click and
 * answers 302) against a minimal Node HTTP server answering the same 302, as a ratio.
 */
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' } } });
const SECONDS = countArg('seconds', values.seconds, 3_600);
const CONNECTIONS = countArg('connections', values.connections, 1_000);
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36';

async function main() {
  const stack = await startEmbedded();
  const baseline = http.createServer((_req, res) => res.writeHead(302, { location: 'https://www.example.com/?ref=demo&click_id=x' }).end());
  await new Promise<void>((r) => baseline.listen(0, '127.0.0.1', () => r()));
  try {
    const p = await stack.gql(`mutation { createPartner(input: { name: "Bench" }) { id } }`);
    const link = await stack.gql(`mutation($p: ID) { createReferralLink(input: { partnerId: $p, path: "/b" }) { trackingUrl } }`, { p: p.body.data.createPartner.id });
    const trackingUrl = link.body.data.createReferralLink.trackingUrl.replace('localhost', '127.0.0.1');
    const ours = await load(trackingUrl, { seconds: SECONDS, connections: CONNECTIONS, headers: { 'user-agent': UA } });
    const minimal = await load(`http://127.0.0.1:${(baseline.address() as AddressInfo).port}/r/x`, { seconds: SECONDS, connections: CONNECTIONS, headers: { 'user-agent': UA } });
    const result = {
      benchmark: 'click-redirect',
      seconds: SECONDS,
      connections: CONNECTIONS,
      ours,
      minimalNode: minimal,
      ratio: { requestsPerSecond: +(ours.requestsPerSecond / minimal.requestsPerSecond).toPrecision(3), p99: +(ours.p99Ms / Math.max(1, minimal.p99Ms)).toPrecision(3) },
      note: 'ours records every click (SQLite write, outbox fact) before answering; the baseline only answers 302',
    };
    report('redirect', result);
  } finally {
    baseline.close();
    await stack.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

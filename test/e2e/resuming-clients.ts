import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { ROOT, Stack, waitFor } from '../helpers/harness';

const uid = () => randomBytes(4).toString('hex');
export const CHROMIUM = '/usr/bin/chromium';
const EXAMPLES = path.join(ROOT, 'examples');

const TRACK = 'mutation($i: TrackEventInput!) { trackEvent(input: $i) { id cursor } }';

/** A registration stored through the gateway; its id and cursor. */
async function track(stack: Stack): Promise<{ id: string; cursor: string }> {
  const res = await stack.gql(TRACK, { i: { eventType: 'REGISTRATION', email: `resume-${uid()}@example.com` } });
  expect(res.body.errors).toBeUndefined();
  return res.body.data.trackEvent;
}

/**
 * What a resuming client must show: marker first (its cursor is the client's starting
 * `after`), then batches of events with the gateway restarted mid-stream; `received()` is
 * the ids the client has shown so far. Every event is shown exactly once, in commit order.
 */
async function restartMidStream(stack: Stack, start: (after: string) => Promise<{ received: () => Promise<string[]>; describe: () => string }>): Promise<void> {
  const marker = await track(stack);
  const client = await start(marker.cursor);
  const produced: string[] = [];
  const ours = async () => {
    const mine = new Set(produced);
    return (await client.received()).filter((id) => mine.has(id));
  };
  const allArrived = (what: string) =>
    waitFor(what, async () => ((await ours()).length >= produced.length ? true : undefined), [], 60_000).catch((err) => {
      throw new Error(`${(err as Error).message}\nclient output:\n${client.describe()}`);
    });
  for (let i = 0; i < 5; i++) produced.push((await track(stack)).id);
  await allArrived('the first events');
  // Mid-stream: more events committed, some not yet delivered when the gateway goes away.
  for (let i = 0; i < 5; i++) produced.push((await track(stack)).id);
  await stack.restartGateway();
  // Committed after the restart, before the client is back: it must get them by resuming.
  for (let i = 0; i < 5; i++) produced.push((await track(stack)).id);
  await allArrived('every event after the restart');
  // A last event: a duplicate replayed by the resubscription would have come before it.
  produced.push((await track(stack)).id);
  await allArrived('the last event');
  expect(await ours()).toEqual(produced);
}

/**
 * Issue 17, item 4: the README's Node and browser clients resume from the last cursor they
 * received. They are the files in examples/ (the README shows them whole:
 * test/unit/readme-examples.test.ts); here they run against the stack while its gateway
 * restarts.
 */
export function defineResumingClientTests(stack: () => Stack): void {
  describe("the README's live clients resume from the last cursor after a gateway restart (issue 17, item 4)", () => {
    it('the Node client (examples/live-conversions-node.js) shows every event exactly once, in order, across a gateway restart', async () => {
      let out = '';
      let err = '';
      const procs: ChildProcess[] = [];
      try {
        await restartMidStream(stack(), async (after) => {
          const proc = spawn(process.execPath, [path.join(EXAMPLES, 'live-conversions-node.js')], {
            cwd: ROOT,
            stdio: ['ignore', 'pipe', 'pipe'],
            env: { PATH: process.env.PATH ?? '', GATEWAY_WS_URL: stack().gatewayUrl.replace(/^http/, 'ws'), API_KEY: stack().apiKey, LAST_CURSOR: after },
          });
          procs.push(proc);
          proc.stdout.on('data', (d) => (out += d));
          proc.stderr.on('data', (d) => (err += d));
          // Each line starts with the event's id.
          return { received: async () => out.split('\n').filter(Boolean).map((line) => line.split(' ')[0]), describe: () => `stdout:\n${out}\nstderr:\n${err}` };
        });
      } finally {
        for (const p of procs) p.kill();
      }
    }, 180_000);

    const browserIt = fs.existsSync(CHROMIUM) || process.env.CI ? it : it.skip;
    // eslint-disable-next-line no-console
    if (browserIt === it.skip) console.warn(`SKIPPED: the browser client test needs Debian's Chromium at ${CHROMIUM} (apt-get install -y chromium); with CI=true it fails instead`);
    browserIt('the browser client (examples/live-conversions-browser.js) in Chromium shows every event exactly once, in order, across a gateway restart', async () => {
      if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
      const { chromium } = await import('playwright-core');
      const server = await servePage();
      const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
      const logs: string[] = [];
      try {
        const page = await browser.newPage();
        page.on('console', (m) => logs.push(m.text()));
        page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
        await restartMidStream(stack(), async (after) => {
          await page.goto(server.url);
          // A string, not a function: ts-jest would turn the import() into require().
          const options = JSON.stringify({ url: stack().gatewayUrl.replace(/^http/, 'ws'), apiKey: stack().apiKey });
          await page.evaluate(`(async () => {
            localStorage.setItem('lastCursor', ${JSON.stringify(after)});
            const { followConversions } = await import('/examples/live-conversions-browser.js');
            window.received = [];
            followConversions({ ...${options}, render: (event) => window.received.push(event.id) });
          })()`);
          return { received: () => page.evaluate('window.received') as Promise<string[]>, describe: () => logs.join('\n') };
        });
      } finally {
        await browser.close();
        await server.close();
      }
    }, 180_000);
  });
}

/**
 * A page that maps the bare import 'graphql-ws' to the package's browser build (what a
 * bundler does) and serves examples/ as they are.
 */
async function servePage(): Promise<{ url: string; close: () => Promise<void> }> {
  const files: Record<string, string> = {
    '/examples/live-conversions-browser.js': path.join(EXAMPLES, 'live-conversions-browser.js'),
  };
  const dist = path.join(ROOT, 'node_modules', 'graphql-ws', 'dist');
  for (const f of fs.readdirSync(dist)) if (f.endsWith('.js')) files[`/graphql-ws/${f}`] = path.join(dist, f);
  const page = `<!doctype html><html><head><script type="importmap">{"imports":{"graphql-ws":"/graphql-ws/client.js"}}</script></head><body></body></html>`;
  const server = http.createServer((req, res) => {
    const file = files[req.url ?? ''];
    if (req.url === '/') res.writeHead(200, { 'content-type': 'text/html' }).end(page);
    else if (file) res.writeHead(200, { 'content-type': 'text/javascript' }).end(fs.readFileSync(file));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((r) => server.close(() => r())) };
}

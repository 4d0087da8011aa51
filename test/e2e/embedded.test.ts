import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { run, Stack, startEmbedded, waitFor } from '../helpers/harness';
import { startReceiver } from '../helpers/receiver';
import { defineGatewayHttpTests } from './gateway-http';
import { defineSliceTests } from './slice';
import { defineLinksTests } from './links';
import { defineEventsTests } from './events';
import { defineKycTests } from './kyc';
import { defineCommissionsTests } from './commissions';
import { defineCommissionsCoreTests } from './commissions-core';
import { defineCurrencyTests } from './currency';
import { defineFxCpaTests } from './fx-cpa';
import { defineMoneyHotfixTests } from './money-hotfixes';
import { defineExactlyOnceTests } from './exactly-once';
import { defineExactlyOnceAllFactsTests } from './exactly-once-all-facts';
import { defineCpaCorrectionTests } from './cpa-corrections';
import { defineCodeNamespaceTests } from './code-namespace';
import { defineForexFirstsTests } from './forex-firsts';
import { defineRuleConditionsTests } from './rule-conditions';
import { defineProductTests } from './products';
import { defineAttributionTimingTests } from './attribution-timing';
import { defineSubscriptionTests } from './subscriptions';
import { defineSubgraphWebSocketTests } from './subgraph-websocket';
import { definePostbackTests } from './postbacks';
import { defineCommissionChangeTests } from './commission-changes';
import { defineReadOnlyTests } from './read-only';
import { defineCorrectionPostbackTests } from './correction-postbacks';
import { defineInputValueTests } from './input-values';
import { defineBadInputTests } from './bad-input';
import { defineValidationTests } from './validation';
import { defineAuthThrottlingTests } from './auth-throttling';
import { defineClientMistakeTests } from './client-mistakes';
import { defineClientEdgeTests } from './client-edges';
import { defineResumingClientTests } from './resuming-clients';

describe('npm start (embedded SQLite, in-process bus): the foundation slice through the gateway', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startEmbedded();
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  defineSliceTests(() => stack);
  // npm start allows browser apps on http://localhost:* (CORS_ORIGINS unset).
  defineGatewayHttpTests(() => stack, { allowedBrowserOrigin: 'http://localhost:5173' });
  defineLinksTests(() => stack);
  defineEventsTests(() => stack);
  defineKycTests(() => stack);
  defineCommissionsTests(() => stack);
  defineSubscriptionTests(() => stack);
  defineSubgraphWebSocketTests(() => stack);
  definePostbackTests(() => stack);
  defineCommissionChangeTests(() => stack);
  defineMoneyHotfixTests(() => stack);
  defineExactlyOnceTests(() => stack);
  defineCodeNamespaceTests(() => stack);
  defineForexFirstsTests(() => stack);
  defineRuleConditionsTests(() => stack);
  defineProductTests(() => stack);
  defineAttributionTimingTests(() => stack, { embedded: true });
  defineReadOnlyTests(() => stack);
  defineCommissionsCoreTests(() => stack);
  defineCurrencyTests(() => stack);
  defineCorrectionPostbackTests(() => stack);
  defineInputValueTests(() => stack);
  defineValidationTests(() => stack);
  defineBadInputTests(() => stack);
  defineClientMistakeTests(() => stack);
  defineClientEdgeTests(() => stack);
  defineCpaCorrectionTests(() => stack);
  defineAuthThrottlingTests(() => stack);
  // After the parts with EUR payments: it sets a EUR->USD rate dated hours back, which would convert other parts' EUR payments.
  defineFxCpaTests(() => stack);
  // Restarts the gateway (npm start: the whole process) while live clients follow the stream.
  defineResumingClientTests(() => stack);
  // Last: it publishes every fact the stack has stored again.
  defineExactlyOnceAllFactsTests(() => stack);
});

describe('npm start: lifecycle', () => {
  it('SIGTERM drains and exits 0, and a restart keeps the data', async () => {
    const first = await startEmbedded();
    const created = await first.gql(`mutation { createPartner(input: { name: "Survivor", referralCode: "survivor" }) { id } }`);
    const id = created.body.data.createPartner.id;
    const dataDir = first.dataDir!;
    // Keep the data directory for the restart: stop the process without the harness cleanup.
    first.procs[0].child.kill('SIGTERM');
    const { code } = await first.procs[0].exited;
    expect(code).toBe(0);
    expect(first.procs[0].output()).toMatch(/SIGTERM received, draining/);

    const second = await startEmbedded({ DATA_DIR: dataDir, DEMO_API_KEY: first.apiKey });
    try {
      const res = await second.gql(`query($id: ID!) { partner(id: $id) { name } }`, { id });
      expect(res.body).toEqual({ data: { partner: { name: 'Survivor' } } });
    } finally {
      expect(await second.stop()).toEqual([0]);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  it('a postback retry survives a restart of the service: nothing queued is lost', async () => {
    const receiver = await startReceiver();
    receiver.plan('/hook', [500, 200]);
    const first = await startEmbedded({ POSTBACK_RETRY_SCHEDULE: '0,3' });
    const dataDir = first.dataDir!;
    let second: Stack | null = null;
    try {
      const created = await first.gql(`mutation($u: String!) { createPostbackEndpoint(input: { url: $u, eventTypes: ["*"] }) { endpoint { id } } }`, { u: receiver.url('/hook') });
      expect(created.body.errors).toBeUndefined();
      await first.gql(`mutation { trackEvent(input: { eventType: REGISTRATION, email: "restart@x.io" }) { id } }`);
      await waitFor('the first (failing) attempt', async () => (receiver.at('/hook').length === 1 ? true : undefined), [], 15_000);
      // Stop while the retry is queued (due 3 s later), keeping the data directory.
      first.procs[0].child.kill('SIGTERM');
      expect((await first.procs[0].exited).code).toBe(0);
      second = await startEmbedded({ DATA_DIR: dataDir, DEMO_API_KEY: first.apiKey, POSTBACK_RETRY_SCHEDULE: '0,3' });
      await waitFor('the retry after the restart', async () => (receiver.at('/hook').length === 2 ? true : undefined), [], 20_000);
      const [a, b] = receiver.at('/hook');
      expect(b.headers['webhook-id']).toBe(a.headers['webhook-id']);
      const log = await second.gql(`query($id: ID!) { postbackEndpoint(id: $id) { deliveries { nodes { attempt status } } } }`, { id: created.body.data.createPostbackEndpoint.endpoint.id });
      await waitFor('the log to show the success', async () => {
        const l = await second!.gql(`query($id: ID!) { postbackEndpoint(id: $id) { deliveries { nodes { attempt status } } } }`, { id: created.body.data.createPostbackEndpoint.endpoint.id });
        return l.body.data.postbackEndpoint.deliveries.nodes[0].status === 'SUCCEEDED' ? true : undefined;
      }, [], 10_000);
      expect(log.body.data.postbackEndpoint.deliveries.nodes.map((n: any) => n.attempt).sort()).toEqual([1, 2]);
    } finally {
      await second?.stop();
      await receiver.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);

  async function failedStart(env: Record<string, string>) {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rgw-fail-'));
    const proc = run('start-all', 'gateway/src/start-all.js', { DATA_DIR: dataDir, HOST: '127.0.0.1', ...env });
    const timer = setTimeout(() => proc.child.kill('SIGKILL'), 30_000);
    const { code } = await proc.exited;
    clearTimeout(timer);
    fs.rmSync(dataDir, { recursive: true, force: true });
    return { code, output: proc.output() };
  }

  it('a port already in use stops the start with exit 1 and says which port', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const { code, output } = await failedStart({ PORT: '0', LINKS_PORT: String(port), EVENTS_PORT: '0', KYC_PORT: '0', COMMISSIONS_PORT: '0' });
      expect(code).toBe(1);
      expect(output).toContain(`could not start: links: port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  }, 40_000);

  it('a bad variable stops the start with exit 1 naming the variable', async () => {
    const { code, output } = await failedStart({ PORT: 'eighty', OUTBOX_POLL_MS: '1' });
    expect(code).toBe(1);
    expect(output).toContain('PORT must be an integer from 0 to 65535; got "eighty"');
    expect(output).toContain('OUTBOX_POLL_MS must be an integer from 10 to 60000');
  }, 40_000);

  it('an unreachable database stops the start with exit 1 and says why', async () => {
    const { code, output } = await failedStart({ PORT: '0', LINKS_PORT: '0', EVENTS_PORT: '0', KYC_PORT: '0', COMMISSIONS_PORT: '0', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nowhere' });
    expect(code).toBe(1);
    expect(output).toMatch(/could not start: \w+: cannot open the database \(postgres:\/\/postgres@127\.0\.0\.1:1\/nowhere\)/);
  }, 40_000);

  it('waitFor fails fast when a process exits instead of waiting for the deadline', async () => {
    const proc = run('start-all', 'gateway/src/start-all.js', { PORT: 'x' });
    // The timeout message would be "timed out waiting"; "exited" proves it did not wait for it.
    await expect(waitFor('never', async () => undefined, [proc], 30_000)).rejects.toThrow(/exited \(code 1\)/);
  }, 40_000);
});

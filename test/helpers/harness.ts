import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Starts the real, compiled services (npm test builds first) on free ports and talks
 * HTTP to them. Readiness is polled; a process that exits while starting fails the
 * start at once with its output.
 */

/** The repository root, whether this runs from source (ts-jest) or compiled (dist/test/helpers, for bench/). */
export const ROOT = path.resolve(__dirname, '..', '..', ...(__dirname.split(path.sep).includes('dist') ? ['..'] : []));
export const DIST = path.join(ROOT, 'dist');

export interface Proc {
  name: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Set once the service is up: an exit after that is reported with its output. */
  watched: boolean;
}

export function run(name: string, script: string, env: Record<string, string>, args: string[] = []): Proc {
  const file = path.join(DIST, script);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run npm run build first (npm test does)`);
  const child = spawn(process.execPath, [file, ...args], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      // A service that dies on its own (not stopped by a signal, not a clean exit) takes every later test with it:
      // say why here, where the failures that follow cannot.
      if (proc.watched && code !== null && code !== 0) process.stderr.write(`\n[harness] ${name} exited with code ${code}; its last output:\n${out.slice(-4000)}\n`);
      resolve({ code, signal });
    }),
  );
  const proc: Proc = { name, child, output: () => out, exited, watched: false };
  return proc;
}

/** `n` distinct free ports: all held open until every one is chosen, so none repeats. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const srv = net.createServer();
          srv.unref();
          srv.on('error', reject);
          srv.listen(0, '127.0.0.1', () => resolve(srv));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns a value, failing early if one of `procs` exits. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, procs: Proc[] = [], timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    for (const p of procs) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) {
        throw new Error(`${p.name} exited (code ${p.child.exitCode}) while waiting for ${what}:\n${p.output()}`);
      }
    }
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? ` (last error: ${lastError})` : ''}\n${procs.map((p) => `--- ${p.name}\n${p.output()}`).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function ready(url: string): Promise<true | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
  return res.ok ? true : undefined;
}

export interface GraphQLResponse<T = any> {
  status: number;
  headers: Headers;
  body: { data?: T; errors?: { message: string; path?: string[]; extensions?: Record<string, any> }[] };
}

export interface Stack {
  gatewayUrl: string;
  origin: string;
  subgraphUrls: Record<string, string>;
  /** The all-scopes key of the first tenant. */
  apiKey: string;
  tenantId: string;
  procs: Proc[];
  dataDir?: string;
  /** Runs the admin command against the stack's database; returns parsed --json output. */
  admin: (...args: string[]) => Promise<any>;
  gql: <T = any>(query: string, variables?: Record<string, unknown>, key?: string | null) => Promise<GraphQLResponse<T>>;
  /** SIGTERM to every process; resolves with their exit codes. */
  stop: () => Promise<(number | null)[]>;
  /** The environment every service of a distributed stack shares (to start more replicas). */
  env?: Record<string, string>;
  /** The secret the gateway signs principals with (to play a gateway, or an attacker who has one header). */
  principalSecret: string;
  /**
   * Stops the gateway process and starts it again on the same port; resolves once it is ready.
   * npm start is one process, so there the subgraphs restart with it (same ports and data).
   */
  restartGateway: () => Promise<void>;
  /**
   * Production layout only: kills one process (a subgraph or the gateway) with -9, as a crash would, and starts it
   * again on the same port; resolves once it is ready.
   */
  restartService?: (name: string) => Promise<void>;
}

export function gqlClient(url: string, defaultKey: string) {
  return async <T = any>(query: string, variables: Record<string, unknown> = {}, key: string | null = defaultKey): Promise<GraphQLResponse<T>> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key) headers['x-api-key'] = key;
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResponse<T>['body'] };
  };
}

/**
 * Posts operations as one HTTP batch with the key; the data of each, in order. Throws on a
 * non-batch answer or any operation's errors (for seeding, where every write must land).
 */
export function gqlBatchClient(url: string, key: string) {
  return async (ops: { query: string; variables?: object }[]): Promise<any[]> => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(ops) });
    const body = (await res.json()) as { data?: any; errors?: unknown[] }[];
    if (!Array.isArray(body)) throw new Error(`HTTP ${res.status} ${JSON.stringify(body).slice(0, 500)}`);
    for (const r of body) if (r.errors) throw new Error(JSON.stringify(r.errors).slice(0, 500));
    return body.map((r) => r.data);
  };
}

export async function stopAll(procs: Proc[]): Promise<(number | null)[]> {
  return Promise.all(
    procs.map(async (p) => {
      if (p.child.exitCode !== null) return p.child.exitCode;
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
      const { code } = await p.exited;
      clearTimeout(timer);
      return code;
    }),
  );
}

function adminRunner(env: Record<string, string>) {
  return async (...args: string[]) => {
    const p = run('admin', 'gateway/src/admin.js', env, [...args, '--json']);
    const { code } = await p.exited;
    if (code !== 0) throw new Error(`admin ${args.join(' ')} failed (${code}): ${p.output()}`);
    return JSON.parse(p.output().trim().split('\n').pop()!);
  };
}

/** `npm start` as a user runs it: one process, embedded SQLite and in-process bus unless env says otherwise. */
export async function startEmbedded(extraEnv: Record<string, string> = {}): Promise<Stack> {
  // A port picked as free can be taken by another process before the stack binds it: try again once.
  try {
    return await startEmbeddedOnce(extraEnv);
  } catch (err) {
    if (!/already in use/.test((err as Error).message)) throw err;
    return startEmbeddedOnce(extraEnv);
  }
}

async function startEmbeddedOnce(extraEnv: Record<string, string>): Promise<Stack> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rgw-e2e-'));
  const apiKey = extraEnv.DEMO_API_KEY ?? `rgk_test_${randomBytes(16).toString("hex")}`;
  const names = ['links', 'events', 'kyc', 'commissions'];
  const ports: Record<string, string> = {};
  const picked = await freePorts(5);
  names.forEach((n, i) => (ports[`${n.toUpperCase()}_PORT`] = String(picked[i])));
  const env = {
    DATA_DIR: dataDir,
    PORT: String(picked[4]),
    ...ports,
    HOST: '127.0.0.1',
    DEMO_API_KEY: apiKey,
    OUTBOX_POLL_MS: '100',
    // Postback receivers in tests listen on loopback, and retries must not take minutes.
    POSTBACKS_ALLOW_INSECURE: 'true',
    POSTBACK_RETRY_SCHEDULE: '0,1,2',
    POSTBACK_POLL_MS: '100',
    // The suites send far more than a partner's integration would; limits have their own suite.
    RATE_LIMIT_PER_MINUTE: '10000000',
    // The gateway believes X-Forwarded-For from 127.0.0.1 only: tests play clients behind a
    // load balancer from there, and untrusted clients from other loopback addresses.
    TRUSTED_PROXIES: '127.0.0.1',
    // No approval sweep: a commission whose hold ends mid-run would be approved by the clock, not by
    // the test, and the row-comparing invariants (read-only, exactly-once) would see it. The sweep runs
    // approveDue, which approveDueCommissions exercises.
    COMMISSION_APPROVAL_INTERVAL_MS: '0',
    ...extraEnv,
  };
  const proc = run('start-all', 'gateway/src/start-all.js', env);
  const procs = [proc];
  const gatewayUrl = await waitFor('the start banner', async () => /GraphQL endpoint: (\S+)/.exec(proc.output())?.[1], [proc]);
  const origin = new URL(gatewayUrl).origin;
  await waitFor('gateway /readyz', () => ready(`${origin}/readyz`), [proc]);
  proc.watched = true;
  const tenantId = /Demo tenant:\s+(\S+)/.exec(proc.output())![1];
  const principalSecret = extraEnv.PRINCIPAL_SECRET ?? (JSON.parse(fs.readFileSync(path.join(extraEnv.DATA_DIR ?? dataDir, 'secrets.json'), 'utf8')).principalSecret as string);
  const adminEnv = { DATA_DIR: dataDir, ...(extraEnv.DATABASE_URL ? { DATABASE_URL: extraEnv.DATABASE_URL } : {}) };
  return {
    gatewayUrl,
    origin,
    subgraphUrls: Object.fromEntries(names.map((n) => [n, `http://127.0.0.1:${ports[`${n.toUpperCase()}_PORT`]}/graphql`])),
    apiKey,
    tenantId,
    procs,
    dataDir,
    principalSecret,
    admin: adminRunner(adminEnv),
    gql: gqlClient(gatewayUrl, apiKey),
    stop: async () => {
      const codes = await stopAll(procs);
      fs.rmSync(dataDir, { recursive: true, force: true });
      return codes;
    },
    restartGateway: async () => {
      await stopAll(procs);
      procs[0] = run('start-all', 'gateway/src/start-all.js', env);
      await waitFor('gateway /readyz after a restart', () => ready(`${origin}/readyz`), procs);
      procs[0].watched = true;
    },
  };
}

/** Production layout: the gateway and each subgraph in its own process, on PostgreSQL and Redis. */
export async function startDistributed(opts: { databaseUrl: string; redisUrl: string; redisKeyPrefix: string; env?: Record<string, string> }): Promise<Stack> {
  const secret = randomBytes(32).toString('hex');
  const [gatewayPort, ...subgraphPorts] = await freePorts(5);
  const common = {
    DATABASE_URL: opts.databaseUrl,
    REDIS_URL: opts.redisUrl,
    REDIS_KEY_PREFIX: opts.redisKeyPrefix,
    PRINCIPAL_SECRET: secret,
    CLICK_ID_SECRET: randomBytes(32).toString('hex'),
    SECRETS_KEY: randomBytes(32).toString('hex'),
    PUBLIC_URL: `http://127.0.0.1:${gatewayPort}`,
    HOST: '127.0.0.1',
    OUTBOX_POLL_MS: '100',
    RATE_LIMIT_PER_MINUTE: '10000000',
    TRUSTED_PROXIES: '127.0.0.1',
    // No approval sweep: a commission whose hold ends mid-run would be approved by the clock, not by
    // the test, and the row-comparing invariants (read-only, exactly-once) would see it. The sweep runs
    // approveDue, which approveDueCommissions exercises.
    COMMISSION_APPROVAL_INTERVAL_MS: '0',
    // kyc reserves its codes in links (the tenant's one code namespace).
    LINKS_URL: `http://127.0.0.1:${subgraphPorts[0]}/graphql`,
    ...opts.env,
  };
  const names = ['links', 'events', 'kyc', 'commissions'] as const;
  const ports = Object.fromEntries(names.map((n, i) => [n, subgraphPorts[i]] as const)) as Record<(typeof names)[number], number>;
  const procs: Proc[] = [];
  const subgraphEnv = (n: (typeof names)[number]) => ({ ...common, [`${n.toUpperCase()}_PORT`]: String(ports[n]) });
  try {
    for (const n of names) procs.push(run(n, `subgraphs/${n}/src/index.js`, subgraphEnv(n)));
    const subgraphUrls = Object.fromEntries(names.map((n) => [n, `http://127.0.0.1:${ports[n]}/graphql`]));
    for (const n of names) await waitFor(`${n} /readyz`, () => ready(`http://127.0.0.1:${ports[n]}/readyz`), procs);
    const gatewayEnv = {
      ...common,
      PORT: String(gatewayPort),
      LINKS_URL: subgraphUrls.links,
      EVENTS_URL: subgraphUrls.events,
      KYC_URL: subgraphUrls.kyc,
      COMMISSIONS_URL: subgraphUrls.commissions,
    };
    procs.push(run('gateway', 'gateway/src/index.js', gatewayEnv));
    const origin = `http://127.0.0.1:${gatewayPort}`;
    await waitFor('gateway /readyz', () => ready(`${origin}/readyz`), procs);
    for (const p of procs) p.watched = true;
    const admin = adminRunner({ DATABASE_URL: opts.databaseUrl });
    const tenant = await admin('create-tenant', '--name', 'Tenant A');
    const key = await admin('create-key', '--tenant', tenant.id, '--scopes', 'all', '--name', 'e2e');
    const gatewayUrl = `${origin}/graphql`;
    const restartService = async (name: string) => {
      const i = procs.findIndex((p) => p.name === name);
      if (i < 0) throw new Error(`no process named ${name}`);
      procs[i].child.kill('SIGKILL');
      await procs[i].exited;
      if (name === 'gateway') procs[i] = run('gateway', 'gateway/src/index.js', gatewayEnv);
      else procs[i] = run(name, `subgraphs/${name}/src/index.js`, subgraphEnv(name as (typeof names)[number]));
      const readyz = name === 'gateway' ? `${origin}/readyz` : `http://127.0.0.1:${ports[name as (typeof names)[number]]}/readyz`;
      await waitFor(`${name} /readyz after a restart`, () => ready(readyz), procs);
      procs[i].watched = true;
    };
    return {
      gatewayUrl,
      origin,
      subgraphUrls,
      apiKey: key.key,
      tenantId: tenant.id,
      procs,
      admin,
      gql: gqlClient(gatewayUrl, key.key),
      stop: () => stopAll([...procs].reverse()),
      env: common,
      principalSecret: secret,
      // The gateway keeps no state: killed outright, as a crash would.
      restartGateway: () => restartService('gateway'),
      restartService,
    };
  } catch (err) {
    await stopAll(procs);
    throw err;
  }
}

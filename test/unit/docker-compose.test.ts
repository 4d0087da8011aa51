/**
 * Checks docker-compose.yml and the Dockerfile against the code, without Docker: the
 * services exist, run the right entry points from one image, set only environment
 * variables their config readers actually read (a misspelt variable is silently
 * ignored otherwise), and are wired to each other, PostgreSQL and Redis correctly.
 *
 * Each test gathers every problem it finds and compares the list with [], so a failure
 * prints all of them, each saying what is wrong.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { EnvReader } from '../../subgraphs/shared/src/config';
import { readLinksConfig } from '../../subgraphs/links/src/config';
import { readEventsConfig } from '../../subgraphs/events/src/config';
import { readKycConfig } from '../../subgraphs/kyc/src/config';
import { readCommissionsConfig } from '../../subgraphs/commissions/src/config';
import { readGatewayConfig } from '../../gateway/src/config';

const ROOT = path.resolve(__dirname, '..', '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const DOCKERFILE = path.join(ROOT, 'Dockerfile');

type Reader = (env: EnvReader, options: { standalone: boolean }) => { port: number };

interface AppService {
  /** The compiled entry point the service's command must run. */
  entry: string;
  reader: Reader;
  /** The file the reader lives in, for messages. */
  readerFile: string;
}

const SUBGRAPH_SERVICES = ['links', 'events', 'kyc', 'commissions'] as const;
type SubgraphService = (typeof SUBGRAPH_SERVICES)[number];

const APP_SERVICES: Record<SubgraphService | 'gateway', AppService> = {
  links: { entry: 'dist/subgraphs/links/src/index.js', reader: readLinksConfig, readerFile: 'subgraphs/links/src/config.ts' },
  events: { entry: 'dist/subgraphs/events/src/index.js', reader: readEventsConfig, readerFile: 'subgraphs/events/src/config.ts' },
  kyc: { entry: 'dist/subgraphs/kyc/src/index.js', reader: readKycConfig, readerFile: 'subgraphs/kyc/src/config.ts' },
  commissions: { entry: 'dist/subgraphs/commissions/src/index.js', reader: readCommissionsConfig, readerFile: 'subgraphs/commissions/src/config.ts' },
  gateway: { entry: 'dist/gateway/src/index.js', reader: readGatewayConfig, readerFile: 'gateway/src/config.ts' },
};
const APP_NAMES = Object.keys(APP_SERVICES) as (keyof typeof APP_SERVICES)[];
const INFRA_SERVICES = ['postgres', 'redis'] as const;

/** Values for `${VAR:?message}` variables when the test resolves interpolation (compose would refuse without them). */
const TEST_HOST_ENV: Record<string, string> = {
  PRINCIPAL_SECRET: 'test-secret-'.padEnd(48, 'x'),
  CLICK_ID_SECRET: 'test-click-'.padEnd(48, 'x'),
  SECRETS_KEY: 'test-sealing-'.padEnd(48, 'x'),
};

// ---- reading the files ----------------------------------------------------------------

type Yaml = Record<string, unknown>;

const isMap = (v: unknown): v is Yaml => typeof v === 'object' && v !== null && !Array.isArray(v);

function loadCompose(): { services: Record<string, Yaml> } {
  const text = fs.readFileSync(COMPOSE_FILE, 'utf8');
  const doc = parse(text, { merge: true }) as unknown;
  if (!isMap(doc) || !isMap(doc.services)) throw new Error('docker-compose.yml has no top-level "services" map');
  const services: Record<string, Yaml> = {};
  for (const [name, svc] of Object.entries(doc.services)) services[name] = isMap(svc) ? svc : {};
  return { services };
}

/**
 * Compose variable interpolation against `host` (unset variables resolve to defaults):
 * $$, $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, ${VAR:+alt}, ${VAR+alt}.
 */
function interpolate(value: string, host: Record<string, string | undefined>, where: string): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced, op, arg, bare) => {
    if (whole === '$$') return '$';
    const name: string = braced ?? bare;
    const v = host[name];
    const set = v !== undefined;
    const nonEmpty = set && v !== '';
    const nested = (s: string) => interpolate(s ?? '', host, where);
    switch (op) {
      case ':-':
        return nonEmpty ? v! : nested(arg);
      case '-':
        return set ? v! : nested(arg);
      case ':?':
      case '?':
        if (op === ':?' ? nonEmpty : set) return v!;
        throw new Error(`${where} needs ${name} set on the host (${arg || 'required'}) and the test has no value for it in TEST_HOST_ENV`);
      case ':+':
        return nonEmpty ? nested(arg) : '';
      case '+':
        return set ? nested(arg) : '';
      default:
        return v ?? '';
    }
  });
}

/** A service's `environment:` as written (list `- KEY=value` / `- KEY`, or map), values uninterpolated. */
function rawEnvironment(svc: Yaml, service: string): Record<string, string | undefined> {
  const env = svc.environment;
  const out: Record<string, string | undefined> = {};
  if (env === undefined || env === null) return out;
  if (Array.isArray(env)) {
    for (const item of env) {
      const s = String(item);
      const eq = s.indexOf('=');
      // `- KEY` without a value passes the host's value through.
      if (eq < 0) out[s.trim()] = undefined;
      else out[s.slice(0, eq).trim()] = s.slice(eq + 1);
    }
    return out;
  }
  if (!isMap(env)) throw new Error(`${service}: "environment" is neither a list nor a map`);
  for (const [k, v] of Object.entries(env)) out[k] = v === null || v === undefined ? undefined : String(v);
  return out;
}

/** The environment the container would see, interpolated against TEST_HOST_ENV; `- KEY` takes the host's value. */
function resolvedEnvironment(svc: Yaml, service: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(rawEnvironment(svc, service))) {
    out[k] = v === undefined ? TEST_HOST_ENV[k] : interpolate(v, TEST_HOST_ENV, `${service}: ${k}`);
  }
  return out;
}

/** `command:` as an argv list (a string is split on whitespace, which is enough for `node dist/...js`). */
function commandArgs(svc: Yaml): string[] {
  const c = svc.command;
  if (Array.isArray(c)) return c.map(String);
  if (typeof c === 'string') return c.trim().split(/\s+/);
  return [];
}

function buildOf(svc: Yaml): { context: string; dockerfile: string } | undefined {
  const b = svc.build;
  if (typeof b === 'string') return { context: b, dockerfile: 'Dockerfile' };
  if (isMap(b)) return { context: String(b.context ?? '.'), dockerfile: String(b.dockerfile ?? 'Dockerfile') };
  return undefined;
}

/** The `depends_on:` entries with their conditions (the short list form means service_started). */
function dependsOn(svc: Yaml): Record<string, string> {
  const d = svc.depends_on;
  const out: Record<string, string> = {};
  if (Array.isArray(d)) for (const name of d) out[String(name)] = 'service_started';
  else if (isMap(d)) for (const [name, v] of Object.entries(d)) out[name] = isMap(v) && v.condition ? String(v.condition) : 'service_started';
  return out;
}

/** Container ports a `ports:` list publishes ("host:container", "ip:host:container", number, or long form). */
function publishedContainerPorts(svc: Yaml): string[] {
  const ports = svc.ports;
  if (!Array.isArray(ports)) return [];
  return ports.map((p) => {
    if (isMap(p)) return String(p.target);
    const s = interpolate(String(p), TEST_HOST_ENV, 'ports').replace(/\/(tcp|udp)$/, '');
    return s.split(':').pop()!;
  });
}

/** The healthcheck command as one string, for looking at which program and URL it uses. */
function healthcheckCommand(svc: Yaml): { argv: string[]; text: string } | undefined {
  const h = svc.healthcheck;
  if (!isMap(h) || h.disable === true) return undefined;
  const t = h.test;
  if (typeof t === 'string') return { argv: ['CMD-SHELL', t], text: t };
  if (Array.isArray(t)) return { argv: t.map(String), text: t.slice(1).map(String).join(' ') };
  return undefined;
}

interface ReaderResult<C> {
  names: Set<string>;
  config: C;
  problems: string[];
}

function runReader(reader: Reader, env: Record<string, string | undefined>): ReaderResult<ReturnType<Reader> & Record<string, unknown>> {
  const e = new EnvReader(env);
  const config = reader(e, { standalone: true }) as ReturnType<Reader> & Record<string, unknown>;
  return { names: e.names, config, problems: [...e.problems] };
}

/** Every variable name each reader asks for (it records names even when values are missing). */
const READER_NAMES = Object.fromEntries(APP_NAMES.map((s) => [s, runReader(APP_SERVICES[s].reader, {}).names])) as Record<keyof typeof APP_SERVICES, Set<string>>;

/** Dockerfile instructions (continuation lines joined, comments dropped) grouped by build stage. */
function dockerfileStages(text: string): { from: string; instructions: string[] }[] {
  const joined = text
    .split('\n')
    .filter((l) => !/^\s*#/.test(l))
    .join('\n')
    .replace(/\\\r?\n/g, ' ');
  const stages: { from: string; instructions: string[] }[] = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (/^FROM\s/i.test(line)) stages.push({ from: line, instructions: [] });
    else if (stages.length) stages[stages.length - 1].instructions.push(line);
  }
  return stages;
}

// ---- the checks -----------------------------------------------------------------------

describe('docker-compose.yml', () => {
  const { services } = loadCompose();
  const app = (name: string): Yaml => services[name] ?? {};

  test('defines postgres, redis, the gateway and the four subgraphs', () => {
    const missing = [...INFRA_SERVICES, ...APP_NAMES].filter((s) => !services[s]);
    expect(missing.map((s) => `service "${s}" is missing from docker-compose.yml`)).toEqual([]);
  });

  test('postgres and redis have healthchecks, so the app services can wait for them', () => {
    const problems: string[] = [];
    for (const s of INFRA_SERVICES) {
      if (!healthcheckCommand(app(s))) problems.push(`${s} has no healthcheck; depends_on "service_healthy" would never be satisfied`);
    }
    if (!/pg_isready/.test(healthcheckCommand(app('postgres'))?.text ?? '')) problems.push('postgres healthcheck does not use pg_isready');
    if (!/redis-cli.*ping/i.test(healthcheckCommand(app('redis'))?.text ?? '')) problems.push('redis healthcheck does not use redis-cli ping');
    expect(problems).toEqual([]);
  });

  test('every app service builds the one image from the repository root and runs its own entry point', () => {
    const problems: string[] = [];
    const builds = new Set<string>();
    const images = new Set<string>();
    for (const s of APP_NAMES) {
      const svc = app(s);
      const build = buildOf(svc);
      if (!build) {
        problems.push(`${s} has no "build:"; every app service builds from the repository's Dockerfile`);
      } else {
        builds.add(`${path.resolve(ROOT, build.context)} ${build.dockerfile}`);
        if (path.resolve(ROOT, build.context) !== ROOT) problems.push(`${s} builds from context "${build.context}", not the repository root`);
        if (!fs.existsSync(path.resolve(ROOT, build.context, build.dockerfile))) problems.push(`${s} builds from ${build.dockerfile}, which does not exist`);
      }
      if (svc.image !== undefined) images.add(String(svc.image));
      const argv = commandArgs(svc);
      const expected = APP_SERVICES[s].entry;
      if (!argv.length) {
        if (s !== 'gateway') problems.push(`${s} has no "command:"; it would run the image's default CMD (the gateway)`);
      } else {
        if (path.basename(argv[0]) !== 'node') problems.push(`${s} command starts with "${argv[0]}", expected node`);
        const entry = argv.find((a) => /\.js$/.test(a))?.replace(/^\.\//, '');
        if (entry !== expected) problems.push(`${s} runs ${entry ?? '(no .js file)'} but should run ${expected}`);
      }
    }
    if (builds.size > 1) problems.push(`app services build from different contexts/Dockerfiles: ${[...builds].join(' | ')}`);
    if (images.size > 1) problems.push(`app services name different images: ${[...images].join(', ')}`);
    expect(problems).toEqual([]);
  });

  test('the entry points the commands run exist as TypeScript sources', () => {
    const problems: string[] = [];
    for (const s of APP_NAMES) {
      const argv = commandArgs(app(s));
      for (const a of argv.filter((x) => /^(\.\/)?dist\/.+\.js$/.test(x))) {
        const source = a.replace(/^(\.\/)?dist\//, '').replace(/\.js$/, '.ts');
        if (!fs.existsSync(path.join(ROOT, source))) problems.push(`${s} runs ${a} but ${source} does not exist, so npm run build will not produce it`);
      }
    }
    expect(problems).toEqual([]);
  });

  test('every environment variable an app service sets is one its config reader reads', () => {
    const problems: string[] = [];
    for (const s of APP_NAMES) {
      const known = READER_NAMES[s];
      for (const name of Object.keys(rawEnvironment(app(s), s))) {
        if (!known.has(name)) {
          problems.push(`${s} sets ${name}, which ${APP_SERVICES[s].readerFile} never reads (it reads: ${[...known].sort().join(', ')})`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('every app service sets NODE_ENV=production, PRINCIPAL_SECRET, DATABASE_URL and REDIS_URL', () => {
    const problems: string[] = [];
    const secrets = new Map<string, string[]>();
    const databases = new Map<string, string[]>();
    for (const s of APP_NAMES) {
      const raw = rawEnvironment(app(s), s);
      for (const name of ['PRINCIPAL_SECRET', 'DATABASE_URL', 'REDIS_URL']) {
        if (!(name in raw)) problems.push(`${s} does not set ${name}`);
      }
      const secret = raw.PRINCIPAL_SECRET;
      if (secret !== undefined) {
        if (!/^\$\{PRINCIPAL_SECRET:\?[^}]*\}$/.test(secret)) {
          problems.push(`${s} sets PRINCIPAL_SECRET to "${secret}"; it should come from the host as \${PRINCIPAL_SECRET:?...} so compose refuses to start without it`);
        }
        secrets.set(secret, [...(secrets.get(secret) ?? []), s]);
      }
      const env = resolvedEnvironment(app(s), s);
      // The image sets NODE_ENV=production; the service may repeat it but must not override it.
      if (env.NODE_ENV !== undefined && env.NODE_ENV !== 'production') problems.push(`${s} sets NODE_ENV=${env.NODE_ENV}, expected production`);
      if (env.DATABASE_URL) {
        try {
          const u = new URL(env.DATABASE_URL);
          if (!['postgres:', 'postgresql:'].includes(u.protocol)) problems.push(`${s} DATABASE_URL is not a postgres:// URL: ${env.DATABASE_URL}`);
          if (u.hostname !== 'postgres') problems.push(`${s} DATABASE_URL points at host "${u.hostname}", not the compose service "postgres"`);
          databases.set(`${u.host}${u.pathname}`, [...(databases.get(`${u.host}${u.pathname}`) ?? []), s]);
        } catch {
          problems.push(`${s} DATABASE_URL is not a URL: ${env.DATABASE_URL}`);
        }
      }
      if (env.REDIS_URL) {
        try {
          const u = new URL(env.REDIS_URL);
          if (!['redis:', 'rediss:'].includes(u.protocol)) problems.push(`${s} REDIS_URL is not a redis:// URL: ${env.REDIS_URL}`);
          if (u.hostname !== 'redis') problems.push(`${s} REDIS_URL points at host "${u.hostname}", not the compose service "redis"`);
        } catch {
          problems.push(`${s} REDIS_URL is not a URL: ${env.REDIS_URL}`);
        }
      }
    }
    if (secrets.size > 1) {
      problems.push(`services take PRINCIPAL_SECRET from different places (${[...secrets].map(([v, ss]) => `${ss.join(',')}: ${v}`).join('; ')}); the gateway's signatures would not verify`);
    }
    if (databases.size > 1) {
      problems.push(`services use different databases (${[...databases].map(([db, ss]) => `${ss.join(',')}: ${db}`).join('; ')}); they share one, each in its own schema`);
    }
    expect(problems).toEqual([]);
  });

  test('each app service configuration is valid for its reader and uses PostgreSQL and the Redis bus', () => {
    const problems: string[] = [];
    for (const s of APP_NAMES) {
      const { config, problems: readerProblems } = runReader(APP_SERVICES[s].reader, resolvedEnvironment(app(s), s));
      for (const p of readerProblems) problems.push(`${s}: ${APP_SERVICES[s].readerFile} rejects the compose environment: ${p}`);
      if (!config.databaseUrl) problems.push(`${s} would fall back to SQLite files in the container (no DATABASE_URL)`);
      if (!config.redisUrl) problems.push(`${s} has no REDIS_URL`);
      if (s !== 'gateway' && config.bus !== 'redis') problems.push(`${s} would use the in-process bus (BUS=${String(config.bus)}); facts would never reach the other containers`);
    }
    expect(problems).toEqual([]);
  });

  test("the gateway's subgraph URLs point at the compose services and the ports they listen on", () => {
    const problems: string[] = [];
    const gatewayEnv = resolvedEnvironment(app('gateway'), 'gateway');
    for (const s of SUBGRAPH_SERVICES) {
      const variable = `${s.toUpperCase()}_URL`;
      const value = gatewayEnv[variable];
      if (value === undefined) {
        problems.push(`gateway does not set ${variable}; it would look for ${s} on localhost inside its own container`);
        continue;
      }
      const listens = runReader(APP_SERVICES[s].reader, resolvedEnvironment(app(s), s)).config.port;
      let u: URL;
      try {
        u = new URL(value);
      } catch {
        problems.push(`gateway ${variable} is not a URL: ${value}`);
        continue;
      }
      const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
      if (u.hostname !== s) problems.push(`gateway ${variable}=${value} points at host "${u.hostname}", not the compose service "${s}"`);
      if (port !== listens) problems.push(`gateway ${variable}=${value} uses port ${port}, but ${s} listens on ${listens} (${s.toUpperCase()}_PORT or its default)`);
      if (u.pathname !== '/graphql') problems.push(`gateway ${variable}=${value} should end in /graphql`);
    }
    expect(problems).toEqual([]);
  });

  test('each app service has a node healthcheck on its own port and waits for healthy postgres and redis', () => {
    const problems: string[] = [];
    for (const s of APP_NAMES) {
      const svc = app(s);
      const check = healthcheckCommand(svc);
      const listens = runReader(APP_SERVICES[s].reader, resolvedEnvironment(svc, s)).config.port;
      if (!check) {
        problems.push(`${s} has no healthcheck`);
      } else {
        const program = check.argv[0] === 'CMD' ? check.argv[1] : check.text.trim().split(/\s+/)[0];
        if (program !== 'node') problems.push(`${s} healthcheck runs "${program}", but the image has only node (no curl or wget)`);
        const url = /https?:\/\/[^'"\s)]+/.exec(check.text)?.[0];
        if (!url) {
          problems.push(`${s} healthcheck does not request a URL: ${check.text}`);
        } else {
          const u = new URL(url);
          if (Number(u.port) !== listens) problems.push(`${s} healthcheck requests ${url}, but ${s} listens on port ${listens}`);
          if (!['/readyz', '/healthz'].includes(u.pathname)) problems.push(`${s} healthcheck requests ${u.pathname}; the services answer /readyz and /healthz`);
        }
      }
      const deps = dependsOn(svc);
      for (const infra of INFRA_SERVICES) {
        if (!(infra in deps)) problems.push(`${s} does not depend on ${infra}`);
        else if (deps[infra] !== 'service_healthy') problems.push(`${s} depends on ${infra} with condition ${deps[infra]}, expected service_healthy`);
      }
    }
    const gatewayDeps = dependsOn(app('gateway'));
    for (const s of SUBGRAPH_SERVICES) if (!(s in gatewayDeps)) problems.push(`gateway does not depend on ${s}; it would report not ready until ${s} is up`);
    expect(problems).toEqual([]);
  });

  test('only the gateway publishes a port, and it is the port the gateway listens on', () => {
    const problems: string[] = [];
    for (const [name, svc] of Object.entries(services)) {
      if (name !== 'gateway' && svc.ports !== undefined) problems.push(`${name} publishes ports ${JSON.stringify(svc.ports)}; only the gateway should be reachable from outside`);
    }
    const gatewayPort = runReader(readGatewayConfig, resolvedEnvironment(app('gateway'), 'gateway')).config.port;
    const published = publishedContainerPorts(app('gateway'));
    if (!published.includes(String(gatewayPort))) {
      problems.push(`gateway publishes container ports [${published.join(', ')}] but listens on ${gatewayPort} (PORT or its default)`);
    }
    expect(problems).toEqual([]);
  });
});

describe('Dockerfile', () => {
  test('exists, builds on node:20-bookworm-slim, and its final stage runs production code as node', () => {
    expect(fs.existsSync(DOCKERFILE) ? [] : [`${DOCKERFILE} does not exist`]).toEqual([]);
    const stages = dockerfileStages(fs.readFileSync(DOCKERFILE, 'utf8'));
    const problems: string[] = [];
    if (stages.length < 2) problems.push(`Dockerfile has ${stages.length} stage(s); expected a build stage and a runtime stage`);
    for (const st of stages) if (!/\bnode:20-bookworm-slim\b/.test(st.from)) problems.push(`stage "${st.from}" is not based on node:20-bookworm-slim`);
    const final = stages[stages.length - 1];
    if (final) {
      const setsProduction = final.instructions.some((i) => /^ENV\s+(.*\s)?NODE_ENV(=|\s+)"?production"?(\s|$)/i.test(i));
      if (!setsProduction) problems.push('the final stage does not set ENV NODE_ENV=production');
      if (!final.instructions.some((i) => /^USER\s+node\b/i.test(i))) problems.push('the final stage does not switch to USER node');
      for (const wanted of ['node_modules', 'dist', 'schema', 'package.json']) {
        if (!final.instructions.some((i) => /^COPY\s/i.test(i) && new RegExp(`(^|[\\s/])${wanted.replace('.', '\\.')}(\\s|/|$)`).test(i))) {
          problems.push(`the final stage does not copy ${wanted}`);
        }
      }
      const cmd = final.instructions.find((i) => /^CMD\s/i.test(i));
      if (!cmd || !cmd.includes(APP_SERVICES.gateway.entry)) problems.push(`the final stage's CMD should run the gateway (${APP_SERVICES.gateway.entry}); got ${cmd ?? 'no CMD'}`);
    }
    const build = stages.slice(0, -1).flatMap((st) => st.instructions).join('\n');
    for (const step of ['npm ci', 'npm run build', 'npm prune --omit=dev']) if (!build.includes(step)) problems.push(`no build stage runs "${step}"`);
    expect(problems).toEqual([]);
  });

  test('.dockerignore keeps local builds, data and git history out of the build context', () => {
    const file = path.join(ROOT, '.dockerignore');
    const lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim().replace(/^\/|\/$/g, '')) : [];
    const missing = ['node_modules', 'dist', 'data', '.git'].filter((p) => !lines.includes(p));
    expect(missing.map((p) => `.dockerignore does not exclude ${p}`)).toEqual([]);
  });
});

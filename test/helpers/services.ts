import { execFileSync } from 'child_process';
import { PROBE_TIMEOUT_MS, postgresUrl, redisUrl } from './servers';

export * from './servers';

/**
 * Suites that need a real Redis or PostgreSQL. A missing server skips the suite loudly on
 * a workstation and fails it in CI, where a silently skipped suite would look green.
 */

interface Server {
  name: string;
  url: string;
  /** Script for `node -e`; argv[1] is the module to require, argv[2] the URL; exits 0 when usable. */
  probeScript: string;
  probeModule: string;
  howToStart: string;
}

const redisServer: Server = {
  name: 'Redis',
  url: redisUrl,
  probeScript: `
    const Redis = require(process.argv[1]);
    setTimeout(() => process.exit(1), ${PROBE_TIMEOUT_MS}).unref();
    const r = new Redis(process.argv[2], { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    r.on('error', () => {});
    r.connect().then(() => r.ping()).then(() => process.exit(0), () => process.exit(1));`,
  probeModule: require.resolve('ioredis'),
  howToStart:
    'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no ' +
    '(or set TEST_REDIS_URL)',
};

const postgresServer: Server = {
  name: 'PostgreSQL',
  url: postgresUrl,
  probeScript: `
    const { Client } = require(process.argv[1]);
    setTimeout(() => process.exit(1), ${PROBE_TIMEOUT_MS}).unref();
    const c = new Client({ connectionString: process.argv[2], connectionTimeoutMillis: ${PROBE_TIMEOUT_MS} });
    c.on('error', () => {});
    c.connect().then(() => c.query('SELECT 1')).then(() => process.exit(0), () => process.exit(1));`,
  probeModule: require.resolve('pg'),
  howToStart:
    'start PostgreSQL accepting postgres://postgres@127.0.0.1:5432/postgres without a password ' +
    '(e.g. docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16) or set TEST_DATABASE_URL',
};

const probed = new Map<string, boolean>();

/**
 * jest collects tests synchronously, so availability must be known before `describe`
 * returns: the probe runs in a child process that we wait for.
 */
function availableSync(server: Server): boolean {
  const key = `${server.name} ${server.url}`;
  let available = probed.get(key);
  if (available === undefined) {
    try {
      execFileSync(process.execPath, ['-e', server.probeScript, server.probeModule, server.url], {
        stdio: 'ignore',
        timeout: PROBE_TIMEOUT_MS * 2,
      });
      available = true;
    } catch {
      available = false;
    }
    probed.set(key, available);
  }
  return available;
}

function describeWith(servers: Server[], name: string, fn: () => void): void {
  const missing = servers.filter((server) => !availableSync(server));
  if (missing.length === 0) {
    describe(name, fn);
    return;
  }
  const what = missing.map((server) => `${server.name} at ${server.url}`).join(' and ');
  const how = missing.map((server) => `  ${server.name}: ${server.howToStart}`).join('\n');
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`requires ${what}`, () => {
        throw new Error(`${what} is required in CI but is not reachable. Start it:\n${how}`);
      });
    });
    return;
  }
  const bar = '!'.repeat(78);
  console.warn(
    [
      bar,
      `!! SKIPPED: "${name}"`,
      `!! ${what} is not reachable, so this suite does NOT run.`,
      '!! Start it to run the suite:',
      ...how.split('\n').map((line) => `!! ${line}`),
      bar,
    ].join('\n'),
  );
  describe.skip(name, fn);
}

export function describeWithRedis(name: string, fn: () => void): void {
  describeWith([redisServer], name, fn);
}

export function describeWithPostgres(name: string, fn: () => void): void {
  describeWith([postgresServer], name, fn);
}

export function describeWithPostgresAndRedis(name: string, fn: () => void): void {
  describeWith([postgresServer, redisServer], name, fn);
}

import { randomBytes } from 'crypto';
import Redis from 'ioredis';
import { Client } from 'pg';

/**
 * The real PostgreSQL and Redis the suites and benchmarks use: where they are, whether
 * they answer, and a database or key prefix of one's own on them. No test-runner globals
 * here, so the benchmarks can use it too (services.ts has the suite wrappers).
 */

export const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const postgresUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export const PROBE_TIMEOUT_MS = 2_000;

export async function redisAvailable(): Promise<boolean> {
  const client = new Redis(redisUrl, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: PROBE_TIMEOUT_MS,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function postgresAvailable(): Promise<boolean> {
  const client = new Client({ connectionString: postgresUrl, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

let counter = 0;

/**
 * Unique per call, across processes and runs. Lowercase letters, digits and underscores
 * starting with a letter, at most 63 characters: usable as a Redis key prefix and as an
 * unquoted PostgreSQL schema name.
 */
export function uniquePrefix(label: string): string {
  const safe = label.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 30);
  const suffix = `${process.pid.toString(36)}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}_${++counter}`;
  return /^[a-z]/.test(safe) ? `${safe}_${suffix}` : `t_${safe}_${suffix}`;
}

/** Polls `condition` until it holds; fails with `what` once `timeoutMs` has passed. */
export async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A database of its own per suite, so runs never see each other's rows. */
export async function createDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = uniquePrefix(label);
  const admin = new Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(postgresUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: postgresUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

export async function dropRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
}

import { Client } from 'pg';
import { Stack, startDistributed, startEmbedded } from '../helpers/harness';
import { describeWithPostgresAndRedis, postgresUrl, redisUrl, uniquePrefix } from '../helpers/services';
import { defineSliceTests } from './slice';
import { defineLinksTests } from './links';
import { defineEventsTests } from './events';
import { defineKycTests } from './kyc';
import { defineCommissionsTests } from './commissions';
import { defineSubscriptionTests } from './subscriptions';
import Redis from 'ioredis';

/** A database of its own per suite, so runs never see each other's rows. */
async function createDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
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

async function dropRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
}

describeWithPostgresAndRedis('production layout: five processes on PostgreSQL and Redis Streams', () => {
  let stack: Stack;
  let db: { url: string; drop: () => Promise<void> };
  const prefix = `${uniquePrefix('e2e')}:`;
  beforeAll(async () => {
    db = await createDatabase('rgw_e2e');
    stack = await startDistributed({ databaseUrl: db.url, redisUrl, redisKeyPrefix: prefix });
  }, 90_000);
  afterAll(async () => {
    const codes = await stack?.stop();
    await db?.drop();
    await dropRedisKeys(prefix);
    expect(codes).toEqual([0, 0, 0, 0, 0]);
  }, 60_000);

  defineSliceTests(() => stack);
  defineLinksTests(() => stack);
  defineEventsTests(() => stack);
  defineKycTests(() => stack);
  defineCommissionsTests(() => stack);
  defineSubscriptionTests(() => stack);

  it('each subgraph keeps its tables in its own PostgreSQL schema, created by migrations', async () => {
    const c = new Client({ connectionString: db.url });
    await c.connect();
    const { rows } = await c.query(
      `SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema IN ('gateway','links','events','kyc','commissions') ORDER BY 1, 2`,
    );
    await c.end();
    const bySchema: Record<string, string[]> = {};
    for (const r of rows) (bySchema[r.table_schema] ??= []).push(r.table_name);
    expect(bySchema.links).toEqual(expect.arrayContaining(['partners', 'outbox', 'processed_facts', 'migrations']));
    expect(bySchema.events).toEqual(expect.arrayContaining(['events', 'traders', 'referral_code_owners', 'outbox', 'processed_facts', 'migrations']));
    expect(bySchema.kyc).toEqual(expect.arrayContaining(['referral_codes', 'outbox', 'migrations']));
    expect(bySchema.commissions).toEqual(expect.arrayContaining(['commissions', 'outbox', 'migrations']));
    expect(bySchema.gateway).toEqual(expect.arrayContaining(['tenants', 'api_keys', 'migrations']));
    expect(bySchema.links).not.toContain('events');
  });

  it('a subgraph that stops makes /readyz answer 503 naming it, and it exits 0 on SIGTERM', async () => {
    const kyc = stack.procs.find((p) => p.name === 'kyc')!;
    kyc.child.kill('SIGTERM');
    expect((await kyc.exited).code).toBe(0);
    const res = await fetch(`${stack.origin}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { checks: Record<string, string> };
    expect(body.checks.kyc).toMatch(/^down: unreachable/);
    expect(body.checks.links).toBe('ok');
  });

  it('facts travel on Redis Streams under the configured key prefix', async () => {
    const redis = new Redis(redisUrl);
    const streams = await redis.keys(`${prefix}facts:*`);
    await redis.quit();
    expect(streams).toEqual(expect.arrayContaining([`${prefix}facts:partner.changed`, `${prefix}facts:referral_code.changed`, `${prefix}facts:event.recorded`]));
  });
});

describeWithPostgresAndRedis('npm start with DATABASE_URL and REDIS_URL', () => {
  it('serves the same graph from PostgreSQL and Redis', async () => {
    const db = await createDatabase('rgw_start');
    const prefix = `${uniquePrefix('start')}:`;
    const stack = await startEmbedded({ DATABASE_URL: db.url, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix });
    try {
      expect(stack.procs[0].output()).toMatch(/Referral gateway is running \(PostgreSQL postgres:\/\/.*, Redis redis:\/\//);
      const res = await stack.gql(`{ partners(first: 5) { nodes { name referralCode registrationCount earnings { totalIncome } } } }`);
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.partners.nodes).toEqual([{ name: 'Demo Partner', referralCode: 'demo', registrationCount: 0, earnings: { totalIncome: '0.00' } }]);
    } finally {
      expect(await stack.stop()).toEqual([0]);
      await db.drop();
      await dropRedisKeys(prefix);
    }
  }, 90_000);
});

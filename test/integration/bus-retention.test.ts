import 'reflect-metadata';
import Redis from 'ioredis';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { addBusRecoveryColumns, createBusTables, OutboxEntry, OutboxRelay, ProcessedFact } from '../../subgraphs/shared/src/bus/outbox';
import { RedisStreamsBus } from '../../subgraphs/shared/src/bus/redis-streams-bus';
import { configureLogger, openDataSource } from '../../subgraphs/shared/src';
import { waitFor } from '../helpers/harness';
import { createDatabase, describeWithPostgres, describeWithRedis, dropRedisKeys, redisUrl, uniquePrefix } from '../helpers/services';

const DAY = 86_400_000;

/**
 * Streams are trimmed only below what every consumer group acknowledged: an entry a group has not read, or read and
 * not acknowledged, is never trimmed (it may be the only copy left once the outbox has pruned it).
 */
describeWithRedis('stream trimming keeps every entry some consumer group still needs', () => {
  const prefix = `${uniquePrefix('trim')}:`;
  let bus: RedisStreamsBus;
  let redis: Redis;

  beforeAll(() => {
    configureLogger('silent');
    bus = new RedisStreamsBus(redisUrl, { streamPrefix: prefix });
    redis = new Redis(redisUrl);
  });

  afterAll(async () => {
    await bus.close();
    await redis.quit();
    await dropRedisKeys(prefix);
  });

  const publish = (type: string, n: number) =>
    bus.publishFromOutbox('trim-test', Array.from({ length: n }, (_, i) => ({ type, body: JSON.stringify({ id: `f${i}`, type, tenantId: 't', occurredAt: new Date().toISOString(), source: 'test', payload: {} }) })));
  const ids = async (stream: string) => (await redis.xrange(stream, '-', '+')).map(([id]) => id);

  it('a group that has read nothing, and entries read but not acknowledged, keep their entries; acknowledged ones go', async () => {
    const stream = `${prefix}trim.a`;
    await redis.xgroup('CREATE', stream, 'fast', '0', 'MKSTREAM');
    await redis.xgroup('CREATE', stream, 'slow', '0');
    await publish('trim.a', 10);
    const all = await ids(stream);
    expect(all).toHaveLength(10);

    // fast reads and acknowledges everything; slow has read nothing yet.
    await redis.xreadgroup('GROUP', 'fast', 'c1', 'COUNT', 100, 'STREAMS', stream, '>');
    await redis.xack(stream, 'fast', ...all);
    expect(await bus.trimAcknowledged(['trim.a'], DAY)).toBe(0);
    expect(await ids(stream)).toEqual(all);

    // slow reads five and acknowledges the first three: two stay pending.
    await redis.xreadgroup('GROUP', 'slow', 'c2', 'COUNT', 5, 'STREAMS', stream, '>');
    await redis.xack(stream, 'slow', ...all.slice(0, 3));
    expect(await bus.trimAcknowledged(['trim.a'], DAY)).toBe(3);
    expect(await ids(stream)).toEqual(all.slice(3));

    // Acknowledging the pending ones frees up to the last slow read, no further.
    await redis.xack(stream, 'slow', ...all.slice(3, 5));
    expect(await bus.trimAcknowledged(['trim.a'], DAY)).toBe(2);
    expect(await ids(stream)).toEqual(all.slice(5));
  });

  it('a stream no group reads keeps the retention window of history for groups created later', async () => {
    await publish('trim.b', 3);
    expect(await bus.trimAcknowledged(['trim.b'], DAY)).toBe(0);
    expect(await ids(`${prefix}trim.b`)).toHaveLength(3);
  });
});

class BusTables1765001600091 implements MigrationInterface {
  name = 'BusTables1765001600091';
  async up(q: QueryRunner): Promise<void> {
    await createBusTables(q);
    await addBusRecoveryColumns(q);
  }
  async down(): Promise<void> {}
}

describeWithPostgres('outbox and inbox retention', () => {
  let ds: DataSource;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    configureLogger('silent');
    const database = await createDatabase('rgw_retention');
    drop = database.drop;
    ds = (await openDataSource('retention', { databaseUrl: database.url, dataDir: '', poolSize: 3 }, [OutboxEntry, ProcessedFact], [BusTables1765001600091])).dataSource;
  });

  afterAll(async () => {
    await ds?.destroy();
    await drop?.();
  });

  it('published facts are kept for the retention and pruned after it; processed fact ids are kept a day longer', async () => {
    const now = Date.now();
    const ago = (ms: number) => new Date(now - ms);
    const fact = (id: string, createdAt: Date, publishedAt: Date) => ({ factId: id, type: 't', tenantId: 'x', body: '{}', createdAt, publishedAt });
    await ds.getRepository(OutboxEntry).insert([
      fact('old-published', ago(7 * DAY + 60_000), ago(7 * DAY)),
      fact('young-published', ago(7 * DAY - 60_000), ago(7 * DAY - 60_000)),
    ]);
    await ds.getRepository(ProcessedFact).insert([
      { consumer: 'c', factId: 'seen-8d-ago', processedAt: ago(8 * DAY + 60_000) },
      { consumer: 'c', factId: 'seen-7d-ago', processedAt: ago(7 * DAY + 60_000) },
    ]);
    const relay = new OutboxRelay(ds, { kind: 'memory', publish: async () => undefined, consume: () => ({ stop: async () => undefined }), ping: async () => undefined, close: async () => undefined }, { pollMs: 60_000 });
    relay.start();
    try {
      await waitFor('the prune', async () => ((await ds.getRepository(OutboxEntry).countBy({ factId: 'old-published' })) === 0 ? true : undefined));
    } finally {
      await relay.stop();
    }
    expect((await ds.getRepository(OutboxEntry).find()).map((r) => r.factId)).toEqual(['young-published']);
    expect((await ds.getRepository(ProcessedFact).find()).map((r) => r.factId)).toEqual(['seen-7d-ago']);
  });

  it('a de-duplication window shorter than the republish window and a day is refused', () => {
    const bus = { kind: 'memory' as const, publish: async () => undefined, consume: () => ({ stop: async () => undefined }), ping: async () => undefined, close: async () => undefined };
    expect(() => new OutboxRelay(ds, bus, { retentionMs: 7 * DAY, processedFactsRetentionMs: 7 * DAY + 3_600_000 })).toThrow(/at least retentionMs \+ 24 h/);
  });
});

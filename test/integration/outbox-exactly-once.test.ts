import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { Column, DataSource, Entity, MigrationInterface, PrimaryColumn, QueryRunner, Table } from 'typeorm';
import { Bus, Consumer, Fact } from '../../subgraphs/shared/src/bus/bus';
import { RedisStreamsBus } from '../../subgraphs/shared/src/bus/redis-streams-bus';
import { addBusRecoveryColumns, consumeOnce, createBusTables, Outbox, OutboxEntry, OutboxRelay, ProcessedFact } from '../../subgraphs/shared/src/bus/outbox';
import { DbConfig, openDataSource } from '../../subgraphs/shared/src/data-source';
import { configureLogger } from '../../subgraphs/shared/src/logger';
import { createDatabase, describeWithPostgresAndRedis, describeWithRedis, redisUrl, uniquePrefix, waitUntil } from '../helpers/services';

/** The consumer's effect: a credited balance that must move once per fact. */
@Entity('balances')
class Balance {
  @PrimaryColumn({ type: 'varchar' })
  account: string;

  @Column({ type: 'integer' })
  credits: number;
}

class TestTables1763596800000 implements MigrationInterface {
  name = 'TestTables1763596800000';
  async up(q: QueryRunner): Promise<void> {
    await createBusTables(q);
    await addBusRecoveryColumns(q);
    await q.createTable(new Table({ name: 'balances', columns: [{ name: 'account', type: 'varchar', isPrimary: true }, { name: 'credits', type: 'integer' }] }));
  }
  async down(): Promise<void> {}
}

/** Publishes, then dies before the relay can mark the row: the worst moment for a crash. */
class CrashAfterPublish implements Bus {
  readonly kind = 'redis' as const;
  constructor(private readonly inner: Bus) {}
  async publish(fact: Fact): Promise<void> {
    await this.inner.publish(fact);
    throw new Error('simulated crash after publish');
  }
  consume(): Consumer {
    throw new Error('not used');
  }
  ping() {
    return this.inner.ping();
  }
  close() {
    return Promise.resolve();
  }
}

function exactlyOnceSuite(label: string, database: () => Promise<{ db: DbConfig; cleanup: () => Promise<void> }>) {
  const prefix = `${uniquePrefix('outbox')}:`;
  let producer: DataSource;
  let consumerDb: DataSource;
  let bus: RedisStreamsBus;
  let cleanups: (() => Promise<void>)[] = [];

  beforeAll(async () => {
    configureLogger('silent');
    const a = await database();
    const b = await database();
    cleanups = [a.cleanup, b.cleanup];
    producer = (await openDataSource(`producer_${label}`, a.db, [Balance, OutboxEntry, ProcessedFact], [TestTables1763596800000])).dataSource;
    consumerDb = (await openDataSource(`consumer_${label}`, b.db, [Balance, OutboxEntry, ProcessedFact], [TestTables1763596800000])).dataSource;
    bus = new RedisStreamsBus(redisUrl, { streamPrefix: prefix });
  });

  afterAll(async () => {
    await bus?.close();
    await producer?.destroy();
    await consumerDb?.destroy();
    for (const c of cleanups) await c();
    const redis = new Redis(redisUrl);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('a fact is applied exactly once by a consumer even when a relay dies after publishing it and another relay publishes it again', async () => {
    const deliveries: string[] = [];
    const consumer = bus.consume({
      group: 'test.balances',
      types: ['credit.granted'],
      redeliverAfterMs: 500,
      handler: async (fact) => {
        deliveries.push(fact.id);
        await consumeOnce(consumerDb, 'test.balances', fact, async (m) => {
          const repo = m.getRepository(Balance);
          const row = await repo.findOneBy({ account: 'acc-1' });
          await repo.save({ account: 'acc-1', credits: (row?.credits ?? 0) + 1 });
        });
      },
    });

    // The change and its fact commit together.
    const outbox = new Outbox(producer, 'test');
    const written = await outbox.transaction(async (_m, emit) => emit('credit.granted', 'ten_1', { account: 'acc-1' }));

    const crashing = new OutboxRelay(producer, new CrashAfterPublish(bus), { pollMs: 50 });
    await crashing.flush();
    await crashing.stop();
    const row = await producer.getRepository(OutboxEntry).findOneByOrFail({ factId: written.id });
    expect(row.publishedAt).toBeNull();

    const restarted = new OutboxRelay(producer, bus, { pollMs: 50 });
    await restarted.flush();
    await restarted.stop();
    expect((await producer.getRepository(OutboxEntry).findOneByOrFail({ factId: written.id })).publishedAt).toBeInstanceOf(Date);

    await waitUntil('both copies of the fact are delivered', () => deliveries.length >= 2, 10_000);
    expect(deliveries).toEqual([written.id, written.id]);
    expect(await consumerDb.getRepository(Balance).findOneByOrFail({ account: 'acc-1' })).toEqual({ account: 'acc-1', credits: 1 });
    await consumer.stop();
  });

  it('a rolled-back change leaves no fact behind', async () => {
    const outbox = new Outbox(producer, 'test');
    const before = await producer.getRepository(OutboxEntry).count();
    await expect(
      outbox.transaction(async (_m, emit) => {
        emit('credit.granted', 'ten_1', { account: 'acc-2' });
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    expect(await producer.getRepository(OutboxEntry).count()).toBe(before);
  });
}

describeWithRedis('transactional outbox on SQLite with Redis Streams', () => {
  exactlyOnceSuite('sqlite', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rgw-outbox-'));
    return { db: { dataDir: dir }, cleanup: async () => fs.rmSync(dir, { recursive: true, force: true }) };
  });
});

describeWithPostgresAndRedis('transactional outbox on PostgreSQL with Redis Streams', () => {
  exactlyOnceSuite('pg', async () => {
    const database = await createDatabase('rgw_outbox');
    return { db: { databaseUrl: database.url, dataDir: '' }, cleanup: database.drop };
  });
});

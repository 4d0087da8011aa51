import 'reflect-metadata';
import Redis from 'ioredis';
import { register } from 'prom-client';
import { Column, DataSource, Entity, MigrationInterface, PrimaryColumn, QueryRunner, Table } from 'typeorm';
import { addBusRecoveryColumns, consumeOnce, createBusTables, Outbox, OutboxEntry, OutboxRelay, ProcessedFact } from '../../subgraphs/shared/src/bus/outbox';
import { Consumer, Fact } from '../../subgraphs/shared/src/bus/bus';
import { RedisStreamsBus } from '../../subgraphs/shared/src/bus/redis-streams-bus';
import { configureLogger, openDataSource } from '../../subgraphs/shared/src';
import { waitFor } from '../helpers/harness';
import { startOwnRedis, OwnRedis } from '../helpers/own-redis';
import { createDatabase, describeWithPostgres, uniquePrefix } from '../helpers/services';

@Entity('balances')
class Balance {
  @PrimaryColumn({ type: 'varchar' })
  account: string;

  @Column({ type: 'integer' })
  credits: number;
}

class TestTables1765001600090 implements MigrationInterface {
  name = 'TestTables1765001600090';
  async up(q: QueryRunner): Promise<void> {
    await createBusTables(q);
    await addBusRecoveryColumns(q);
    await q.createTable(new Table({ name: 'balances', columns: [{ name: 'account', type: 'varchar', isPrimary: true }, { name: 'credits', type: 'integer' }] }));
  }
  async down(): Promise<void> {}
}

/** Sum of a counter's values whose labels include `labels` (0 before the counter exists). */
async function counter(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = register.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((sum, v) => sum + v.value, 0);
}

/**
 * Redis forgetting what it held (restart without persistence, FLUSHALL, a failover to a replica that lagged, a
 * deleted stream) loses no fact: the outbox relay notices and publishes again from the outbox, and the consumer
 * applies each fact once. Real PostgreSQL, and a redis-server of the suite's own that it restarts.
 */
describeWithPostgres('when Redis forgets, the outbox republishes and consumers apply each fact once', () => {
  let redis: OwnRedis;
  let producer: DataSource;
  let consumerDb: DataSource;
  const drops: (() => Promise<void>)[] = [];
  const running: { stop(): Promise<void> }[] = [];

  async function open(label: string): Promise<DataSource> {
    const database = await createDatabase(label);
    const { dataSource } = await openDataSource(label, { databaseUrl: database.url, dataDir: '', poolSize: 5 }, [Balance, OutboxEntry, ProcessedFact], [TestTables1765001600090]);
    drops.push(async () => {
      await dataSource.destroy();
      await database.drop();
    });
    return dataSource;
  }

  beforeAll(async () => {
    configureLogger('silent');
    redis = await startOwnRedis();
    consumerDb = await open('rgw_forgets_consumer');
  });

  afterEach(async () => {
    for (const r of running.splice(0).reverse()) await r.stop();
  });

  afterAll(async () => {
    for (const drop of drops) await drop();
    await redis?.close();
  });

  /**
   * A producer (its own database: one outbox is one subgraph's, relayed under one name) and a consumer crediting
   * `account` once per fact, on streams of their own.
   */
  async function pipeline(redisUrl: string) {
    producer = await open('rgw_forgets_producer');
    const streamPrefix = `${uniquePrefix('forgets')}:`;
    const bus = new RedisStreamsBus(redisUrl, { streamPrefix });
    const source = uniquePrefix('outbox');
    const relay = new OutboxRelay(producer, bus, { source, pollMs: 50, lossCheckMs: 100, maintenanceMs: 200 });
    const outbox = new Outbox(producer, source, relay.nudge);
    relay.start();
    running.push({ stop: () => bus.close() }, relay);
    const deliveries: string[] = [];
    let consumer: Consumer | null = null;
    return {
      bus,
      stream: `${streamPrefix}credit.granted`,
      source,
      deliveries,
      credit: (account: string) => outbox.transaction(async (_m, emit) => emit('credit.granted', 'ten_1', { account })),
      startConsumer() {
        consumer = bus.consume({
          group: 'test.balances',
          types: ['credit.granted'],
          redeliverAfterMs: 500,
          handler: async (fact: Fact) => {
            deliveries.push(fact.id);
            await consumeOnce(consumerDb, `test.balances.${source}`, fact, async (m) => {
              const { account } = fact.payload as { account: string };
              const repo = m.getRepository(Balance);
              const row = await repo.findOneBy({ account });
              await repo.save({ account, credits: (row?.credits ?? 0) + 1 });
            });
          },
        });
        running.push(consumer);
      },
      async stopConsumer() {
        await consumer?.stop();
      },
    };
  }

  const row = (factId: string) => producer.getRepository(OutboxEntry).findOneByOrFail({ factId });
  const published = (factId: string) => waitFor(`${factId} published`, async () => ((await row(factId)).publishedAt ? true : undefined));
  const credits = async (account: string) => (await consumerDb.getRepository(Balance).findOneBy({ account }))?.credits ?? 0;
  const processedRows = (source: string) => consumerDb.getRepository(ProcessedFact).countBy({ consumer: `test.balances.${source}` });

  it('a fact published before Redis restarted without persistence, before its consumer read it, is republished and applied once', async () => {
    const p = await pipeline(redis.url);
    const account = uniquePrefix('acc');
    const before = { lost: await counter('bus_data_loss_detected_total'), again: await counter('bus_facts_republished_total', { outbox: p.source }), restarts: await counter('bus_redis_restarts_total', { outbox: p.source }) };
    const fact = await p.credit(account);
    await published(fact.id);
    const firstEpoch = (await row(fact.id)).busEpoch;
    expect(firstEpoch).toEqual(expect.any(String));

    // The consumer is down (killed) while Redis restarts and forgets the stream, its group and the fact.
    await redis.restart();
    await waitFor('the relay to republish the fact under a new epoch', async () => {
      const r = await row(fact.id);
      return r.publishedAt && r.busEpoch !== firstEpoch ? true : undefined;
    });
    // Seen as the mark gone, or (when the relay was looking at its streams as Redis went) the stream gone.
    expect(await counter('bus_data_loss_detected_total')).toBeGreaterThan(before.lost);
    expect(await counter('bus_facts_republished_total', { outbox: p.source })).toBe(before.again + 1);
    expect(await counter('bus_redis_restarts_total', { outbox: p.source })).toBe(before.restarts + 1);

    p.startConsumer();
    await waitFor('the consumer to apply the fact', async () => ((await credits(account)) === 1 ? true : undefined));
    expect(await processedRows(p.source)).toBe(1);
  });

  it('after FLUSHALL every fact of the window is published again: the one consumed is not applied twice, the one not yet read is applied once', async () => {
    const p = await pipeline(redis.url);
    const account = uniquePrefix('acc');
    p.startConsumer();
    const consumed = await p.credit(account);
    await waitFor('the first credit', async () => ((await credits(account)) === 1 ? true : undefined));
    await p.stopConsumer();
    const unread = await p.credit(account);
    await published(unread.id);
    const epoch = (await row(unread.id)).busEpoch;

    const admin = new Redis(redis.url);
    await admin.flushall();
    await admin.quit();
    await waitFor('both facts republished', async () => {
      const rows = await Promise.all([row(consumed.id), row(unread.id)]);
      return rows.every((r) => r.publishedAt && r.busEpoch !== epoch) ? true : undefined;
    });

    p.startConsumer();
    await waitFor('the unread fact applied', async () => ((await credits(account)) === 2 ? true : undefined));
    // The consumed fact was delivered again (republished) and changed nothing.
    await waitFor('the consumed fact delivered again', async () => (p.deliveries.filter((id) => id === consumed.id).length >= 2 ? true : undefined));
    expect(await credits(account)).toBe(2);
    expect(await processedRows(p.source)).toBe(2);
  });

  it('a Redis whose mark is behind the outbox (a failover to a lagging replica) gets the facts after the mark again, applied once', async () => {
    const p = await pipeline(redis.url);
    const account = uniquePrefix('acc');
    p.startConsumer();
    const facts = [await p.credit(account), await p.credit(account), await p.credit(account)];
    await waitFor('three credits', async () => ((await credits(account)) === 3 ? true : undefined));
    const before = { behind: await counter('bus_data_loss_detected_total', { reason: 'mark_behind' }), again: await counter('bus_facts_republished_total', { outbox: p.source }) };
    const last = await row(facts[2].id);

    // What a replica that missed the last two publications holds: the mark two positions back.
    const admin = new Redis(redis.url);
    const markKey = (await admin.keys(`*~outbox:${p.source}`))[0];
    await admin.hset(markKey, 'position', Number(last.busPosition) - 2);
    await admin.quit();

    await waitFor('the last two facts delivered again', async () => (facts.slice(1).every((f) => p.deliveries.filter((id) => id === f.id).length >= 2) ? true : undefined));
    expect(p.deliveries.filter((id) => id === facts[0].id)).toHaveLength(1);
    expect(await counter('bus_data_loss_detected_total', { reason: 'mark_behind' })).toBe(before.behind + 1);
    expect(await counter('bus_facts_republished_total', { outbox: p.source })).toBe(before.again + 2);
    expect(await credits(account)).toBe(3);
  });

  it('a stream deleted from Redis is detected (its facts republished, its group recreated) and nothing is applied twice', async () => {
    const p = await pipeline(redis.url);
    const account = uniquePrefix('acc');
    p.startConsumer();
    const fact = await p.credit(account);
    await waitFor('the credit', async () => ((await credits(account)) === 1 ? true : undefined));
    const before = { stream: await counter('bus_data_loss_detected_total', { reason: 'stream_missing' }), group: await counter('bus_data_loss_detected_total', { reason: 'group_missing' }) };

    const admin = new Redis(redis.url);
    // Redis keeps running (same run_id, mark intact): only the stream, with its group, is gone.
    expect(await admin.del(p.stream)).toBe(1);
    await admin.quit();

    await waitFor('the fact delivered again', async () => (p.deliveries.filter((id) => id === fact.id).length >= 2 ? true : undefined));
    expect(await counter('bus_data_loss_detected_total', { reason: 'stream_missing' })).toBe(before.stream + 1);
    expect(await counter('bus_data_loss_detected_total', { reason: 'group_missing' })).toBeGreaterThan(before.group);
    expect(await credits(account)).toBe(1);
  });
});

describeWithPostgres('a Redis restart that keeps its data (AOF) is noticed and republishes nothing', () => {
  let redis: OwnRedis;
  let producer: DataSource;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    configureLogger('silent');
    redis = await startOwnRedis({ aof: true });
    const database = await createDatabase('rgw_forgets_aof');
    drop = database.drop;
    producer = (await openDataSource('aof', { databaseUrl: database.url, dataDir: '', poolSize: 5 }, [Balance, OutboxEntry, ProcessedFact], [TestTables1765001600090])).dataSource;
  });

  afterAll(async () => {
    await producer?.destroy();
    await drop?.();
    await redis?.close();
  });

  it('the run_id change is counted, the mark is intact, no fact is republished', async () => {
    const bus = new RedisStreamsBus(redis.url, { streamPrefix: `${uniquePrefix('aof')}:` });
    const source = uniquePrefix('outbox');
    const relay = new OutboxRelay(producer, bus, { source, pollMs: 50, lossCheckMs: 100 });
    const outbox = new Outbox(producer, source, relay.nudge);
    relay.start();
    try {
      const fact = await outbox.transaction(async (_m, emit) => emit('credit.granted', 'ten_1', { account: 'a' }));
      await waitFor('published', async () => ((await producer.getRepository(OutboxEntry).findOneByOrFail({ factId: fact.id })).publishedAt ? true : undefined));
      const before = await producer.getRepository(OutboxEntry).findOneByOrFail({ factId: fact.id });
      const restarts = await counter('bus_redis_restarts_total', { outbox: source });
      const again = await counter('bus_facts_republished_total', { outbox: source });

      await redis.restart();
      await waitFor('the restart noticed', async () => ((await counter('bus_redis_restarts_total', { outbox: source })) === restarts + 1 ? true : undefined));
      // One more full check after the restart was noticed: still nothing to republish.
      await relay.flush();
      const after = await producer.getRepository(OutboxEntry).findOneByOrFail({ factId: fact.id });
      expect({ epoch: after.busEpoch, position: after.busPosition }).toEqual({ epoch: before.busEpoch, position: before.busPosition });
      expect(await counter('bus_facts_republished_total', { outbox: source })).toBe(again);
    } finally {
      await relay.stop();
      await bus.close();
    }
  });
});

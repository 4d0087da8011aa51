import { Column, DataSource, Entity, EntityManager, Index, PrimaryColumn, QueryRunner, Table, TableIndex } from 'typeorm';
import { newId } from '../ids';
import { columnTypes, isPostgres } from '../data-source';
import { logger, Logger } from '../logger';
import { Bus, Fact, ForgetfulBus, isForgetfulBus } from './bus';
import { BusLossDetector } from './loss-detector';

/**
 * Transactional outbox: a fact is written in the same database transaction as the
 * change it describes, so an acknowledged write can never lose its fact; the relay
 * publishes unpublished rows to the bus and marks them. If the process dies between
 * publishing and marking, the fact is published again: consumers de-duplicate.
 */
@Entity('outbox')
@Index('outbox_unpublished', ['publishedAt', 'seq'])
export class OutboxEntry {
  /** Commit order within this subgraph; assigned by the database. */
  @Column({ type: 'integer', generated: 'increment', primary: true })
  seq: number;

  @Column({ name: 'fact_id', type: 'varchar', unique: true })
  factId: string;

  @Column({ type: 'varchar' })
  type: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ type: 'text' })
  body: string;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'published_at', type: Date, nullable: true })
  publishedAt: Date | null;

  /** The bus's epoch when it accepted the fact (see OutboxMark); null on a bus that cannot forget on its own. */
  @Column({ name: 'bus_epoch', type: 'varchar', nullable: true })
  busEpoch: string | null;

  /** The fact's position in that epoch: above the bus's current mark means the bus forgot it. */
  @Column({ name: 'bus_position', type: 'bigint', nullable: true })
  busPosition: string | null;
}

/** Inbox of a consumer: a fact id is recorded with the consumer's effect, once. */
@Entity('processed_facts')
export class ProcessedFact {
  @PrimaryColumn({ type: 'varchar' })
  consumer: string;

  @PrimaryColumn({ name: 'fact_id', type: 'varchar' })
  factId: string;

  @Column({ name: 'processed_at' })
  processedAt: Date;
}

/** DDL for the outbox and inbox tables; every subgraph's first migration calls it. */
export async function createBusTables(queryRunner: QueryRunner): Promise<void> {
  const t = columnTypes(queryRunner);
  await queryRunner.createTable(
    new Table({
      name: 'outbox',
      columns: [
        { name: 'seq', type: t.serial, isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
        { name: 'fact_id', type: 'varchar', isUnique: true },
        { name: 'type', type: 'varchar' },
        { name: 'tenant_id', type: 'varchar' },
        { name: 'body', type: 'text' },
        { name: 'created_at', type: t.timestamp },
        { name: 'published_at', type: t.timestamp, isNullable: true },
      ],
    }),
  );
  await queryRunner.createIndex('outbox', new TableIndex({ name: 'outbox_unpublished', columnNames: ['published_at', 'seq'] }));
  await queryRunner.createTable(
    new Table({
      name: 'processed_facts',
      columns: [
        { name: 'consumer', type: 'varchar', isPrimary: true },
        { name: 'fact_id', type: 'varchar', isPrimary: true },
        { name: 'processed_at', type: t.timestamp },
      ],
    }),
  );
}

/**
 * Columns that let the relay notice that Redis forgot published facts (bus epoch and position
 * of each published fact), and indexes for retention: the outbox is pruned by creation time,
 * the inbox by processing time. Every subgraph's migration 1765001600000+ calls it.
 */
export async function addBusRecoveryColumns(queryRunner: QueryRunner): Promise<void> {
  const t = columnTypes(queryRunner);
  // Plain ALTER TABLE (not TypeORM's SQLite table rebuild, which misses columns added in SQL before).
  await queryRunner.query('ALTER TABLE outbox ADD COLUMN bus_epoch varchar');
  await queryRunner.query(`ALTER TABLE outbox ADD COLUMN bus_position ${t.bigint}`);
  await queryRunner.createIndex('outbox', new TableIndex({ name: 'outbox_bus_position', columnNames: ['bus_epoch', 'bus_position'] }));
  await queryRunner.createIndex('outbox', new TableIndex({ name: 'outbox_created', columnNames: ['created_at'] }));
  await queryRunner.createIndex('processed_facts', new TableIndex({ name: 'processed_facts_processed', columnNames: ['processed_at'] }));
}

export async function dropBusRecoveryColumns(queryRunner: QueryRunner): Promise<void> {
  await queryRunner.dropIndex('processed_facts', 'processed_facts_processed');
  await queryRunner.dropIndex('outbox', 'outbox_created');
  await queryRunner.dropIndex('outbox', 'outbox_bus_position');
  await queryRunner.query('ALTER TABLE outbox DROP COLUMN bus_position');
  await queryRunner.query('ALTER TABLE outbox DROP COLUMN bus_epoch');
}

/** `?` placeholders for both drivers: PostgreSQL wants `$1, $2, ...`. */
export function sql(ds: DataSource | EntityManager, text: string): string {
  const source = ds instanceof DataSource ? ds : ds.connection;
  if (!isPostgres(source)) return text;
  let i = 0;
  return text.replace(/\?/g, () => `$${++i}`);
}

/**
 * SQLite has one connection: transactions from concurrent requests must take turns or
 * they would nest. PostgreSQL transactions use pooled connections and run in parallel.
 */
const sqliteLocks = new WeakMap<DataSource, Promise<unknown>>();

export async function transaction<T>(ds: DataSource, work: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (isPostgres(ds)) return ds.transaction(work);
  const previous = sqliteLocks.get(ds) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => ds.transaction(work));
  sqliteLocks.set(ds, run);
  return run;
}

export type Emit = <P>(type: string, tenantId: string, payload: P) => Fact<P>;

export class Outbox {
  constructor(
    readonly dataSource: DataSource,
    private readonly source: string,
    private readonly onCommit: () => void = () => undefined,
  ) {}

  /** consumeOnce whose effect may emit facts (committed with the inbox row and the effect). */
  async consume(consumer: string, fact: Fact, effect: (manager: EntityManager, emit: Emit) => Promise<void>): Promise<boolean> {
    let emitted = false;
    const done = await consumeOnce(this.dataSource, consumer, fact, async (m) => {
      const facts: Fact[] = [];
      const emit: Emit = (type, tenantId, payload) => {
        const f = { id: newId('fct'), type, tenantId, occurredAt: new Date().toISOString(), source: this.source, payload };
        facts.push(f);
        return f;
      };
      await effect(m, emit);
      if (facts.length) await writeFacts(m, facts);
      emitted = facts.length > 0;
    });
    if (emitted) this.onCommit();
    return done;
  }

  /** Runs `work` in a transaction; facts it emits are committed with it, then relayed. */
  async transaction<T>(work: (manager: EntityManager, emit: Emit) => Promise<T>): Promise<T> {
    let emitted = 0;
    const result = await transaction(this.dataSource, async (manager) => {
      const facts: Fact[] = [];
      const emit: Emit = (type, tenantId, payload) => {
        const fact = { id: newId('fct'), type, tenantId, occurredAt: new Date().toISOString(), source: this.source, payload };
        facts.push(fact);
        return fact;
      };
      const value = await work(manager, emit);
      if (facts.length) await writeFacts(manager, facts);
      emitted = facts.length;
      return value;
    });
    if (emitted) this.onCommit();
    return result;
  }
}

export async function writeFacts(manager: EntityManager, facts: Fact[]): Promise<void> {
  const now = new Date();
  await manager.getRepository(OutboxEntry).insert(
    facts.map((f) => ({ factId: f.id, type: f.type, tenantId: f.tenantId, body: JSON.stringify(f), createdAt: now, publishedAt: null })),
  );
}

/** Published facts are kept this long by default (OUTBOX_RETENTION_HOURS): the window Redis losses are repaired in. */
export const DEFAULT_OUTBOX_RETENTION_MS = 7 * 86_400_000;
/**
 * How much longer than the outbox retention a consumer remembers the facts it processed: a fact
 * republished at the end of its retention may wait this long in a stream (its consumer down) and
 * still be recognised. PROCESSED_FACTS_RETENTION_HOURS must be at least retention + this.
 */
export const DEDUP_MARGIN_MS = 86_400_000;

export interface RelayOptions {
  /** How often to look for unpublished facts when not nudged. Default 500 ms. */
  pollMs?: number;
  batchSize?: number;
  /**
   * Name of the outbox on the bus (the subgraph). With it, a bus that can forget (Redis) records
   * where each fact went and the relay republishes what the bus lost; without it, facts are
   * published without that record (tests of the bus alone).
   */
  source?: string;
  /** Published facts created longer ago than this are deleted; younger ones are republished when the bus loses them. Default 7 days. */
  retentionMs?: number;
  /** Inbox rows (`processed_facts`) older than this are deleted; at least retentionMs + DEDUP_MARGIN_MS. Default retention + margin. */
  processedFactsRetentionMs?: number;
  /** How often to ask the bus whether it lost facts. Default 5 000 ms. */
  lossCheckMs?: number;
  /** How often to prune and trim. Default 60 000 ms. */
  maintenanceMs?: number;
}

/** Publishes outbox rows to the bus, in commit order, and marks them published. */
export class OutboxRelay {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private lastMaintenance = 0;
  private readonly log: Logger;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly retentionMs: number;
  private readonly processedFactsRetentionMs: number;
  private readonly maintenanceMs: number;
  private readonly forgetful: { bus: ForgetfulBus; source: string; detector: BusLossDetector } | null;

  constructor(
    private readonly ds: DataSource,
    private readonly bus: Bus,
    options: RelayOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 500;
    this.batchSize = options.batchSize ?? 100;
    this.retentionMs = options.retentionMs ?? DEFAULT_OUTBOX_RETENTION_MS;
    this.processedFactsRetentionMs = options.processedFactsRetentionMs ?? this.retentionMs + DEDUP_MARGIN_MS;
    if (this.processedFactsRetentionMs < this.retentionMs + DEDUP_MARGIN_MS) {
      // Otherwise a fact republished near the end of its retention could be applied twice.
      throw new Error('processedFactsRetentionMs must be at least retentionMs + 24 h: the inbox must remember every fact the outbox may republish');
    }
    this.maintenanceMs = options.maintenanceMs ?? 60_000;
    this.log = logger('outbox-relay');
    this.forgetful =
      options.source && isForgetfulBus(bus)
        ? {
            bus,
            source: options.source,
            detector: new BusLossDetector(ds, bus, options.source, { retentionMs: this.retentionMs, checkMs: options.lossCheckMs ?? 5_000, log: this.log }),
          }
        : null;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Called after a commit that wrote facts, so they go out without waiting for the poll. */
  nudge = (): void => {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  };

  /** Publishes everything committed so far; resolves when the outbox is empty. */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    await this.runOnce();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.running) await this.running.catch(() => undefined);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runOnce().finally(() => {
        if (this.again) {
          this.again = false;
          this.schedule(0);
        } else this.schedule(this.pollMs);
      });
    }, ms);
    this.timer.unref?.();
  }

  private async runOnce(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        // Before publishing: facts the bus forgot go back in line, in commit order with the rest.
        await this.forgetful?.detector.check();
        let published: number;
        do published = await this.publishBatch();
        while (published === this.batchSize && !this.stopped);
        await this.maintain();
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'outbox relay could not publish; will retry');
      }
    })();
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  private async publishBatch(): Promise<number> {
    const pg = isPostgres(this.ds);
    return transaction(this.ds, async (m) => {
      // SKIP LOCKED lets several replicas relay the same outbox without double work.
      const rows: { seq: number; type: string; body: string }[] = await m.query(
        sql(m, `SELECT seq, type, body FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT ?${pg ? ' FOR UPDATE SKIP LOCKED' : ''}`),
        [this.batchSize],
      );
      if (!rows.length) return 0;
      const now = pg ? new Date() : sqliteDate(new Date());
      const seqs = rows.map((r) => r.seq);
      const inList = seqs.map(() => '?').join(',');
      if (this.forgetful) {
        const mark = await this.forgetful.bus.publishFromOutbox(this.forgetful.source, rows);
        const first = mark.position - rows.length + 1;
        // Rows are in seq order and the bus numbered them in the same order.
        await m.query(sql(m, `UPDATE outbox SET published_at = ?, bus_epoch = ?, bus_position = CASE seq ${seqs.map(() => 'WHEN ? THEN CAST(? AS BIGINT)').join(' ')} END WHERE seq IN (${inList})`), [
          now,
          mark.epoch,
          ...seqs.flatMap((seq, i) => [seq, first + i]),
          ...seqs,
        ]);
      } else {
        for (const row of rows) await this.bus.publish(JSON.parse(row.body) as Fact);
        await m.query(sql(m, `UPDATE outbox SET published_at = ? WHERE seq IN (${inList})`), [now, ...seqs]);
      }
      return rows.length;
    });
  }

  /** Retention: published facts past the republish window, inbox rows past the de-duplication window, acknowledged stream entries. */
  private async maintain(): Promise<void> {
    const now = Date.now();
    if (now - this.lastMaintenance < this.maintenanceMs) return;
    this.lastMaintenance = now;
    const pg = isPostgres(this.ds);
    const at = (ms: number) => (pg ? new Date(now - ms) : sqliteDate(new Date(now - ms)));
    await this.ds.query(sql(this.ds, 'DELETE FROM outbox WHERE published_at IS NOT NULL AND created_at < ?'), [at(this.retentionMs)]);
    await this.ds.query(sql(this.ds, 'DELETE FROM processed_facts WHERE processed_at < ?'), [at(this.processedFactsRetentionMs)]);
    if (this.forgetful) {
      const types = await this.forgetful.detector.publishedTypes();
      await this.forgetful.bus.trimAcknowledged(types, this.retentionMs);
      await this.forgetful.detector.checkStreams(types);
    }
  }
}

/** How TypeORM stores a Date in an SQLite datetime column; raw SQL comparisons need the same form. */
export function sqliteDate(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/**
 * Applies `effect` for `fact` at most once for `consumer`: the inbox row and the effect
 * commit together, so a redelivered fact (or one delivered to two replicas at once)
 * changes nothing the second time. Returns false when the fact had been processed.
 */
export async function consumeOnce(
  ds: DataSource,
  consumer: string,
  fact: Fact,
  effect: (manager: EntityManager) => Promise<void>,
): Promise<boolean> {
  return transaction(ds, async (m) => {
    const pg = isPostgres(ds);
    const inserted: unknown[] = await m.query(
      sql(m, 'INSERT INTO processed_facts (consumer, fact_id, processed_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING fact_id'),
      [consumer, fact.id, pg ? new Date() : sqliteDate(new Date())],
    );
    if (!inserted.length) return false;
    await effect(m);
    return true;
  });
}

import { Column, DataSource, Entity, EntityManager, Index, PrimaryColumn, QueryRunner, Table, TableIndex } from 'typeorm';
import { newId } from '../ids';
import { columnTypes, isPostgres } from '../data-source';
import { logger, Logger } from '../logger';
import { Bus, Fact } from './bus';

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

export interface RelayOptions {
  /** How often to look for unpublished facts when not nudged. Default 500 ms. */
  pollMs?: number;
  batchSize?: number;
  /** Published rows older than this are deleted. Default 24 h. */
  retentionMs?: number;
}

/** Publishes outbox rows to the bus, in commit order, and marks them published. */
export class OutboxRelay {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private lastPrune = 0;
  private readonly log: Logger;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly retentionMs: number;

  constructor(
    private readonly ds: DataSource,
    private readonly bus: Bus,
    options: RelayOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 500;
    this.batchSize = options.batchSize ?? 100;
    this.retentionMs = options.retentionMs ?? 24 * 3600 * 1000;
    this.log = logger('outbox-relay');
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
        let published: number;
        do published = await this.publishBatch();
        while (published === this.batchSize && !this.stopped);
        await this.prune();
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
      const rows: { seq: number; body: string }[] = await m.query(
        sql(m, `SELECT seq, body FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT ?${pg ? ' FOR UPDATE SKIP LOCKED' : ''}`),
        [this.batchSize],
      );
      if (!rows.length) return 0;
      for (const row of rows) await this.bus.publish(JSON.parse(row.body) as Fact);
      const seqs = rows.map((r) => r.seq);
      await m.query(sql(m, `UPDATE outbox SET published_at = ? WHERE seq IN (${seqs.map(() => '?').join(',')})`), [
        pg ? new Date() : new Date().toISOString().replace('T', ' ').replace('Z', ''),
        ...seqs,
      ]);
      return rows.length;
    });
  }

  private async prune(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPrune < 60_000) return;
    this.lastPrune = now;
    const cutoff = new Date(now - this.retentionMs);
    await this.ds
      .createQueryBuilder()
      .delete()
      .from(OutboxEntry)
      .where('published_at IS NOT NULL AND published_at < :cutoff', { cutoff: isPostgres(this.ds) ? cutoff : sqliteDate(cutoff) })
      .execute();
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

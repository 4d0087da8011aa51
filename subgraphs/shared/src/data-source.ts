import { Counter, register } from 'prom-client';
import fs from 'node:fs';
import path from 'node:path';
import { DataSource, DataSourceOptions, Logger as OrmLogger, MixedList, EntitySchema, QueryRunner } from 'typeorm';
import { logger } from './logger';

/**
 * One database per subgraph: an SQLite file under DATA_DIR by default, or a schema of
 * its own in PostgreSQL when DATABASE_URL is set. Tables come from migrations in both
 * cases (never `synchronize`), so the embedded default and production run the same DDL.
 */

export interface DbConfig {
  /** postgres://... ; SQLite when absent. */
  databaseUrl?: string;
  /** Folder for SQLite files; `:memory:` keeps the database in memory (tests). */
  dataDir: string;
  poolSize?: number;
}

/**
 * `sql_statements_total{database}` in the process's Prometheus registry: the embedded
 * product serves it on the gateway's /metrics, and the batched-lookups benchmark reads it.
 */
function statementsCounter(): Counter<'database'> {
  return (register.getSingleMetric('sql_statements_total') as Counter<'database'> | undefined) ??
    new Counter({ name: 'sql_statements_total', help: 'SQL statements sent, per subgraph database', labelNames: ['database'] });
}

/** Counts statements per data source: the batched-lookup tests assert on it. */
export class QueryCounter implements OrmLogger {
  count = 0;
  readonly statements: string[] = [];
  private readonly out = logger('sql');
  private readonly total?: { inc(): void };
  constructor(private readonly keep = 200, database?: string) {
    if (database) this.total = statementsCounter().labels(database);
  }
  logQuery(query: string): void {
    this.count++;
    this.total?.inc();
    if (this.statements.length >= this.keep) this.statements.shift();
    this.statements.push(query);
  }
  logQueryError(error: string | Error, query: string): void {
    this.out.debug({ err: String(error), query }, 'query failed');
  }
  logQuerySlow(time: number, query: string): void {
    this.out.warn({ ms: time, query }, 'slow query');
  }
  logSchemaBuild(): void {}
  logMigration(message: string): void {
    this.out.info(message);
  }
  log(): void {}
  reset(): void {
    this.count = 0;
    this.statements.length = 0;
  }
}

export interface SubgraphDataSource {
  dataSource: DataSource;
  queries: QueryCounter;
}

type Entities = MixedList<Function | string | EntitySchema>;

export function dataSourceOptions(name: string, db: DbConfig, entities: Entities, migrations: Function[], queries: QueryCounter): DataSourceOptions {
  if (db.databaseUrl) {
    return {
      type: 'postgres',
      url: db.databaseUrl,
      schema: name,
      entities,
      migrations,
      migrationsTableName: 'migrations',
      migrationsTransactionMode: 'each',
      synchronize: false,
      logger: queries,
      maxQueryExecutionTime: 1000,
      // search_path makes raw SQL land in the subgraph's own schema too.
      extra: { max: db.poolSize ?? 10, options: `-c search_path=${name}` },
    };
  }
  const database = db.dataDir === ':memory:' ? ':memory:' : path.join(db.dataDir, `${name}.sqlite`);
  return {
    type: 'better-sqlite3',
    database,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    logger: queries,
    maxQueryExecutionTime: 1000,
    enableWAL: database !== ':memory:',
    // A second writer waits instead of failing with SQLITE_BUSY.
    prepareDatabase: (sqlite: { pragma(sql: string): unknown }) => {
      sqlite.pragma('busy_timeout = 5000');
      sqlite.pragma('foreign_keys = ON');
    },
  };
}

/** Opens the subgraph's database and brings its tables up to date. */
export async function openDataSource(name: string, db: DbConfig, entities: Entities, migrations: Function[]): Promise<SubgraphDataSource> {
  const queries = new QueryCounter(200, name);
  if (!db.databaseUrl && db.dataDir !== ':memory:') fs.mkdirSync(db.dataDir, { recursive: true });
  const dataSource = new DataSource(dataSourceOptions(name, db, entities, migrations, queries));
  try {
    await dataSource.initialize();
  } catch (err) {
    throw new Error(`${name}: cannot open the database (${db.databaseUrl ? redactUrl(db.databaseUrl) : 'SQLite in ' + db.dataDir}): ${(err as Error).message}`);
  }
  try {
    if (dataSource.options.type === 'postgres') {
      await dataSource.query(`CREATE SCHEMA IF NOT EXISTS "${name}"`);
      // Replicas starting together must not run the same migration twice.
      const runner = dataSource.createQueryRunner();
      await runner.connect();
      try {
        await runner.query('SELECT pg_advisory_lock(hashtext($1))', [`rgw-migrate-${name}`]);
        await dataSource.runMigrations({ transaction: 'each' });
      } finally {
        await runner.query('SELECT pg_advisory_unlock(hashtext($1))', [`rgw-migrate-${name}`]).catch(() => undefined);
        await runner.release();
      }
    } else {
      await dataSource.runMigrations({ transaction: 'each' });
    }
  } catch (err) {
    await dataSource.destroy().catch(() => undefined);
    throw new Error(`${name}: database migration failed: ${(err as Error).message}`);
  }
  return { dataSource, queries };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

export function isPostgres(source: DataSource | QueryRunner): boolean {
  const ds = source instanceof DataSource ? source : source.connection;
  return ds.options.type === 'postgres';
}

/** Column types for migrations that differ between the drivers. */
export function columnTypes(queryRunner: QueryRunner) {
  const pg = isPostgres(queryRunner);
  return {
    timestamp: pg ? 'timestamptz' : 'datetime',
    /** Exact decimal: numeric in PostgreSQL, text in SQLite (whose NUMERIC would become a float). */
    decimal: pg ? 'numeric' : 'text',
    bigint: pg ? 'bigint' : 'integer',
    /** Auto-incrementing integer primary key. */
    serial: pg ? 'bigint' : 'integer',
  };
}

/**
 * A Date as a parameter of raw SQL or a query builder: PostgreSQL takes the Date,
 * SQLite compares the text form TypeORM stores ("YYYY-MM-DD HH:MM:SS.SSS", UTC).
 */
export function dateParam(source: DataSource | QueryRunner | { connection: DataSource }, d: Date): Date | string {
  const ds = source instanceof DataSource ? source : (source as { connection: DataSource }).connection;
  return ds.options.type === 'postgres' ? d : d.toISOString().replace('T', ' ').replace('Z', '');
}

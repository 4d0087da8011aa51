import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import Redis from 'ioredis';
import { Client } from 'pg';
import type { Stack } from './harness';

/**
 * Every row of every table of a running stack, read without writing: the SQLite files of
 * the embedded stack (opened read-only), or the gateway and subgraph schemas of the
 * PostgreSQL stack (one REPEATABLE READ transaction, so all tables are seen at one moment).
 * Per table: the row count and a hash of all rows in primary-key order, plus each row's
 * hash by key, so a difference can name the rows that changed.
 */

/** The PostgreSQL schemas of the production layout, one per service. */
export const SCHEMAS = ['gateway', 'links', 'events', 'kyc', 'commissions'];

export interface TableSnapshot {
  count: number;
  hash: string;
  rows: Map<string, { hash: string; row: Record<string, unknown> }>;
}

/** Keyed `<database>.<table>` (`links.partners`, `commissions.commissions`, ...). */
export type Snapshot = Map<string, TableSnapshot>;

export interface RowChange {
  table: string;
  key: string;
  change: 'added' | 'removed' | 'changed';
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

const normalise = (v: unknown): unknown => (v instanceof Date ? v.toISOString() : Buffer.isBuffer(v) ? v.toString('base64') : typeof v === 'bigint' ? v.toString() : v);

function table(rows: Record<string, unknown>[], keyColumns: string[]): TableSnapshot {
  const all = createHash('sha256');
  const byKey = new Map<string, { hash: string; row: Record<string, unknown> }>();
  for (const raw of rows) {
    const row = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, normalise(v)]));
    const text = JSON.stringify(row);
    const hash = createHash('sha256').update(text).digest('hex');
    all.update(text).update('\n');
    byKey.set(JSON.stringify(keyColumns.map((k) => row[k])), { hash, row });
  }
  return { count: rows.length, hash: all.digest('hex'), rows: byKey };
}

/** Which kind of stack this is, and where its databases are. */
export function databasesOf(stack: Stack): { sqliteDir: string } | { postgresUrl: string } {
  if (stack.env?.DATABASE_URL) return { postgresUrl: stack.env.DATABASE_URL };
  if (stack.dataDir) return { sqliteDir: stack.dataDir };
  throw new Error('the stack has neither a DATABASE_URL nor a data directory');
}

export async function snapshot(stack: Stack): Promise<Snapshot> {
  const where = databasesOf(stack);
  return 'sqliteDir' in where ? snapshotSqlite(where.sqliteDir) : snapshotPostgres(where.postgresUrl);
}

function snapshotSqlite(dir: string): Snapshot {
  const out: Snapshot = new Map();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.sqlite')).sort()) {
    const db = new Database(path.join(dir, file), { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      // One read transaction per file: its tables are seen at one moment.
      db.exec('BEGIN');
      const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`).all() as { name: string }[];
      for (const { name } of tables) {
        const info = db.prepare(`PRAGMA table_info("${name}")`).all() as { name: string; pk: number }[];
        const pk = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
        const keyColumns = pk.length ? pk : info.map((c) => c.name);
        const order = pk.length ? pk.map((c) => `"${c}"`).join(', ') : 'rowid';
        const rows = db.prepare(`SELECT * FROM "${name}" ORDER BY ${order}`).all() as Record<string, unknown>[];
        out.set(`${file.replace(/\.sqlite$/, '')}.${name}`, table(rows, keyColumns));
      }
      db.exec('COMMIT');
    } finally {
      db.close();
    }
  }
  return out;
}

async function snapshotPostgres(url: string): Promise<Snapshot> {
  const out: Snapshot = new Map();
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows: tables } = await c.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
        WHERE table_type = 'BASE TABLE' AND table_schema = ANY($1) ORDER BY 1, 2`,
      [SCHEMAS],
    );
    for (const t of tables) {
      const { rows: keys } = await c.query<{ column: string }>(
        `SELECT a.attname AS column FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
          WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)`,
        [`"${t.schema}"."${t.name}"`],
      );
      const { rows: columns } = await c.query<{ column: string }>(
        `SELECT column_name AS column FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
        [t.schema, t.name],
      );
      const keyColumns = keys.length ? keys.map((k) => k.column) : columns.map((k) => k.column);
      const { rows } = await c.query(`SELECT * FROM "${t.schema}"."${t.name}" ORDER BY ${keyColumns.map((k) => `"${k}"`).join(', ')}`);
      out.set(`${t.schema}.${t.name}`, table(rows, keyColumns));
    }
    await c.query('COMMIT');
  } finally {
    await c.end();
  }
  return out;
}

/** Every row added, removed or changed from `a` to `b`, tables in `ignore` left out. */
export function diff(a: Snapshot, b: Snapshot, ignore: ReadonlySet<string> = new Set()): RowChange[] {
  const changes: RowChange[] = [];
  for (const name of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    if (ignore.has(name)) continue;
    const before = a.get(name);
    const after = b.get(name);
    if (before && after && before.hash === after.hash) continue;
    const keys = new Set([...(before?.rows.keys() ?? []), ...(after?.rows.keys() ?? [])]);
    for (const key of keys) {
      const x = before?.rows.get(key);
      const y = after?.rows.get(key);
      if (x && y && x.hash === y.hash) continue;
      changes.push({ table: name, key, change: !x ? 'added' : !y ? 'removed' : 'changed', before: x?.row, after: y?.row });
    }
  }
  return changes;
}

/** A readable account of changes: the table, the key and the columns that differ. */
export function describeChanges(changes: RowChange[], max = 40): string {
  const lines = changes.slice(0, max).map((c) => {
    if (c.change !== 'changed') return `${c.table} ${c.change} ${c.key}: ${JSON.stringify(c.after ?? c.before).slice(0, 400)}`;
    const columns = Object.keys({ ...c.before, ...c.after }).filter((k) => JSON.stringify(c.before?.[k]) !== JSON.stringify(c.after?.[k]));
    return `${c.table} changed ${c.key}: ${columns.map((k) => `${k} ${JSON.stringify(c.before?.[k])} -> ${JSON.stringify(c.after?.[k])}`).join(', ')}`;
  });
  if (changes.length > max) lines.push(`... and ${changes.length - max} more`);
  return lines.join('\n');
}

/**
 * Work a stack still has queued from earlier writes: facts in an outbox not yet published,
 * postback attempts waiting to be sent. Background writes caused by earlier mutations, not
 * by reads, so a read-only check waits for them to finish first.
 */
export function pendingWork(s: Snapshot): string[] {
  const pending: string[] = [];
  for (const [name, t] of s) {
    const [, tableName] = name.split('.');
    for (const { row } of t.rows.values()) {
      if (tableName === 'outbox' && row.published_at == null) pending.push(`${name}: unpublished fact ${row.fact_id} (${row.type})`);
      // An attempt due later than a minute from now cannot land while a test of a few seconds runs.
      if (tableName === 'postback_deliveries' && row.status === 'PENDING' && (row.lease_until != null || dueWithin(row.next_attempt_at, 60_000))) {
        pending.push(`${name}: postback attempt ${row.id} queued`);
      }
    }
  }
  return pending;
}

/** Whether a stored time (an ISO string from PostgreSQL, `YYYY-MM-DD HH:MM:SS.sss` UTC from SQLite) is within `ms` from now. */
function dueWithin(value: unknown, ms: number): boolean {
  if (value == null) return false;
  const text = String(value);
  const at = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(text) ? text : `${text.replace(' ', 'T')}Z`);
  return Number.isNaN(at) || at <= Date.now() + ms;
}

/**
 * Facts the bus still owes a first processing: on Redis, the entries of every consumer group not yet read or
 * read and not acknowledged (pending: a failed attempt waits `redeliverAfterMs` before its retry). A snapshot taken
 * while some are owed would see them land later. The in-process bus retries within milliseconds: nothing to ask.
 */
export async function busOwes(stack: Stack): Promise<string[]> {
  const url = stack.env?.REDIS_URL;
  if (!url) return [];
  const prefix = `${stack.env?.REDIS_KEY_PREFIX ?? 'rgw:'}facts:`;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  try {
    const owed: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = (await redis.call('SCAN', cursor, 'MATCH', `${prefix}*`, 'COUNT', '500', 'TYPE', 'stream')) as [string, string[]];
      cursor = next;
      const fields = (raw: unknown[]) => {
        const info = new Map<string, unknown>();
        for (let i = 0; i < raw.length; i += 2) info.set(String(raw[i]), raw[i + 1]);
        return info;
      };
      for (const key of keys) {
        const last = String(fields((await redis.call('XINFO', 'STREAM', key)) as unknown[]).get('last-generated-id'));
        for (const raw of (await redis.call('XINFO', 'GROUPS', key)) as unknown[][]) {
          const info = fields(raw);
          const pending = Number(info.get('pending') ?? 0);
          const unread = String(info.get('last-delivered-id')) !== last;
          if (pending || unread) owed.push(`${key.slice(prefix.length)} ${info.get('name')}: ${pending} pending${unread ? ', some unread' : ''}`);
        }
      }
    } while (cursor !== '0');
    return owed;
  } finally {
    redis.disconnect();
  }
}

/**
 * Waits until the stack is quiet: nothing the bus still owes a consumer (with `busWaitMs`: a delivery that failed
 * waits before its retry, with no row changing meanwhile), no pending work in the
 * databases, and two snapshots `gapMs` apart equal. Resolves with the later snapshot.
 */
export async function quietSnapshot(stack: Stack, opts: { gapMs?: number; timeoutMs?: number; busWaitMs?: number } = {}): Promise<Snapshot> {
  const gapMs = opts.gapMs ?? 300;
  const timeoutMs = opts.timeoutMs ?? 20_000;
  // A delivery that failed is retried after redeliverAfterMs (30 s, claimed within ~45 s). One still owed after
  // that failed its retry too (a fact waiting for another, e.g. a partner not known yet) and changed nothing:
  // waiting longer would only wait for the fact it waits for.
  // Asked for by callers that compare snapshots around writes of their own (busWaitMs), off by default: the
  // wait is up to a full retry cycle whenever a fact waits for another.
  const busWaitMs = opts.busWaitMs ?? 0;
  if (busWaitMs > 0) {
    const busDeadline = Date.now() + busWaitMs;
    let owed = await busOwes(stack);
    while (owed.length && Date.now() < busDeadline) {
      await new Promise((r) => setTimeout(r, 250));
      owed = await busOwes(stack);
    }
    if (owed.length) console.warn(`quietSnapshot: still owed after ${busWaitMs} ms (retrying without effect): ${owed.join('; ')}`);
  }
  const deadline = Date.now() + timeoutMs;
  let last = await snapshot(stack);
  for (;;) {
    await new Promise((r) => setTimeout(r, gapMs));
    const next = await snapshot(stack);
    const pending = pendingWork(next);
    const changes = diff(last, next);
    if (!pending.length && !changes.length) return next;
    if (Date.now() > deadline) {
      throw new Error(`the stack did not become quiet within ${timeoutMs} ms:\n${pending.slice(0, 10).join('\n')}\n${describeChanges(changes, 10)}`);
    }
    last = next;
  }
}

/**
 * Holds one bus consumer back: its inbox insert (the first statement of every delivery)
 * fails, so each delivery rolls back and is redelivered later, changing nothing, as if the
 * consumer had not run yet. Every other consumer runs. Returns the release.
 */
export async function holdBackConsumer(stack: Stack, subgraph: string, consumer: string): Promise<() => Promise<void>> {
  const trigger = `rgw_test_hold_back_${consumer.replace(/\W/g, '_')}`;
  const where = databasesOf(stack);
  if ('sqliteDir' in where) {
    const db = new Database(path.join(where.sqliteDir, `${subgraph}.sqlite`));
    db.pragma('busy_timeout = 5000');
    db.exec(`CREATE TRIGGER ${trigger} BEFORE INSERT ON processed_facts WHEN NEW.consumer = '${consumer}' BEGIN SELECT RAISE(ABORT, 'consumer held back by a test'); END;`);
    return async () => {
      db.exec(`DROP TRIGGER ${trigger}`);
      db.close();
    };
  }
  const c = new Client({ connectionString: where.postgresUrl });
  await c.connect();
  await c.query(`CREATE OR REPLACE FUNCTION ${subgraph}.${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'consumer held back by a test'; END $$`);
  await c.query(`CREATE TRIGGER ${trigger} BEFORE INSERT ON ${subgraph}.processed_facts FOR EACH ROW WHEN (NEW.consumer = '${consumer}') EXECUTE FUNCTION ${subgraph}.${trigger}()`);
  return async () => {
    await c.query(`DROP TRIGGER ${trigger} ON ${subgraph}.processed_facts`);
    await c.query(`DROP FUNCTION ${subgraph}.${trigger}()`);
    await c.end();
  };
}

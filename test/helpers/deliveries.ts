import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import type { Stack } from './harness';
import { databasesOf } from './db-snapshot';

export { busOwes } from './db-snapshot';

const LOG = 'rgw_test_deliveries';
const TRIGGER = 'rgw_test_log_deliveries';

/** Tables this helper adds: a snapshot comparison leaves them out. */
export const isDeliveryLog = (table: string): boolean => table.endsWith(`.${LOG}`);

/**
 * Watches bus deliveries in the subgraphs' databases: every delivery to an inbox consumer starts by inserting its
 * (consumer, fact) inbox row, also a redelivery whose insert then does nothing; a BEFORE INSERT trigger on
 * processed_facts logs each attempt. `delivered(factIds)` tells whether every consumer that processed those facts
 * once has been handed them again (nothing else shows that a redelivery that changes nothing has happened).
 */
export async function watchDeliveries(stack: Stack, subgraphs: string[]): Promise<{ delivered: (factIds: string[]) => Promise<{ expected: number; missing: string[] }>; stop: () => Promise<void> }> {
  const where = databasesOf(stack);
  if ('sqliteDir' in where) {
    const open = (sg: string) => {
      const db = new Database(path.join(where.sqliteDir, `${sg}.sqlite`));
      db.pragma('busy_timeout = 5000');
      return db;
    };
    for (const sg of subgraphs) {
      const db = open(sg);
      db.exec(`CREATE TABLE IF NOT EXISTS ${LOG} (consumer TEXT, fact_id TEXT)`);
      db.exec(`CREATE TRIGGER IF NOT EXISTS ${TRIGGER} BEFORE INSERT ON processed_facts BEGIN INSERT INTO ${LOG} (consumer, fact_id) VALUES (NEW.consumer, NEW.fact_id); END;`);
      db.close();
    }
    return {
      async delivered(factIds) {
        const ids = new Set(factIds);
        const missing: string[] = [];
        let expected = 0;
        for (const sg of subgraphs) {
          const db = open(sg);
          try {
            const seen = new Set((db.prepare(`SELECT consumer, fact_id FROM ${LOG}`).all() as { consumer: string; fact_id: string }[]).map((r) => `${r.consumer} ${r.fact_id}`));
            for (const r of db.prepare('SELECT consumer, fact_id FROM processed_facts').all() as { consumer: string; fact_id: string }[]) {
              if (!ids.has(r.fact_id)) continue;
              expected++;
              if (!seen.has(`${r.consumer} ${r.fact_id}`)) missing.push(`${sg}: ${r.consumer} ${r.fact_id}`);
            }
          } finally {
            db.close();
          }
        }
        return { expected, missing };
      },
      async stop() {
        for (const sg of subgraphs) {
          const db = open(sg);
          db.exec(`DROP TRIGGER IF EXISTS ${TRIGGER}`);
          db.exec(`DROP TABLE IF EXISTS ${LOG}`);
          db.close();
        }
      },
    };
  }
  const c = new Client({ connectionString: where.postgresUrl });
  await c.connect();
  for (const sg of subgraphs) {
    await c.query(`CREATE TABLE IF NOT EXISTS ${sg}.${LOG} (consumer text, fact_id text)`);
    await c.query(`CREATE OR REPLACE FUNCTION ${sg}.${TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO ${sg}.${LOG} (consumer, fact_id) VALUES (NEW.consumer, NEW.fact_id); RETURN NEW; END $$`);
    await c.query(`DROP TRIGGER IF EXISTS ${TRIGGER} ON ${sg}.processed_facts`);
    await c.query(`CREATE TRIGGER ${TRIGGER} BEFORE INSERT ON ${sg}.processed_facts FOR EACH ROW EXECUTE FUNCTION ${sg}.${TRIGGER}()`);
  }
  return {
    async delivered(factIds) {
      const missing: string[] = [];
      let expected = 0;
      for (const sg of subgraphs) {
        const { rows } = await c.query(
          `SELECT p.consumer, p.fact_id, EXISTS (SELECT 1 FROM ${sg}.${LOG} l WHERE l.consumer = p.consumer AND l.fact_id = p.fact_id) AS seen
             FROM ${sg}.processed_facts p WHERE p.fact_id = ANY($1)`,
          [factIds],
        );
        expected += rows.length;
        for (const r of rows) if (!r.seen) missing.push(`${sg}: ${r.consumer} ${r.fact_id}`);
      }
      return { expected, missing };
    },
    async stop() {
      for (const sg of subgraphs) {
        await c.query(`DROP TRIGGER IF EXISTS ${TRIGGER} ON ${sg}.processed_facts`);
        await c.query(`DROP FUNCTION IF EXISTS ${sg}.${TRIGGER}()`);
        await c.query(`DROP TABLE IF EXISTS ${sg}.${LOG}`);
      }
      await c.end();
    },
  };
}

/** Each subgraph database, opened for one piece of work (SQLite file or PostgreSQL schema). */
async function eachDatabase<T>(stack: Stack, subgraphs: string[], work: (sg: string, query: (text: string, params: unknown[]) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T[]> {
  const where = databasesOf(stack);
  const out: T[] = [];
  if ('sqliteDir' in where) {
    for (const sg of subgraphs) {
      const db = new Database(path.join(where.sqliteDir, `${sg}.sqlite`));
      db.pragma('busy_timeout = 5000');
      try {
        out.push(
          await work(sg, async (text, params) => {
            const stmt = db.prepare(text.replace(/\$\d+/g, '?').replace(/\{s\}\./g, ''));
            return stmt.reader ? (stmt.all(...params) as Record<string, unknown>[]) : (stmt.run(...params), []);
          }),
        );
      } finally {
        db.close();
      }
    }
    return out;
  }
  const c = new Client({ connectionString: where.postgresUrl });
  await c.connect();
  try {
    for (const sg of subgraphs) out.push(await work(sg, async (text, params) => (await c.query(text.replace(/\{s\}/g, sg), params)).rows));
  } finally {
    await c.end();
  }
  return out;
}

const SUBGRAPHS = ['links', 'events', 'kyc', 'commissions'];

/** Deletes a fact's inbox rows in every subgraph, as if the inbox had forgotten it; returns `<subgraph> <consumer>` of each. */
export async function forgetInbox(stack: Stack, factId: string): Promise<string[]> {
  const found = await eachDatabase(stack, SUBGRAPHS, async (sg, q) => {
    const rows = await q('SELECT consumer FROM {s}.processed_facts WHERE fact_id = $1', [factId]);
    await q('DELETE FROM {s}.processed_facts WHERE fact_id = $1', [factId]);
    return rows.map((r) => `${sg} ${r.consumer}`);
  });
  return found.flat();
}

/** How many inbox rows a fact has across the subgraphs. */
export async function inboxHas(stack: Stack, factId: string): Promise<number> {
  const counts = await eachDatabase(stack, SUBGRAPHS, async (_sg, q) => Number((await q('SELECT count(*) AS n FROM {s}.processed_facts WHERE fact_id = $1', [factId]))[0].n));
  return counts.reduce((a, b) => a + b, 0);
}


import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import type { Stack } from './harness';

/**
 * Makes every INSERT into one table of a running stack fail (a trigger that raises), as a
 * full disk or a lost connection would, without stopping the service. Works on both stacks:
 * the embedded SQLite file, or the subgraph's PostgreSQL schema. Returns the undo.
 */
export async function blockInserts(stack: Stack, subgraph: string, table: string): Promise<() => Promise<void>> {
  const trigger = `rgw_test_block_${table}`;
  if (stack.dataDir) {
    const db = new Database(path.join(stack.dataDir, `${subgraph}.sqlite`));
    db.pragma('busy_timeout = 5000');
    db.exec(`CREATE TRIGGER ${trigger} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'inserts blocked by a test'); END;`);
    return async () => {
      db.exec(`DROP TRIGGER ${trigger}`);
      db.close();
    };
  }
  const url = stack.env?.DATABASE_URL;
  if (!url) throw new Error('blockInserts: the stack has neither a data directory nor a DATABASE_URL');
  const c = new Client({ connectionString: url });
  await c.connect();
  await c.query(`CREATE OR REPLACE FUNCTION ${subgraph}.${trigger}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'inserts blocked by a test'; END $$`);
  await c.query(`CREATE TRIGGER ${trigger} BEFORE INSERT ON ${subgraph}.${table} FOR EACH ROW EXECUTE FUNCTION ${subgraph}.${trigger}()`);
  return async () => {
    await c.query(`DROP TRIGGER ${trigger} ON ${subgraph}.${table}`);
    await c.query(`DROP FUNCTION ${subgraph}.${trigger}()`);
    await c.end();
  };
}

import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import type { Stack } from './harness';

/**
 * Rewrites rows of a running stack's subgraph table, on the embedded SQLite file or the
 * subgraph's PostgreSQL schema: to put a row back as an older version stored it. Returns
 * how many rows changed. Column names are the test's own (never input).
 */
export async function updateRows(stack: Stack, subgraph: string, table: string, set: Record<string, unknown>, where: Record<string, unknown>): Promise<number> {
  const setCols = Object.keys(set);
  const whereCols = Object.keys(where);
  const values = [...Object.values(set), ...Object.values(where)];
  const url = stack.env?.DATABASE_URL;
  if (!url) {
    if (!stack.dataDir) throw new Error('updateRows: the stack has neither a data directory nor a DATABASE_URL');
    const db = new Database(path.join(stack.dataDir, `${subgraph}.sqlite`));
    try {
      db.pragma('busy_timeout = 5000');
      const sql = `UPDATE ${table} SET ${setCols.map((c) => `${c} = ?`).join(', ')} WHERE ${whereCols.map((c) => `${c} = ?`).join(' AND ')}`;
      return db.prepare(sql).run(...values).changes;
    } finally {
      db.close();
    }
  }
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    let n = 0;
    const sql = `UPDATE ${subgraph}.${table} SET ${setCols.map((col) => `${col} = $${++n}`).join(', ')} WHERE ${whereCols.map((col) => `${col} = $${++n}`).join(' AND ')}`;
    return (await c.query(sql, values)).rowCount ?? 0;
  } finally {
    await c.end();
  }
}

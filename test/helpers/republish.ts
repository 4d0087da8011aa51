import path from 'node:path';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import type { Stack } from './harness';

/**
 * Republishes facts of a running stack as a relay that died between publishing and marking
 * would: the outbox rows of `subgraph` of fact type `type` whose body contains every one of
 * `bodyContains` are marked unpublished, so the service's own relay publishes them again
 * and every consumer receives them a second time. Works on the embedded SQLite files and on
 * the subgraph's PostgreSQL schema. Returns the fact ids, and a check that the relay has
 * published them again.
 */
export async function republishFacts(stack: Stack, subgraph: string, type: string, bodyContains: string[]): Promise<{ factIds: string[]; republished: () => Promise<boolean> }> {
  const pick = (rows: { fact_id: string; body: string }[]) => rows.filter((r) => bodyContains.every((s) => r.body.includes(s))).map((r) => r.fact_id);
  const url = stack.env?.DATABASE_URL;
  if (!url) {
    if (!stack.dataDir) throw new Error('republishFacts: the stack has neither a data directory nor a DATABASE_URL');
    const file = path.join(stack.dataDir, `${subgraph}.sqlite`);
    const open = () => {
      const db = new Database(file);
      db.pragma('busy_timeout = 5000');
      return db;
    };
    const db = open();
    try {
      const factIds = pick(db.prepare('SELECT fact_id, body FROM outbox WHERE type = ?').all(type) as { fact_id: string; body: string }[]);
      const mark = db.prepare('UPDATE outbox SET published_at = NULL WHERE fact_id = ?');
      for (const id of factIds) mark.run(id);
      return {
        factIds,
        republished: async () => {
          const check = open();
          try {
            const unpublished = factIds.filter((id) => (check.prepare('SELECT published_at FROM outbox WHERE fact_id = ?').get(id) as { published_at: string | null }).published_at === null);
            return unpublished.length === 0;
          } finally {
            check.close();
          }
        },
      };
    } finally {
      db.close();
    }
  }
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query(`SELECT fact_id, body FROM ${subgraph}.outbox WHERE type = $1`, [type]);
    const factIds = pick(rows);
    await c.query(`UPDATE ${subgraph}.outbox SET published_at = NULL WHERE fact_id = ANY($1)`, [factIds]);
    return {
      factIds,
      republished: async () => {
        const check = new Client({ connectionString: url });
        await check.connect();
        try {
          const { rows: left } = await check.query(`SELECT 1 FROM ${subgraph}.outbox WHERE fact_id = ANY($1) AND published_at IS NULL`, [factIds]);
          return left.length === 0;
        } finally {
          await check.end();
        }
      },
    };
  } finally {
    await c.end();
  }
}

import { Client } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { configureLogger } from '../../subgraphs/shared/src/logger';
import { newId } from '../../subgraphs/shared/src';
import { openDataSource } from '../../subgraphs/shared/src/data-source';
import { entities } from '../../subgraphs/events/src/server';
import { migrations } from '../../subgraphs/events/src/migrations';
import { nextPosition } from '../../subgraphs/events/src/services/track-event';
import { ReferralEvent } from '../../subgraphs/events/src/entities/referral-event.entity';
import { createDatabase, describeWithPostgres, waitUntil } from '../helpers/services';

/**
 * A tenant's event positions follow commit order: taking one makes the tenant's other
 * writers wait until the transaction ends, so a position is never visible while a
 * smaller one of the same tenant is still uncommitted (a resuming subscriber would skip it).
 */
beforeAll(() => configureLogger('silent'));

/** What recordEvent does at its end: the next position, and the event stored with it. */
async function record(m: EntityManager, tenantId: string): Promise<number> {
  const position = await nextPosition(m, tenantId);
  const now = new Date();
  await m.getRepository(ReferralEvent).insert({
    id: newId('evt'),
    tenantId,
    eventType: 'REGISTRATION',
    position: String(position),
    source: 'api',
    attribution: 'NONE',
    isDuplicate: false,
    isConversion: false,
    occurredAt: now,
    createdAt: now,
  } as Partial<ReferralEvent>);
  return position;
}

describe('event positions on SQLite', () => {
  it('count up from 1 per tenant', async () => {
    const { dataSource: ds } = await openDataSource('events', { dataDir: ':memory:' }, entities, migrations);
    try {
      const take = (tenant: string) => ds.transaction((m) => record(m, tenant));
      expect([await take('ten_a'), await take('ten_a'), await take('ten_b'), await take('ten_a')]).toEqual([1, 2, 1, 3]);
    } finally {
      await ds.destroy();
    }
  });
});

describeWithPostgres('event positions on PostgreSQL', () => {
  let db: { url: string; drop: () => Promise<void> };
  let ds: DataSource;
  beforeAll(async () => {
    db = await createDatabase('rgw_positions');
    ds = (await openDataSource('events', { databaseUrl: db.url, dataDir: '', poolSize: 50 }, entities, migrations)).dataSource;
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('concurrent transactions of one tenant get every position once, with no gap', async () => {
    const got = await Promise.all(Array.from({ length: 40 }, () => ds.transaction((m) => record(m, 'ten_many'))));
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('a second transaction of the tenant waits for the first to commit, then takes the next position', async () => {
    const first = ds.createQueryRunner();
    await first.connect();
    await first.startTransaction();
    const a = await record(first.manager, 'ten_turns');

    const second = ds.createQueryRunner();
    await second.connect();
    const [{ pid }] = await second.query('SELECT pg_backend_pid() AS pid');
    await second.startTransaction();
    let b: number | undefined;
    const taking = record(second.manager, 'ten_turns').then((p) => (b = p));

    // Another tenant does not wait.
    expect(await ds.transaction((m) => record(m, 'ten_other'))).toBe(1);

    const watcher = new Client({ connectionString: db.url });
    await watcher.connect();
    try {
      await waitUntil('the second transaction waits for the first', async () => {
        const { rows } = await watcher.query('SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1', [pid]);
        return rows[0]?.wait_event_type === 'Lock';
      });
    } finally {
      await watcher.end();
    }
    expect(b).toBeUndefined();
    await first.commitTransaction();
    await taking;
    expect(b).toBe(a + 1);
    await second.commitTransaction();
    await first.release();
    await second.release();
  });

  it('a rolled-back transaction gives its position back', async () => {
    const before = await ds.transaction((m) => record(m, 'ten_rollback'));
    await expect(
      ds.transaction(async (m) => {
        await record(m, 'ten_rollback');
        throw new Error('abandoned');
      }),
    ).rejects.toThrow('abandoned');
    expect(await ds.transaction((m) => record(m, 'ten_rollback'))).toBe(before + 1);
  });
});

import { DataSource } from 'typeorm';
import { configureLogger, Fact, newId, Outbox } from '../../subgraphs/shared/src';
import { openDataSource } from '../../subgraphs/shared/src/data-source';
import { entities } from '../../subgraphs/commissions/src/server';
import { migrations } from '../../subgraphs/commissions/src/migrations';
import { appendChange, CHANGE_LOG_GROUP } from '../../subgraphs/commissions/src/consumers/change-log';
import { CommissionChangeRow } from '../../subgraphs/commissions/src/entities/commission-change.entity';
import { createDatabase, describeWithPostgres } from '../helpers/services';

/**
 * The commission change log on PostgreSQL, where consumers run in parallel (replicas, a
 * redelivery racing the first delivery): each fact is logged once, and a tenant's
 * positions are taken one after another in commit order, with no gap and no repeat.
 */
beforeAll(() => configureLogger('silent'));

describeWithPostgres('commission change log on PostgreSQL', () => {
  let db: { url: string; drop: () => Promise<void> };
  let ds: DataSource;
  let outbox: Outbox;
  beforeAll(async () => {
    db = await createDatabase('rgw_changelog');
    ds = (await openDataSource('commissions', { databaseUrl: db.url, dataDir: '', poolSize: 40 }, entities, migrations)).dataSource;
    outbox = new Outbox(ds, 'commissions');
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const fact = (tenantId: string, commissionId: string): Fact => ({
    id: newId('fct'),
    type: 'commission.changed',
    tenantId,
    occurredAt: new Date().toISOString(),
    source: 'commissions',
    payload: { change: 'created', commission: { id: commissionId, partnerId: 'prt_a', kind: 'CPA', tier: 0, amount: '10.00', currency: 'USD', status: 'PENDING', holdUntil: '2026-03-14' } },
  });
  const log = (f: Fact) => outbox.consume(CHANGE_LOG_GROUP, f, async (m) => void (await appendChange(m, f)));

  it('thirty changes of one tenant logged at once get positions 1-30, each once', async () => {
    const facts = Array.from({ length: 30 }, (_, i) => fact('ten_many', `com_${i}`));
    await Promise.all(facts.map(log));
    const rows = await ds.getRepository(CommissionChangeRow).find({ where: { tenantId: 'ten_many' }, order: { position: 'ASC' } });
    expect(rows.map((r) => Number(r.position))).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.factId))).toEqual(new Set(facts.map((f) => f.id)));
  });

  it('one fact delivered five times at once is logged once', async () => {
    const f = fact('ten_race', 'com_race');
    const applied = await Promise.all(Array.from({ length: 5 }, () => log(f)));
    expect(applied.filter(Boolean)).toHaveLength(1);
    expect(await ds.getRepository(CommissionChangeRow).countBy({ tenantId: 'ten_race' })).toBe(1);
  });
});

import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { Fact, newId, openDataSource, Outbox, OutboxEntry, ProcessedFact, SubgraphRuntime } from '../../subgraphs/shared/src';
import { startReadModelConsumers } from '../../subgraphs/events/src/consumers/read-models';
import { PartnerPlanModel, PlanModel, TenantSettings } from '../../subgraphs/events/src/entities/read-models.entity';
import { ReferralCodeOwner } from '../../subgraphs/events/src/entities/referral-code-owner.entity';
import { migrations } from '../../subgraphs/events/src/migrations';
import { entities } from '../../subgraphs/events/src/server';
import { createDatabase, describeWithPostgres } from '../helpers/services';

/**
 * A read model applies a fact only if it is newer than what it holds: a fact republished from the outbox (after
 * Redis lost data) or delivered out of order never brings an older state back. The events subgraph's real consumers,
 * handed facts as the bus would (newer first, then the older one), on SQLite and PostgreSQL.
 */
function readModelOrderSuite(database: () => Promise<{ ds: DataSource; cleanup: () => Promise<void> }>) {
  let ds: DataSource;
  let cleanup: () => Promise<void>;
  const handlers: { types: string[]; handler: (f: Fact) => Promise<void> }[] = [];
  const tenantId = 'ten_order';

  beforeAll(async () => {
    ({ ds, cleanup } = await database());
    const runtime = { outbox: new Outbox(ds, 'events'), dataSource: ds, consume: (o: (typeof handlers)[number]) => handlers.push(o) } as unknown as SubgraphRuntime;
    startReadModelConsumers(runtime);
  });

  afterAll(async () => {
    await cleanup?.();
  });

  async function deliver(type: string, payload: unknown, occurredAt: string): Promise<void> {
    const fact: Fact = { id: newId('fct'), type, tenantId, occurredAt, source: 'test', payload };
    for (const h of handlers) if (h.types.includes(type)) await h.handler(fact);
  }
  const T1 = '2026-05-01T10:00:00.000Z';
  const T2 = '2026-05-01T11:00:00.000Z';
  const T3 = '2026-05-01T12:00:00.000Z';

  it('link_settings.changed: an older attribution window does not overwrite a newer one; a newer one applies', async () => {
    await deliver('link_settings.changed', { settings: { attributionWindowHours: 48 } }, T2);
    await deliver('link_settings.changed', { settings: { attributionWindowHours: 12 } }, T1);
    expect((await ds.getRepository(TenantSettings).findOneByOrFail({ tenantId })).attributionWindowHours).toBe(48);
    await deliver('link_settings.changed', { settings: { attributionWindowHours: 72 } }, T3);
    expect((await ds.getRepository(TenantSettings).findOneByOrFail({ tenantId })).attributionWindowHours).toBe(72);
  });

  it('referral_code.changed: an older active state does not bring back a code deactivated later', async () => {
    const code = { source: 'links', code: 'ORDER1', partnerId: 'ptr_1', ownerUserId: null };
    await deliver('referral_code.changed', { ...code, active: false }, T2);
    await deliver('referral_code.changed', { ...code, active: true }, T1);
    expect(await ds.getRepository(ReferralCodeOwner).findOneByOrFail({ tenantId, source: 'links', codeKey: 'order1' })).toMatchObject({ active: false });
  });

  it('commission_plan.assigned: an older assignment does not move the partner back to its old plan', async () => {
    await deliver('commission_plan.assigned', { partnerId: 'ptr_order', planId: 'pln_new' }, T2);
    await deliver('commission_plan.assigned', { partnerId: 'ptr_order', planId: 'pln_old' }, T1);
    expect((await ds.getRepository(PartnerPlanModel).findOneByOrFail({ partnerId: 'ptr_order' })).planId).toBe('pln_new');
  });

  it('commission_plan.changed: an older plan state does not make the plan default again nor restore its CPA event types', async () => {
    const plan = { id: 'pln_order', productId: null, versions: [] };
    await deliver('commission_plan.changed', { plan: { ...plan, isDefault: false, cpaEventTypes: ['deposit'] } }, T2);
    await deliver('commission_plan.changed', { plan: { ...plan, isDefault: true, cpaEventTypes: ['registration'] } }, T1);
    expect(await ds.getRepository(PlanModel).findOneByOrFail({ planId: 'pln_order' })).toMatchObject({ isDefault: false, cpaEventTypes: ['deposit'] });
  });
}

describe('events read models apply only newer facts (SQLite)', () => {
  readModelOrderSuite(async () => {
    const { dataSource } = await openDataSource('events', { dataDir: ':memory:' }, [...entities, OutboxEntry, ProcessedFact], migrations);
    return { ds: dataSource, cleanup: () => dataSource.destroy() };
  });
});

describeWithPostgres('events read models apply only newer facts (PostgreSQL)', () => {
  readModelOrderSuite(async () => {
    const database = await createDatabase('rgw_read_model_order');
    const { dataSource } = await openDataSource('events', { databaseUrl: database.url, dataDir: '', poolSize: 3 }, [...entities, OutboxEntry, ProcessedFact], migrations);
    return {
      ds: dataSource,
      cleanup: async () => {
        await dataSource.destroy();
        await database.drop();
      },
    };
  });
});

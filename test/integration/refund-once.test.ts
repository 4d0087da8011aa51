import { DataSource } from 'typeorm';
import { configureLogger, Emit, EventType, newId, OutboxEntry, ProcessedFact } from '../../subgraphs/shared/src';
import { openDataSource } from '../../subgraphs/shared/src/data-source';
import { entities } from '../../subgraphs/commissions/src/server';
import { migrations } from '../../subgraphs/commissions/src/migrations';
import { applyEvent, EventFacts } from '../../subgraphs/commissions/src/services/engine';
import { fxTable } from '../../subgraphs/commissions/src/domain/fx';
import { Commission, CommissionStatus } from '../../subgraphs/commissions/src/entities/commission.entity';
import { CommissionPlan, PartnerRef } from '../../subgraphs/commissions/src/entities/plan.entity';
import { createDatabase, describeWithPostgres } from '../helpers/services';

/**
 * A refund's effect is keyed by the refund: however often its event is applied (the bus
 * consumer, a redelivery, every read of its commissions, concurrent appliers), it reverses
 * one payment once.
 */
beforeAll(() => configureLogger('silent'));

const TENANT = 'ten_refunds';
const FX = fxTable({});

async function seed(ds: DataSource): Promise<void> {
  const now = new Date();
  await ds.getRepository(PartnerRef).insert({ partnerId: 'prt_a', tenantId: TENANT, parentId: null, externalId: null, updatedAt: now });
  await ds.getRepository(CommissionPlan).insert({
    id: 'cpl_a', tenantId: TENANT, name: 'Revshare', currency: 'USD', holdDays: 30, productId: null, isDefault: true, salePercentage: null,
    rules: [{ kind: 'REVSHARE', percentage: '10', tierRates: [] }], createdAt: now, updatedAt: now,
  });
}

function fact(eventType: EventType, occurredAt: Date): EventFacts {
  return { id: newId('evt'), eventType, amount: '100.00', currency: 'USD', isDuplicate: false, timestamp: occurredAt, productId: null, partnerId: 'prt_a', traderId: 'trd_1' };
}

const emitted: unknown[] = [];
const emit = ((type: string, _tenant: string, payload: unknown) => emitted.push({ type, payload })) as unknown as Emit;

async function fourPaymentsAndARefund(ds: DataSource) {
  const t0 = Date.UTC(2026, 10, 1);
  for (const [i, type] of [EventType.FIRST_DEPOSIT, EventType.RECURRING_DEPOSIT, EventType.RECURRING_DEPOSIT, EventType.RECURRING_DEPOSIT].entries()) {
    await ds.transaction((m) => applyEvent(m, emit, TENANT, fact(type, new Date(t0 + i * 60_000)), FX));
  }
  return fact(EventType.REFUND, new Date(t0 + 10 * 60_000));
}

async function statuses(ds: DataSource): Promise<string[]> {
  return (await ds.getRepository(Commission).findBy({ tenantId: TENANT })).map((c) => c.status).sort();
}

function defineRefundTests(open: () => Promise<{ ds: DataSource; close: () => Promise<void> }>) {
  let ds: DataSource;
  let close: () => Promise<void>;
  beforeEach(async () => {
    ({ ds, close } = await open());
    await seed(ds);
  });
  afterEach(() => close());

  it('four payments, one refund applied five times: one payment reversed', async () => {
    const refund = await fourPaymentsAndARefund(ds);
    emitted.length = 0;
    for (let i = 0; i < 5; i++) await ds.transaction((m) => applyEvent(m, emit, TENANT, refund, FX));
    expect(await statuses(ds)).toEqual([CommissionStatus.PENDING, CommissionStatus.PENDING, CommissionStatus.PENDING, CommissionStatus.REVERSED]);
    // The latest payment is the one refunded, and one fact announced it.
    const reversed = await ds.getRepository(Commission).findOneByOrFail({ tenantId: TENANT, status: CommissionStatus.REVERSED });
    expect(reversed.reversalReason).toBe(`refund ${refund.id}`);
    expect(emitted).toHaveLength(1);
  });

  it('a second refund of the same amount reverses the next payment, not the same one', async () => {
    const refund = await fourPaymentsAndARefund(ds);
    const second = { ...fact(EventType.CHARGEBACK, new Date(refund.timestamp.getTime() + 1000)) };
    for (const r of [refund, second, refund, second]) await ds.transaction((m) => applyEvent(m, emit, TENANT, r, FX));
    expect(await statuses(ds)).toEqual([CommissionStatus.PENDING, CommissionStatus.PENDING, CommissionStatus.REVERSED, CommissionStatus.REVERSED]);
  });

  it('a paid payment refunded twice gets one negative adjustment', async () => {
    const refund = await fourPaymentsAndARefund(ds);
    await ds.getRepository(Commission).update({ tenantId: TENANT }, { status: CommissionStatus.PAID, paidAt: new Date() });
    for (let i = 0; i < 3; i++) await ds.transaction((m) => applyEvent(m, emit, TENANT, refund, FX));
    const rows = await ds.getRepository(Commission).findBy({ tenantId: TENANT });
    expect(rows.map((c) => c.amount()).sort()).toEqual(['-10.00', '10.00', '10.00', '10.00', '10.00']);
  });
}

describe('a refund reverses one payment once, on SQLite', () => {
  defineRefundTests(async () => {
    const { dataSource } = await openDataSource('commissions', { dataDir: ':memory:' }, [...entities, OutboxEntry, ProcessedFact], migrations);
    return { ds: dataSource, close: () => dataSource.destroy() };
  });
});

describeWithPostgres('a refund reverses one payment once, on PostgreSQL', () => {
  defineRefundTests(async () => {
    const db = await createDatabase('rgw_refunds');
    const { dataSource } = await openDataSource('commissions', { databaseUrl: db.url, dataDir: '', poolSize: 20 }, [...entities, OutboxEntry, ProcessedFact], migrations);
    return {
      ds: dataSource,
      close: async () => {
        await dataSource.destroy();
        await db.drop();
      },
    };
  });

  it('twenty concurrent appliers of one refund (consumer, redeliveries, reads) reverse one payment', async () => {
    const db = await createDatabase('rgw_refunds_race');
    const { dataSource: ds } = await openDataSource('commissions', { databaseUrl: db.url, dataDir: '', poolSize: 25 }, [...entities, OutboxEntry, ProcessedFact], migrations);
    try {
      await seed(ds);
      const refund = await fourPaymentsAndARefund(ds);
      await Promise.all(Array.from({ length: 20 }, () => ds.transaction((m) => applyEvent(m, emit, TENANT, refund, FX))));
      expect(await statuses(ds)).toEqual([CommissionStatus.PENDING, CommissionStatus.PENDING, CommissionStatus.PENDING, CommissionStatus.REVERSED]);
    } finally {
      await ds.destroy();
      await db.drop();
    }
  });
});

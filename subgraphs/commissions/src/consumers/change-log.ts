import { EntityManager } from 'typeorm';
import { Fact, isPostgres, logger, sql, SubgraphRuntime } from '../../../shared/src';
import { asOfChange, readChangeFact, snapshotText } from '../domain/change-log';
import { CommissionChangeRow } from '../entities/commission-change.entity';
import { Commission } from '../entities/commission.entity';
import { changeChannel, liveChangeOf } from '../live/change-stream';

export const CHANGE_LOG_GROUP = 'commissions.changelog';

/**
 * Positions are per tenant and follow the log's commit order, so a subscriber resuming
 * after one never misses a change committed later with a smaller position: on PostgreSQL a
 * transaction-scoped advisory lock per tenant serialises the writers until they commit;
 * SQLite transactions already take turns.
 */
export async function nextChangePosition(m: EntityManager, tenantId: string): Promise<number> {
  if (isPostgres(m.connection)) await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`commission_changes:${tenantId}`]);
  const [row] = await m.query(sql(m, 'SELECT COALESCE(MAX(position), 0) AS p FROM commission_changes WHERE tenant_id = ?'), [tenantId]);
  return Number(row.p) + 1;
}

/** Writes the log row of one `commission.changed` fact (the caller makes it once per fact). */
export async function appendChange(m: EntityManager, fact: Fact): Promise<CommissionChangeRow | null> {
  const read = readChangeFact(fact.payload);
  if (!read) {
    logger('commissions.changelog').warn({ factId: fact.id }, 'a commission.changed fact without a change or commission: not logged');
    return null;
  }
  const occurredAt = Number.isNaN(Date.parse(fact.occurredAt)) ? new Date() : new Date(fact.occurredAt);
  const stored = await m.getRepository(Commission).findOneBy({ tenantId: fact.tenantId, id: read.commission.id });
  const snapshot = asOfChange(stored ? { ...stored } : null, read.commission, { tenantId: fact.tenantId, occurredAt });
  const row = m.getRepository(CommissionChangeRow).create({
    factId: fact.id,
    tenantId: fact.tenantId,
    position: String(await nextChangePosition(m, fact.tenantId)),
    change: read.change,
    commissionId: read.commission.id,
    partnerId: read.commission.partnerId,
    occurredAt,
    commission: snapshotText(snapshot),
    createdAt: new Date(),
  });
  await m.getRepository(CommissionChangeRow).insert(row);
  return row;
}

/**
 * The referrer is told: every `commission.changed` fact (creation, approval, reversal,
 * adjustment, payment) becomes one row of the tenant's change log, exactly once (inbox row
 * in the same transaction), and is then published on the live pub/sub for
 * `commissionChanged` subscribers on every replica. A redelivered fact writes nothing and
 * publishes its row again (subscribers drop positions they have), which also covers a
 * publish lost after the commit.
 */
export function startChangeLogConsumer(runtime: SubgraphRuntime): void {
  runtime.consume({
    group: CHANGE_LOG_GROUP,
    types: ['commission.changed'],
    handler: async (fact: Fact) => {
      await runtime.outbox.consume(CHANGE_LOG_GROUP, fact, async (m) => {
        await appendChange(m, fact);
      });
      const row = await runtime.dataSource.getRepository(CommissionChangeRow).findOneBy({ factId: fact.id });
      if (row) await runtime.pubsub.publish(changeChannel(fact.tenantId), liveChangeOf(row));
    },
  });
}

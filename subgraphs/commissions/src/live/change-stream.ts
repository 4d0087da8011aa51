import { DataSource, SelectQueryBuilder } from 'typeorm';
import { positionedStream, PubSub } from '../../../shared/src';
import { CommissionChangeKind, decodeChangeCursor, encodeChangeCursor, parseSnapshot, visibleKinds } from '../domain/change-log';
import { CommissionChange, CommissionChangeRow } from '../entities/commission-change.entity';
import { Commission } from '../entities/commission.entity';

/** The pub/sub and how many messages a slow subscriber may lag (the commissions context's `live`). */
export interface LiveFeed {
  pubsub: PubSub;
  bufferLimit: number;
}

export interface ChangeFilter {
  /** Only this partner's changes (a partner principal always gets its own). */
  partnerId?: string | null;
  /** Only these kinds (all kinds the API knows when empty). */
  changes?: string[] | null;
}

/** What the change-log consumer publishes for every logged change: enough to answer without a database read. */
export interface LiveChange {
  position: number;
  change: { factId: string; change: string; occurredAt: string; partnerId: string; commissionId: string; commission: string };
}

export const changeChannel = (tenantId: string) => `commission-changes:${tenantId}`;

export function liveChangeOf(row: CommissionChangeRow): LiveChange {
  return {
    position: Number(row.position),
    change: {
      factId: row.factId,
      change: row.change,
      occurredAt: new Date(row.occurredAt).toISOString(),
      partnerId: row.partnerId,
      commissionId: row.commissionId,
      commission: row.commission,
    },
  };
}

/** A logged change as the GraphQL type: the commission rebuilt as the change left it. */
export function toCommissionChange(row: { position: string | number; change: string; occurredAt: Date | string; commission: string }): CommissionChange {
  const change = new CommissionChange();
  change.cursor = encodeChangeCursor(row.position);
  change.change = row.change as CommissionChangeKind;
  change.occurredAt = new Date(row.occurredAt);
  change.commission = Object.assign(new Commission(), parseSnapshot(row.commission));
  return change;
}

export function changeMatches(filter: ChangeFilter, c: { partnerId: string; change: string }): boolean {
  if (filter.partnerId && c.partnerId !== filter.partnerId) return false;
  return visibleKinds(filter.changes).includes(c.change);
}

/** The tenant's log rows matching the filter, in position order. */
export function changeQuery(ds: DataSource, tenantId: string, filter: ChangeFilter): SelectQueryBuilder<CommissionChangeRow> {
  const qb = ds
    .getRepository(CommissionChangeRow)
    .createQueryBuilder('c')
    .where('c.tenant_id = :tenantId', { tenantId })
    .andWhere('c.change IN (:...kinds)', { kinds: visibleKinds(filter.changes) });
  if (filter.partnerId) qb.andWhere('c.partner_id = :partnerId', { partnerId: filter.partnerId });
  return qb;
}

/** The highest position of the tenant's log (0 when empty). */
export async function changeHead(ds: DataSource, tenantId: string): Promise<number> {
  const [row] = await ds.query(
    ds.options.type === 'postgres'
      ? 'SELECT COALESCE(MAX(position), 0) AS p FROM commission_changes WHERE tenant_id = $1'
      : 'SELECT COALESCE(MAX(position), 0) AS p FROM commission_changes WHERE tenant_id = ?',
    [tenantId],
  );
  return Number(row.p);
}

/** Matching rows with after < position (< before when given), in order, at most `limit`. */
export function changePage(ds: DataSource, tenantId: string, filter: ChangeFilter, after: number, before: number | null, limit: number): Promise<CommissionChangeRow[]> {
  const qb = changeQuery(ds, tenantId, filter).andWhere('c.position > :after', { after }).orderBy('c.position', 'ASC').take(limit);
  if (before !== null) qb.andWhere('c.position < :before', { before });
  return qb.getMany();
}

/**
 * A tenant's commission changes in log order: first every matching change after
 * `afterPosition`, then live ones, with no gap and no repeat at the switch.
 */
export function changeStream(opts: { ds: DataSource; live: LiveFeed; tenantId: string; filter: ChangeFilter; afterPosition: number | null }): AsyncGenerator<CommissionChange> {
  const { ds, tenantId, filter } = opts;
  return positionedStream<CommissionChange, LiveChange>({
    pubsub: opts.live.pubsub,
    channel: changeChannel(tenantId),
    afterPosition: opts.afterPosition,
    bufferLimit: opts.live.bufferLimit,
    head: () => changeHead(ds, tenantId),
    page: async (after, before, limit) => (await changePage(ds, tenantId, filter, after, before, limit)).map(toCommissionChange),
    positionOf: (c) => decodeChangeCursor(c.cursor),
    fromMessage: (m) => (changeMatches(filter, m.change) ? toCommissionChange({ position: m.position, ...m.change }) : null),
  });
}

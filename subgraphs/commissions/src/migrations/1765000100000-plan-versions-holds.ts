import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes, isPostgres } from '../../../shared/src';

/**
 * Immutable plan versions, holds in hours, and the links a commission keeps:
 * - `commission_plan_versions`: every plan gets its current terms as version 1, in force from its creation
 *   (version 1 also covers events dated earlier);
 * - `commission_plans.version`: the current version number;
 * - `commissions.plan_version` (1 for rows paid by a plan), `commissions.adjusts_id` (an adjustment's original),
 *   `commissions.due_at` = occurred_at + hold_days x 24 h of the row's plan when that lands on the stored
 *   hold_until date, else hold_until at 00:00 UTC (the plan's hold changed since, or no plan), with an index for
 *   the set-wise approval;
 * - `refund_applications.refund_amount`: what a refund took from its payment (null: all of it), so partial
 *   refunds of one payment add up;
 * - `applied_events`: one row per attributed event the bus consumer has applied (even when it paid nothing), so a
 *   read knows whether to compute an event's commissions or show the stored ones; `engine_marks` row
 *   `events_applied_before` = now: events recorded earlier count as applied for reads (the consumer that ran then
 *   stored what it paid; a read must not compute what it never stored).
 */
export class PlanVersionsHolds1765000100000 implements MigrationInterface {
  name = 'PlanVersionsHolds1765000100000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    const pg = isPostgres(q);
    await q.createTable(
      new Table({
        name: 'commission_plan_versions',
        columns: [
          { name: 'plan_id', type: 'varchar', isPrimary: true },
          { name: 'version', type: 'integer', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'currency', type: 'varchar' },
          { name: 'hold_days', type: 'integer' },
          { name: 'sale_percentage', type: t.decimal, isNullable: true },
          { name: 'rules', type: 'text' },
          { name: 'effective_from', type: t.timestamp },
          { name: 'created_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('commission_plan_versions', new TableIndex({ name: 'commission_plan_versions_tenant', columnNames: ['tenant_id', 'plan_id'] }));
    // Plain ALTER TABLE ADD COLUMN on both drivers (TypeORM would rebuild SQLite tables for each column).
    await q.query(`ALTER TABLE commission_plans ADD COLUMN version integer NOT NULL DEFAULT 1`);
    await q.query(
      `INSERT INTO commission_plan_versions (plan_id, version, tenant_id, currency, hold_days, sale_percentage, rules, effective_from, created_at)
       SELECT id, 1, tenant_id, currency, hold_days, sale_percentage, rules, created_at, created_at FROM commission_plans`,
    );

    await q.query(`ALTER TABLE commissions ADD COLUMN plan_version integer`);
    await q.query(`ALTER TABLE commissions ADD COLUMN adjusts_id varchar`);
    await q.query(`ALTER TABLE commissions ADD COLUMN due_at ${t.timestamp}`);
    await q.query(`UPDATE commissions SET plan_version = 1 WHERE plan_id IS NOT NULL`);
    if (pg) {
      await q.query(
        `UPDATE commissions c SET due_at = c.occurred_at + p.hold_days * interval '1 day'
         FROM commission_plans p
         WHERE p.id = c.plan_id AND to_char((c.occurred_at + p.hold_days * interval '1 day') AT TIME ZONE 'UTC', 'YYYY-MM-DD') = c.hold_until`,
      );
      await q.query(`UPDATE commissions SET due_at = (hold_until || 'T00:00:00Z')::timestamptz WHERE due_at IS NULL`);
    } else {
      // SQLite keeps datetimes as 'YYYY-MM-DD HH:MM:SS.SSS' (UTC); strftime's %f is SS.SSS.
      const shifted = `strftime('%Y-%m-%d %H:%M:%f', commissions.occurred_at, '+' || p.hold_days || ' days')`;
      await q.query(
        `UPDATE commissions SET due_at = (SELECT ${shifted} FROM commission_plans p WHERE p.id = commissions.plan_id)
         WHERE EXISTS (SELECT 1 FROM commission_plans p WHERE p.id = commissions.plan_id AND substr(${shifted}, 1, 10) = commissions.hold_until)`,
      );
      await q.query(`UPDATE commissions SET due_at = hold_until || ' 00:00:00.000' WHERE due_at IS NULL`);
    }
    await q.createIndex('commissions', new TableIndex({ name: 'commissions_due_at', columnNames: ['status', 'due_at'] }));
    await q.createIndex('commissions', new TableIndex({ name: 'commissions_adjusts', columnNames: ['adjusts_id'] }));

    await q.query(`ALTER TABLE refund_applications ADD COLUMN refund_amount ${t.decimal}`);
    await q.createTable(
      new Table({
        name: 'applied_events',
        columns: [
          { name: 'event_id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'plan_id', type: 'varchar', isNullable: true },
          { name: 'plan_version', type: 'integer', isNullable: true },
          { name: 'applied_at', type: t.timestamp },
        ],
      }),
    );
    // Events applied before this migration are known by their stored commissions.
    await q.query(
      `INSERT INTO applied_events (event_id, tenant_id, plan_id, plan_version, applied_at)
       SELECT event_id, MIN(tenant_id), MIN(plan_id), 1, MIN(created_at) FROM commissions WHERE event_id IS NOT NULL AND source_key = event_id GROUP BY event_id`,
    );
    await q.createTable(
      new Table({
        name: 'engine_marks',
        columns: [
          { name: 'name', type: 'varchar', isPrimary: true },
          { name: 'at', type: t.timestamp },
        ],
      }),
    );
    await q.query(`INSERT INTO engine_marks (name, at) VALUES ('events_applied_before', ${pg ? 'now()' : `strftime('%Y-%m-%d %H:%M:%f', 'now')`})`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('engine_marks');
    await q.dropTable('applied_events');
    await q.query(`ALTER TABLE refund_applications DROP COLUMN refund_amount`);
    await q.dropIndex('commissions', 'commissions_adjusts');
    await q.dropIndex('commissions', 'commissions_due_at');
    for (const column of ['due_at', 'adjusts_id', 'plan_version']) await q.query(`ALTER TABLE commissions DROP COLUMN ${column}`);
    await q.query(`ALTER TABLE commission_plans DROP COLUMN version`);
    await q.dropTable('commission_plan_versions');
  }
}

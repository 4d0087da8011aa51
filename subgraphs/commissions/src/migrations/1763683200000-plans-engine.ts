import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from '../../../shared/src';

/**
 * Plans, assignments, the partner read model, and the full commissions table. The first
 * version of `commissions` was only read (earnings) and never written, so it is rebuilt.
 */
export class PlansEngine1763683200000 implements MigrationInterface {
  name = 'PlansEngine1763683200000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await q.dropTable('commissions');
    await q.createTable(
      new Table({
        name: 'commissions',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'partner_id', type: 'varchar' },
          { name: 'source_key', type: 'varchar' },
          { name: 'event_id', type: 'varchar', isNullable: true },
          { name: 'trader_id', type: 'varchar', isNullable: true },
          { name: 'plan_id', type: 'varchar', isNullable: true },
          { name: 'kind', type: 'varchar' },
          { name: 'tier', type: 'integer' },
          { name: 'rule_index', type: 'integer' },
          { name: 'base_amount', type: t.decimal, isNullable: true },
          { name: 'amount_minor', type: t.bigint },
          { name: 'currency', type: 'varchar' },
          { name: 'fx_rate', type: t.decimal, isNullable: true },
          { name: 'event_amount', type: t.decimal, isNullable: true },
          { name: 'event_currency', type: 'varchar', isNullable: true },
          { name: 'status', type: 'varchar' },
          { name: 'hold_until', type: 'varchar' },
          { name: 'occurred_at', type: t.timestamp },
          { name: 'created_at', type: t.timestamp },
          { name: 'approved_at', type: t.timestamp, isNullable: true },
          { name: 'reversed_at', type: t.timestamp, isNullable: true },
          { name: 'reversal_reason', type: 'varchar', isNullable: true },
          { name: 'paid_at', type: t.timestamp, isNullable: true },
        ],
      }),
    );
    await q.createIndex('commissions', new TableIndex({ name: 'commissions_once', columnNames: ['tenant_id', 'source_key', 'partner_id', 'kind', 'tier', 'rule_index'], isUnique: true }));
    await q.createIndex('commissions', new TableIndex({ name: 'commissions_tenant_partner', columnNames: ['tenant_id', 'partner_id', 'currency', 'status'] }));
    await q.createIndex('commissions', new TableIndex({ name: 'commissions_due', columnNames: ['status', 'hold_until'] }));
    await q.createIndex('commissions', new TableIndex({ name: 'commissions_tenant_trader', columnNames: ['tenant_id', 'trader_id'] }));
    await q.createIndex('commissions', new TableIndex({ name: 'commissions_tenant_event', columnNames: ['tenant_id', 'event_id'] }));
    await q.createTable(
      new Table({
        name: 'commission_plans',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'name', type: 'varchar' },
          { name: 'currency', type: 'varchar' },
          { name: 'hold_days', type: 'integer' },
          { name: 'product_id', type: 'varchar', isNullable: true },
          { name: 'is_default', type: 'boolean' },
          { name: 'sale_percentage', type: t.decimal, isNullable: true },
          { name: 'rules', type: 'text' },
          { name: 'created_at', type: t.timestamp },
          { name: 'updated_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('commission_plans', new TableIndex({ name: 'commission_plans_tenant', columnNames: ['tenant_id'] }));
    await q.createTable(
      new Table({
        name: 'partner_plans',
        columns: [
          { name: 'partner_id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'plan_id', type: 'varchar' },
          { name: 'assigned_at', type: t.timestamp },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'partner_refs',
        columns: [
          { name: 'partner_id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'parent_id', type: 'varchar', isNullable: true },
          { name: 'external_id', type: 'varchar', isNullable: true },
          { name: 'updated_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('partner_refs', new TableIndex({ name: 'partner_refs_tenant_external', columnNames: ['tenant_id', 'external_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['partner_refs', 'partner_plans', 'commission_plans']) await q.dropTable(table);
  }
}

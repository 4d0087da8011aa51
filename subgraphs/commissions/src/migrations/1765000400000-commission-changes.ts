import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from '../../../shared/src';

/** The per-tenant commission change log (referrer notifications): one row per commission.changed fact. */
export class CommissionChanges1765000400000 implements MigrationInterface {
  name = 'CommissionChanges1765000400000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await q.createTable(
      new Table({
        name: 'commission_changes',
        columns: [
          { name: 'fact_id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'position', type: t.bigint },
          { name: 'change', type: 'varchar' },
          { name: 'commission_id', type: 'varchar' },
          { name: 'partner_id', type: 'varchar' },
          { name: 'occurred_at', type: t.timestamp },
          { name: 'commission', type: 'text' },
          { name: 'created_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('commission_changes', new TableIndex({ name: 'commission_changes_tenant_position', columnNames: ['tenant_id', 'position'], isUnique: true }));
    await q.createIndex('commission_changes', new TableIndex({ name: 'commission_changes_partner_position', columnNames: ['tenant_id', 'partner_id', 'position'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('commission_changes');
  }
}

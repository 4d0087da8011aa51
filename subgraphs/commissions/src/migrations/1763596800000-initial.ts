import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes, createBusTables } from '../../../shared/src';

export class Initial1763596800000 implements MigrationInterface {
  name = 'Initial1763596800000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await createBusTables(q);
    await q.createTable(
      new Table({
        name: 'commissions',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'partner_id', type: 'varchar' },
          { name: 'event_id', type: 'varchar', isNullable: true },
          { name: 'trader_id', type: 'varchar', isNullable: true },
          { name: 'plan_id', type: 'varchar', isNullable: true },
          { name: 'kind', type: 'varchar' },
          { name: 'tier', type: 'integer' },
          { name: 'base_amount', type: t.decimal, isNullable: true },
          { name: 'amount_minor', type: t.bigint },
          { name: 'currency', type: 'varchar' },
          { name: 'status', type: 'varchar' },
          { name: 'hold_until', type: 'varchar' },
          { name: 'created_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('commissions', new TableIndex({ name: 'commissions_tenant_partner', columnNames: ['tenant_id', 'partner_id', 'currency', 'status'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['commissions', 'processed_facts', 'outbox']) await q.dropTable(table);
  }
}

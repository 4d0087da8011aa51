import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes, createBusTables } from '../../../shared/src';

export class Initial1763596800000 implements MigrationInterface {
  name = 'Initial1763596800000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await createBusTables(q);
    await q.createTable(
      new Table({
        name: 'partners',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'external_id', type: 'varchar', isNullable: true },
          { name: 'name', type: 'varchar' },
          { name: 'email', type: 'varchar', isNullable: true },
          { name: 'parent_id', type: 'varchar', isNullable: true },
          { name: 'referral_code', type: 'varchar' },
          { name: 'referral_code_key', type: 'varchar' },
          { name: 'created_at', type: t.timestamp },
          { name: 'updated_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('partners', new TableIndex({ name: 'partners_tenant_code', columnNames: ['tenant_id', 'referral_code_key'], isUnique: true }));
    await q.createIndex('partners', new TableIndex({ name: 'partners_tenant_external', columnNames: ['tenant_id', 'external_id'], isUnique: true }));
    await q.createIndex('partners', new TableIndex({ name: 'partners_tenant_parent', columnNames: ['tenant_id', 'parent_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('partners');
    await q.dropTable('processed_facts');
    await q.dropTable('outbox');
  }
}

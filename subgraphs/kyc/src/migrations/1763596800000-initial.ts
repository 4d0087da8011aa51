import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes, createBusTables } from '../../../shared/src';

export class Initial1763596800000 implements MigrationInterface {
  name = 'Initial1763596800000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await createBusTables(q);
    await q.createTable(
      new Table({
        name: 'referral_codes',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'referral_code', type: 'varchar' },
          { name: 'code_key', type: 'varchar' },
          { name: 'user_id', type: 'varchar' },
          { name: 'category', type: 'varchar', isNullable: true },
          { name: 'used_count', type: 'integer', default: 0 },
          { name: 'bonus_amount', type: t.decimal, isNullable: true },
          { name: 'bonus_currency', type: 'varchar', isNullable: true },
          { name: 'active', type: 'boolean' },
          { name: 'created_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('referral_codes', new TableIndex({ name: 'referral_codes_tenant_code', columnNames: ['tenant_id', 'code_key'], isUnique: true }));
    await q.createIndex('referral_codes', new TableIndex({ name: 'referral_codes_tenant_user', columnNames: ['tenant_id', 'user_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['referral_codes', 'processed_facts', 'outbox']) await q.dropTable(table);
  }
}

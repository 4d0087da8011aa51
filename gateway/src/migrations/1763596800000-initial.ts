import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from '../../../subgraphs/shared/src';

export class Initial1763596800000 implements MigrationInterface {
  name = 'Initial1763596800000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await q.createTable(
      new Table({
        name: 'tenants',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'name', type: 'varchar' },
          { name: 'created_at', type: t.timestamp },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'api_keys',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'name', type: 'varchar' },
          { name: 'key_hash', type: 'varchar', isUnique: true },
          { name: 'key_prefix', type: 'varchar' },
          { name: 'scopes', type: 'varchar' },
          { name: 'partner_id', type: 'varchar', isNullable: true },
          { name: 'created_at', type: t.timestamp },
          { name: 'expires_at', type: t.timestamp, isNullable: true },
          { name: 'revoked_at', type: t.timestamp, isNullable: true },
        ],
        foreignKeys: [{ columnNames: ['tenant_id'], referencedTableName: 'tenants', referencedColumnNames: ['id'] }],
      }),
    );
    await q.createIndex('api_keys', new TableIndex({ name: 'api_keys_tenant', columnNames: ['tenant_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('api_keys');
    await q.dropTable('tenants');
  }
}

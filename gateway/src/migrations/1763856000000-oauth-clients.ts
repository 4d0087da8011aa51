import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from '../../../subgraphs/shared/src';

export class OAuthClients1763856000000 implements MigrationInterface {
  name = 'OAuthClients1763856000000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await q.createTable(
      new Table({
        name: 'oauth_clients',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'name', type: 'varchar' },
          { name: 'secret_hash', type: 'varchar' },
          { name: 'scopes', type: 'varchar' },
          { name: 'created_at', type: t.timestamp },
          { name: 'revoked_at', type: t.timestamp, isNullable: true },
        ],
        foreignKeys: [{ columnNames: ['tenant_id'], referencedTableName: 'tenants', referencedColumnNames: ['id'] }],
      }),
    );
    await q.createIndex('oauth_clients', new TableIndex({ name: 'oauth_clients_tenant', columnNames: ['tenant_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('oauth_clients');
  }
}

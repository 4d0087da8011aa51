import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from '../../../shared/src';

/**
 * One code namespace per tenant: `code_reservations` holds every partner code (current and
 * past, copied here from `partner_codes`) and, as kyc reserves them, every KYC referral code.
 * `code_collisions` records KYC codes found taken by a partner when kyc first reports them.
 */
export class CodeNamespace1765000200000 implements MigrationInterface {
  name = 'CodeNamespace1765000200000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await q.createTable(
      new Table({
        name: 'code_reservations',
        columns: [
          { name: 'tenant_id', type: 'varchar', isPrimary: true },
          { name: 'code_key', type: 'varchar', isPrimary: true },
          { name: 'code', type: 'varchar' },
          { name: 'owner_kind', type: 'varchar' },
          { name: 'owner_id', type: 'varchar' },
          { name: 'created_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('code_reservations', new TableIndex({ name: 'code_reservations_owner', columnNames: ['tenant_id', 'owner_kind', 'owner_id'] }));
    await q.query(
      "INSERT INTO code_reservations (tenant_id, code_key, code, owner_kind, owner_id, created_at) SELECT tenant_id, code_key, code, 'partner', partner_id, created_at FROM partner_codes",
    );
    await q.createTable(
      new Table({
        name: 'code_collisions',
        columns: [
          { name: 'tenant_id', type: 'varchar', isPrimary: true },
          { name: 'code_key', type: 'varchar', isPrimary: true },
          { name: 'kyc_code_id', type: 'varchar', isPrimary: true },
          { name: 'code', type: 'varchar' },
          { name: 'partner_id', type: 'varchar' },
          { name: 'detected_at', type: t.timestamp },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('code_collisions');
    await q.dropTable('code_reservations');
  }
}

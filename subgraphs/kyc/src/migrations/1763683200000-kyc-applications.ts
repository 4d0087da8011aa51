import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from '../../../shared/src';

/** KYC applications and the read model of partners. */
export class KycApplications1763683200000 implements MigrationInterface {
  name = 'KycApplications1763683200000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await q.createTable(
      new Table({
        name: 'kyc_applications',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'user_id', type: 'varchar' },
          { name: 'first_name', type: 'varchar', isNullable: true },
          { name: 'last_name', type: 'varchar', isNullable: true },
          { name: 'email', type: 'varchar', isNullable: true },
          { name: 'country', type: 'varchar', isNullable: true },
          { name: 'referral_code_id', type: 'varchar', isNullable: true },
          { name: 'status', type: 'varchar' },
          { name: 'rejection_reason', type: 'varchar', isNullable: true },
          { name: 'submitted_at', type: t.timestamp },
          { name: 'decided_at', type: t.timestamp, isNullable: true },
        ],
      }),
    );
    await q.createIndex('kyc_applications', new TableIndex({ name: 'kyc_applications_tenant_user', columnNames: ['tenant_id', 'user_id'] }));
    await q.createIndex('kyc_applications', new TableIndex({ name: 'kyc_applications_tenant_code', columnNames: ['tenant_id', 'referral_code_id'] }));
    await q.createTable(
      new Table({
        name: 'partner_refs',
        columns: [
          { name: 'partner_id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'external_id', type: 'varchar', isNullable: true },
          { name: 'updated_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('partner_refs', new TableIndex({ name: 'partner_refs_tenant_external', columnNames: ['tenant_id', 'external_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('partner_refs');
    await q.dropTable('kyc_applications');
  }
}

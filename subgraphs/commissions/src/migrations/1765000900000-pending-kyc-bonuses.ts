import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from '../../../shared/src';

/** KYC approvals waiting for their code owner to be known as a partner (see PendingKycBonus). */
export class PendingKycBonuses1765000900000 implements MigrationInterface {
  name = 'PendingKycBonuses1765000900000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await q.createTable(
      new Table({
        name: 'pending_kyc_bonuses',
        columns: [
          { name: 'application_id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'owner_user_id', type: 'varchar' },
          { name: 'approval', type: 'text' },
          { name: 'created_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('pending_kyc_bonuses', new TableIndex({ name: 'pending_kyc_bonuses_owner', columnNames: ['tenant_id', 'owner_user_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('pending_kyc_bonuses');
  }
}

import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from '../../../shared/src';

/** One row per processed refund or chargeback: the payment it reversed (see RefundApplication). */
export class RefundApplications1764979200000 implements MigrationInterface {
  name = 'RefundApplications1764979200000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await q.createTable(
      new Table({
        name: 'refund_applications',
        columns: [
          { name: 'refund_event_id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'payment_event_id', type: 'varchar' },
          { name: 'applied_by', type: 'varchar' },
          { name: 'applied_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('refund_applications', new TableIndex({ name: 'refund_applications_payment', columnNames: ['tenant_id', 'payment_event_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('refund_applications');
  }
}

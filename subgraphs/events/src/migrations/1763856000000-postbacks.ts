import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from '../../../shared/src';

/** Postback endpoints and their delivery log. */
export class Postbacks1763856000000 implements MigrationInterface {
  name = 'Postbacks1763856000000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await q.createTable(
      new Table({
        name: 'postback_endpoints',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'url', type: 'varchar' },
          { name: 'description', type: 'varchar', isNullable: true },
          { name: 'event_types', type: 'text' },
          { name: 'enabled', type: 'boolean' },
          { name: 'disabled_reason', type: 'varchar', isNullable: true },
          { name: 'secret_enc', type: 'text' },
          { name: 'previous_secret_enc', type: 'text', isNullable: true },
          { name: 'previous_secret_until', type: t.timestamp, isNullable: true },
          { name: 'failing_since', type: t.timestamp, isNullable: true },
          { name: 'created_at', type: t.timestamp },
          { name: 'updated_at', type: t.timestamp },
          { name: 'deleted_at', type: t.timestamp, isNullable: true },
        ],
      }),
    );
    await q.createIndex('postback_endpoints', new TableIndex({ name: 'postback_endpoints_tenant', columnNames: ['tenant_id'] }));
    await q.createTable(
      new Table({
        name: 'postback_deliveries',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'endpoint_id', type: 'varchar' },
          { name: 'message_id', type: 'varchar' },
          { name: 'event_id', type: 'varchar', isNullable: true },
          { name: 'event_type', type: 'varchar' },
          { name: 'is_test', type: 'boolean' },
          { name: 'status', type: 'varchar' },
          { name: 'attempt', type: 'integer' },
          { name: 'body', type: 'text' },
          { name: 'response_status', type: 'integer', isNullable: true },
          { name: 'duration_ms', type: 'integer', isNullable: true },
          { name: 'error', type: 'varchar', isNullable: true },
          { name: 'next_attempt_at', type: t.timestamp, isNullable: true },
          { name: 'lease_until', type: t.timestamp, isNullable: true },
          { name: 'created_at', type: t.timestamp },
          { name: 'attempted_at', type: t.timestamp, isNullable: true },
        ],
      }),
    );
    await q.createIndex('postback_deliveries', new TableIndex({ name: 'postback_deliveries_due', columnNames: ['status', 'next_attempt_at'] }));
    await q.createIndex('postback_deliveries', new TableIndex({ name: 'postback_deliveries_endpoint', columnNames: ['tenant_id', 'endpoint_id', 'status'] }));
    // One first attempt per message: a redelivered event.recorded creates nothing twice.
    await q.createIndex('postback_deliveries', new TableIndex({ name: 'postback_deliveries_message_attempt', columnNames: ['message_id', 'attempt'], isUnique: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('postback_deliveries');
    await q.dropTable('postback_endpoints');
  }
}

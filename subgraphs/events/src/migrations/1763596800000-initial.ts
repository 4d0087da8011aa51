import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes, createBusTables } from '../../../shared/src';

export class Initial1763596800000 implements MigrationInterface {
  name = 'Initial1763596800000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await createBusTables(q);
    await q.createTable(
      new Table({
        name: 'traders',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'email', type: 'varchar', isNullable: true },
          { name: 'email_key', type: 'varchar', isNullable: true },
          { name: 'name', type: 'varchar', isNullable: true },
          { name: 'external_id', type: 'varchar', isNullable: true },
          { name: 'partner_id', type: 'varchar', isNullable: true },
          { name: 'attribution', type: 'varchar', default: "'NONE'" },
          { name: 'country', type: 'varchar', isNullable: true },
          { name: 'language', type: 'varchar', isNullable: true },
          { name: 'kyc_status', type: 'varchar', isNullable: true },
          { name: 'account_type', type: 'varchar', isNullable: true },
          { name: 'leverage', type: 'varchar', isNullable: true },
          { name: 'signup_at', type: t.timestamp, isNullable: true },
          { name: 'created_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('traders', new TableIndex({ name: 'traders_tenant_email', columnNames: ['tenant_id', 'email_key'], isUnique: true }));
    await q.createIndex('traders', new TableIndex({ name: 'traders_tenant_external', columnNames: ['tenant_id', 'external_id'], isUnique: true }));
    await q.createIndex('traders', new TableIndex({ name: 'traders_tenant_partner', columnNames: ['tenant_id', 'partner_id'] }));
    await q.createTable(
      new Table({
        name: 'events',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'event_type', type: 'varchar' },
          { name: 'custom_event_name', type: 'varchar', isNullable: true },
          { name: 'partner_id', type: 'varchar', isNullable: true },
          { name: 'trader_id', type: 'varchar', isNullable: true },
          { name: 'attribution', type: 'varchar' },
          { name: 'amount', type: t.decimal, isNullable: true },
          { name: 'currency', type: 'varchar', isNullable: true },
          { name: 'payment_method', type: 'varchar', isNullable: true },
          { name: 'subscription_status', type: 'varchar', isNullable: true },
          { name: 'product_id', type: 'varchar', isNullable: true },
          { name: 'is_conversion', type: 'boolean' },
          { name: 'is_duplicate', type: 'boolean' },
          { name: 'idempotency_key', type: 'varchar', isNullable: true },
          { name: 'request_hash', type: 'varchar', isNullable: true },
          { name: 'occurred_at', type: t.timestamp },
          { name: 'created_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('events', new TableIndex({ name: 'events_tenant_idempotency', columnNames: ['tenant_id', 'idempotency_key'], isUnique: true }));
    await q.createIndex('events', new TableIndex({ name: 'events_tenant_partner_type', columnNames: ['tenant_id', 'partner_id', 'event_type', 'occurred_at'] }));
    await q.createIndex('events', new TableIndex({ name: 'events_tenant_trader_type', columnNames: ['tenant_id', 'trader_id', 'event_type'] }));
    await q.createTable(
      new Table({
        name: 'referral_code_owners',
        columns: [
          { name: 'tenant_id', type: 'varchar', isPrimary: true },
          { name: 'source', type: 'varchar', isPrimary: true },
          { name: 'code_key', type: 'varchar', isPrimary: true },
          { name: 'code', type: 'varchar' },
          { name: 'partner_id', type: 'varchar', isNullable: true },
          { name: 'owner_user_id', type: 'varchar', isNullable: true },
          { name: 'active', type: 'boolean' },
          { name: 'updated_at', type: t.timestamp },
        ],
      }),
    );
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
    for (const table of ['partner_refs', 'referral_code_owners', 'events', 'traders', 'processed_facts', 'outbox']) await q.dropTable(table);
  }
}

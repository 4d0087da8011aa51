import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';
import { columnTypes } from '../../../shared/src';

/** Click and fingerprint attribution, stream positions, tenant settings, forex ingestion. */
export class AttributionForex1763683200000 implements MigrationInterface {
  name = 'AttributionForex1763683200000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await q.addColumns('events', [
      new TableColumn({ name: 'position', type: t.bigint, isNullable: true }),
      new TableColumn({ name: 'click_id', type: 'varchar', isNullable: true }),
      new TableColumn({ name: 'link_id', type: 'varchar', isNullable: true }),
      new TableColumn({ name: 'fingerprint', type: 'varchar', isNullable: true }),
      new TableColumn({ name: 'source', type: 'varchar', default: "'api'" }),
    ]);
    // Existing events get positions in id (creation) order, per tenant.
    const rows: { id: string; tenant_id: string }[] = await q.query('SELECT id, tenant_id FROM events ORDER BY tenant_id, id');
    const next = new Map<string, number>();
    for (const r of rows) {
      const p = (next.get(r.tenant_id) ?? 0) + 1;
      next.set(r.tenant_id, p);
      await q.query(q.connection.options.type === 'postgres' ? 'UPDATE events SET position = $1 WHERE id = $2' : 'UPDATE events SET position = ? WHERE id = ?', [p, r.id]);
    }
    await q.createIndex('events', new TableIndex({ name: 'events_tenant_position', columnNames: ['tenant_id', 'position'], isUnique: true }));
    await q.createIndex('events', new TableIndex({ name: 'events_tenant_link_time', columnNames: ['tenant_id', 'link_id', 'occurred_at'] }));

    await q.addColumns('traders', [
      new TableColumn({ name: 'sales_status', type: 'varchar', isNullable: true }),
      new TableColumn({ name: 'tracking_data', type: 'varchar', isNullable: true }),
      new TableColumn({ name: 'affiliate_id', type: 'varchar', isNullable: true }),
      new TableColumn({ name: 'last_modified_at', type: t.timestamp, isNullable: true }),
    ]);

    await q.createTable(
      new Table({
        name: 'recent_clicks',
        columns: [
          { name: 'click_id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'link_id', type: 'varchar' },
          { name: 'partner_id', type: 'varchar' },
          { name: 'fingerprint', type: 'varchar' },
          { name: 'created_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('recent_clicks', new TableIndex({ name: 'recent_clicks_fingerprint', columnNames: ['tenant_id', 'fingerprint', 'created_at'] }));
    await q.createTable(
      new Table({
        name: 'tenant_settings',
        columns: [
          { name: 'tenant_id', type: 'varchar', isPrimary: true },
          { name: 'conversion_event_types', type: 'text', isNullable: true },
          { name: 'attribution_window_hours', type: 'integer', isNullable: true },
          { name: 'updated_at', type: t.timestamp },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'forex_transactions',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'transaction_id', type: 'varchar' },
          { name: 'customer_id', type: 'varchar' },
          { name: 'trader_id', type: 'varchar' },
          { name: 'transaction_type', type: 'varchar' },
          { name: 'transaction_subtype', type: 'varchar', isNullable: true },
          { name: 'amount', type: t.decimal },
          { name: 'amount_usd', type: t.decimal, isNullable: true },
          { name: 'currency', type: 'varchar' },
          { name: 'transaction_date', type: t.timestamp },
          { name: 'status', type: 'varchar' },
          { name: 'note', type: 'varchar', isNullable: true },
          { name: 'derived', type: 'text' },
          { name: 'created_at', type: t.timestamp },
          { name: 'updated_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('forex_transactions', new TableIndex({ name: 'forex_transactions_tenant_txn', columnNames: ['tenant_id', 'transaction_id'], isUnique: true }));
    await q.createIndex('forex_transactions', new TableIndex({ name: 'forex_transactions_tenant_trader', columnNames: ['tenant_id', 'trader_id', 'transaction_date'] }));
    await q.createTable(
      new Table({
        name: 'trading_activity',
        columns: [
          { name: 'tenant_id', type: 'varchar', isPrimary: true },
          { name: 'date', type: 'varchar', isPrimary: true },
          { name: 'customer_id', type: 'varchar', isPrimary: true },
          { name: 'instrument', type: 'varchar', isPrimary: true },
          { name: 'currency', type: 'varchar', isPrimary: true },
          { name: 'trader_id', type: 'varchar' },
          { name: 'lots_traded', type: t.decimal },
          { name: 'volume_usd', type: t.decimal, isNullable: true },
          { name: 'spread_cost', type: t.decimal, isNullable: true },
          { name: 'commission', type: t.decimal, isNullable: true },
          { name: 'pnl', type: t.decimal, isNullable: true },
          { name: 'created_at', type: t.timestamp },
          { name: 'updated_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('trading_activity', new TableIndex({ name: 'trading_activity_tenant_trader', columnNames: ['tenant_id', 'trader_id', 'date'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['trading_activity', 'forex_transactions', 'tenant_settings', 'recent_clicks']) await q.dropTable(table);
  }
}

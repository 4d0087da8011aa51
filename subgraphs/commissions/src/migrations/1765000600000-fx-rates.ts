import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from '../../../shared/src';

/** The tenant rate table (setFxRate) and the settlement currency of FX_PENDING commissions. */
export class FxRates1765000600000 implements MigrationInterface {
  name = 'FxRates1765000600000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await q.createTable(
      new Table({
        name: 'fx_rates',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'from_currency', type: 'varchar' },
          { name: 'to_currency', type: 'varchar' },
          { name: 'rate', type: 'varchar' },
          { name: 'effective_from', type: t.timestamp },
          { name: 'created_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('fx_rates', new TableIndex({ name: 'fx_rates_tenant_pair', columnNames: ['tenant_id', 'from_currency', 'to_currency', 'effective_from'] }));
    // Plain ALTER TABLE ADD COLUMN on both drivers (TypeORM would rebuild the SQLite table).
    await q.query(`ALTER TABLE commissions ADD COLUMN settlement_currency varchar`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE commissions DROP COLUMN settlement_currency`);
    await q.dropTable('fx_rates');
  }
}

import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from '../../../shared/src';

/** The tenant's dated exchange rates as events knows them (fx_rate.changed): isConversion compares minAmount with them. */
export class FxRateModels1765001000000 implements MigrationInterface {
  name = 'FxRateModels1765001000000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await q.createTable(
      new Table({
        name: 'fx_rate_models',
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
    await q.createIndex('fx_rate_models', new TableIndex({ name: 'fx_rate_models_tenant', columnNames: ['tenant_id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('fx_rate_models');
  }
}

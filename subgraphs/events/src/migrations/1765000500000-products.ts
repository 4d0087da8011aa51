import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';
import { columnTypes } from '../../../shared/src';

/** The tenant's product catalogue, and the setting that refuses events naming unknown products. */
export class Products1765000500000 implements MigrationInterface {
  name = 'Products1765000500000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await q.createTable(
      new Table({
        name: 'products',
        columns: [
          { name: 'tenant_id', type: 'varchar', isPrimary: true },
          { name: 'product_id', type: 'varchar', isPrimary: true },
          { name: 'name', type: 'varchar' },
          { name: 'created_at', type: t.timestamp },
          { name: 'updated_at', type: t.timestamp },
          { name: 'archived_at', type: t.timestamp, isNullable: true },
        ],
      }),
    );
    await q.addColumn('tenant_settings', new TableColumn({ name: 'refuse_unknown_products', type: 'boolean', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('tenant_settings', 'refuse_unknown_products');
    await q.dropTable('products');
  }
}

import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

/** Read models of commission plans, so isConversion follows what the partner's plan pays for. */
export class PlanModels1763769600000 implements MigrationInterface {
  name = 'PlanModels1763769600000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'plan_models',
        columns: [
          { name: 'plan_id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'is_default', type: 'boolean' },
          { name: 'product_id', type: 'varchar', isNullable: true },
          { name: 'cpa_event_types', type: 'text' },
        ],
      }),
    );
    await q.createIndex('plan_models', new TableIndex({ name: 'plan_models_tenant', columnNames: ['tenant_id'] }));
    await q.createTable(
      new Table({
        name: 'partner_plan_models',
        columns: [
          { name: 'partner_id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'plan_id', type: 'varchar' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('partner_plan_models');
    await q.dropTable('plan_models');
  }
}

import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';
import { columnTypes } from '../../../shared/src';

/**
 * The time of the fact each read-model row was last written from, so that an older fact (out of order, or
 * republished after Redis lost data) never overwrites a newer one. Null on rows written before: any fact applies.
 * tenant_settings gets its own column: events' own settings mutation also writes updated_at.
 */
export class ReadModelFactTimes1765001600010 implements MigrationInterface {
  name = 'ReadModelFactTimes1765001600010';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await q.addColumn('tenant_settings', new TableColumn({ name: 'link_settings_at', type: t.timestamp, isNullable: true }));
    await q.addColumn('plan_models', new TableColumn({ name: 'updated_at', type: t.timestamp, isNullable: true }));
    await q.addColumn('partner_plan_models', new TableColumn({ name: 'updated_at', type: t.timestamp, isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('partner_plan_models', 'updated_at');
    await q.dropColumn('plan_models', 'updated_at');
    await q.dropColumn('tenant_settings', 'link_settings_at');
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';
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
    // Plain ALTER TABLE: earlier migrations altered these tables in SQL, which TypeORM's SQLite table rebuild would not know.
    await q.query(`ALTER TABLE tenant_settings ADD COLUMN link_settings_at ${t.timestamp}`);
    await q.query(`ALTER TABLE plan_models ADD COLUMN updated_at ${t.timestamp}`);
    await q.query(`ALTER TABLE partner_plan_models ADD COLUMN updated_at ${t.timestamp}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE partner_plan_models DROP COLUMN updated_at');
    await q.query('ALTER TABLE plan_models DROP COLUMN updated_at');
    await q.query('ALTER TABLE tenant_settings DROP COLUMN link_settings_at');
  }
}

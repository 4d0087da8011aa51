import { MigrationInterface, QueryRunner } from 'typeorm';

/** Whether partner credentials may call recordClick; null (rows stored before) reads as false, the default. */
export class PartnersRecordClicks1765001300000 implements MigrationInterface {
  name = 'PartnersRecordClicks1765001300000';

  async up(q: QueryRunner): Promise<void> {
    // Plain ALTER TABLE ADD COLUMN on both drivers (TypeORM would rebuild the SQLite table).
    await q.query(`ALTER TABLE link_settings ADD COLUMN partners_record_clicks boolean`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE link_settings DROP COLUMN partners_record_clicks`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The version of an idempotency fingerprint (events.request_hash). Rows stored before it are
 * left null, read as version 1, so their keys keep matching replays of the same spelling.
 */
export class RequestHashVersion1765001300000 implements MigrationInterface {
  name = 'RequestHashVersion1765001300000';

  async up(q: QueryRunner): Promise<void> {
    // Plain ALTER TABLE ADD COLUMN on both drivers (TypeORM would rebuild the SQLite table).
    await q.query(`ALTER TABLE events ADD COLUMN request_hash_version integer`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events DROP COLUMN request_hash_version`);
  }
}

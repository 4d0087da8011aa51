import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * events.conversion_awaits_rate: isConversion was decided without an exchange rate, so the first rate covering the
 * event decides it again. Events stored before it are false: their flag stays as it was recorded.
 */
export class ConversionAwaitsRate1765001500000 implements MigrationInterface {
  name = 'ConversionAwaitsRate1765001500000';

  async up(q: QueryRunner): Promise<void> {
    // Plain ALTER TABLE ADD COLUMN on both drivers (TypeORM would rebuild the SQLite table).
    await q.query(`ALTER TABLE events ADD COLUMN conversion_awaits_rate boolean NOT NULL DEFAULT false`);
    // A rate looks up only the few events waiting for one: a partial index keeps that cheap (both drivers have them).
    await q.query(`CREATE INDEX idx_events_awaiting_rate ON events (tenant_id, currency) WHERE conversion_awaits_rate`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX idx_events_awaiting_rate`);
    await q.query(`ALTER TABLE events DROP COLUMN conversion_awaits_rate`);
  }
}

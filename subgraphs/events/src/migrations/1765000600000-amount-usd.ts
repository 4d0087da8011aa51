import { MigrationInterface, QueryRunner } from 'typeorm';

/** An event's USD value as the sender gave it (trackEvent amountUsd, Track360 amount_usd). */
export class AmountUsd1765000600000 implements MigrationInterface {
  name = 'AmountUsd1765000600000';

  async up(q: QueryRunner): Promise<void> {
    // Plain ALTER TABLE ADD COLUMN on both drivers (TypeORM would rebuild the SQLite table).
    await q.query(`ALTER TABLE events ADD COLUMN amount_usd varchar`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events DROP COLUMN amount_usd`);
  }
}

import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Events whose referral code was not known yet are stored PENDING with the code they wait
 * for; the read-model consumer settles them when the code arrives. The partial index holds
 * only PENDING events, so finding them by code, by trader or by age stays cheap however
 * many events the table holds. Same DDL on SQLite and PostgreSQL.
 */
export class PendingAttribution1765000300000 implements MigrationInterface {
  name = 'PendingAttribution1765000300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE events ADD COLUMN pending_code varchar NULL');
    await q.query("CREATE INDEX events_pending ON events (tenant_id, pending_code, trader_id) WHERE attribution = 'PENDING'");
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX events_pending');
    await q.dropColumn('events', 'pending_code');
  }
}

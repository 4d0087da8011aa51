import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * isConversion by the plan version in force when an event occurred (plan_models.versions, fed by
 * commission_plan.changed), and refunds that name the payment they refund (events.refund_of).
 */
export class PlanVersionsRefundOf1765000110000 implements MigrationInterface {
  name = 'PlanVersionsRefundOf1765000110000';

  async up(q: QueryRunner): Promise<void> {
    // Plain ALTER TABLE ADD COLUMN on both drivers (TypeORM would rebuild SQLite tables).
    await q.query(`ALTER TABLE plan_models ADD COLUMN versions text`);
    await q.query(`ALTER TABLE events ADD COLUMN refund_of varchar`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events DROP COLUMN refund_of`);
    await q.query(`ALTER TABLE plan_models DROP COLUMN versions`);
  }
}

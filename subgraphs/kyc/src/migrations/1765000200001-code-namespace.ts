import { MigrationInterface, QueryRunner } from 'typeorm';
import { columnTypes } from '../../../shared/src';

/**
 * `reserved_at`: when links confirmed the code in the tenant's one namespace of referral codes.
 * Codes stored before are null here and sent to links by kyc's start-up sync.
 */
export class CodeNamespace1765000200001 implements MigrationInterface {
  name = 'CodeNamespace1765000200001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE referral_codes ADD COLUMN reserved_at ${columnTypes(q).timestamp} NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE referral_codes DROP COLUMN reserved_at');
  }
}

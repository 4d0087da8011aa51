import { MigrationInterface, QueryRunner } from 'typeorm';
import { addBusRecoveryColumns, dropBusRecoveryColumns } from '../../../shared/src';

/** Where the bus holds each published fact, so the relay republishes what Redis forgets; retention indexes. */
export class BusRecovery1765001600001 implements MigrationInterface {
  name = 'BusRecovery1765001600001';

  async up(q: QueryRunner): Promise<void> {
    await addBusRecoveryColumns(q);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropBusRecoveryColumns(q);
  }
}

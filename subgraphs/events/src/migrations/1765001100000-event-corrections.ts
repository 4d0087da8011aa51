import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from '../../../shared/src';

/** The per-tenant log of event corrections that conversionCorrected replays (entities/event-correction.entity.ts). */
export class EventCorrections1765001100000 implements MigrationInterface {
  name = 'EventCorrections1765001100000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    await q.createTable(
      new Table({
        name: 'event_corrections',
        columns: [
          { name: 'fact_id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'position', type: t.bigint },
          { name: 'event_id', type: 'varchar' },
          { name: 'partner_id', type: 'varchar', isNullable: true },
          { name: 'event_type', type: 'varchar' },
          { name: 'previous_event_type', type: 'varchar' },
          { name: 'is_conversion', type: 'boolean' },
          { name: 'previous_is_conversion', type: 'boolean' },
          { name: 'correction', type: 'text' },
          { name: 'corrected_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('event_corrections', new TableIndex({ name: 'event_corrections_tenant_position', columnNames: ['tenant_id', 'position'], isUnique: true }));
    await q.createIndex('event_corrections', new TableIndex({ name: 'event_corrections_partner_position', columnNames: ['tenant_id', 'partner_id', 'position'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('event_corrections');
  }
}

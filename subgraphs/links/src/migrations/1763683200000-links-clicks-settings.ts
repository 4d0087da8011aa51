import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';
import { columnTypes } from '../../../shared/src';

/** Referral links, clicks, link settings and keys, and the history of partner codes. */
export class LinksClicksSettings1763683200000 implements MigrationInterface {
  name = 'LinksClicksSettings1763683200000';

  async up(q: QueryRunner): Promise<void> {
    const t = columnTypes(q);
    const utm = ['utm_source', 'utm_medium', 'utm_campaign', 'utm_term', 'utm_content'].map((name) => ({ name, type: 'varchar', isNullable: true }));
    await q.createTable(
      new Table({
        name: 'partner_codes',
        columns: [
          { name: 'tenant_id', type: 'varchar', isPrimary: true },
          { name: 'code_key', type: 'varchar', isPrimary: true },
          { name: 'code', type: 'varchar' },
          { name: 'partner_id', type: 'varchar' },
          { name: 'created_at', type: t.timestamp },
          { name: 'replaced_at', type: t.timestamp, isNullable: true },
        ],
      }),
    );
    await q.createIndex('partner_codes', new TableIndex({ name: 'partner_codes_partner', columnNames: ['tenant_id', 'partner_id'] }));
    await q.query(
      'INSERT INTO partner_codes (tenant_id, code_key, code, partner_id, created_at, replaced_at) SELECT tenant_id, referral_code_key, referral_code, id, created_at, NULL FROM partners',
    );
    await q.createTable(
      new Table({
        name: 'link_settings',
        columns: [
          { name: 'tenant_id', type: 'varchar', isPrimary: true },
          { name: 'primary_domain', type: 'varchar' },
          { name: 'regional_domains', type: 'text' },
          { name: 'referral_path', type: 'varchar' },
          { name: 'encryption_key_id', type: 'varchar', isNullable: true },
          { name: 'click_cookie_name', type: 'varchar' },
          { name: 'click_cookie_days', type: 'integer' },
          { name: 'click_param_name', type: 'varchar' },
          { name: 'attribution_window_hours', type: 'integer' },
          { name: 'updated_at', type: t.timestamp },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'link_keys',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'secret_enc', type: 'text' },
          { name: 'created_at', type: t.timestamp },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'referral_links',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'partner_id', type: 'varchar' },
          { name: 'slug', type: 'varchar', isUnique: true },
          { name: 'path', type: 'varchar' },
          { name: 'encrypt_partner_id', type: 'boolean' },
          { name: 'partner_token', type: 'varchar', isNullable: true },
          ...utm,
          { name: 'geo_routing', type: 'boolean' },
          { name: 'referral_code', type: 'varchar' },
          { name: 'created_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('referral_links', new TableIndex({ name: 'referral_links_tenant_partner', columnNames: ['tenant_id', 'partner_id'] }));
    await q.createTable(
      new Table({
        name: 'clicks',
        columns: [
          { name: 'id', type: 'varchar', isPrimary: true },
          { name: 'tenant_id', type: 'varchar' },
          { name: 'link_id', type: 'varchar' },
          { name: 'partner_id', type: 'varchar' },
          { name: 'ip', type: 'varchar', isNullable: true },
          { name: 'country', type: 'varchar', isNullable: true },
          { name: 'device_type', type: 'varchar', isNullable: true },
          { name: 'browser', type: 'varchar', isNullable: true },
          { name: 'os', type: 'varchar', isNullable: true },
          { name: 'user_agent', type: 'varchar', isNullable: true },
          { name: 'referrer', type: 'varchar', isNullable: true },
          { name: 'landing_url', type: 'varchar', isNullable: true },
          ...utm,
          { name: 'fingerprint', type: 'varchar', isNullable: true },
          { name: 'is_unique', type: 'boolean' },
          { name: 'created_at', type: t.timestamp },
        ],
      }),
    );
    await q.createIndex('clicks', new TableIndex({ name: 'clicks_tenant_partner_time', columnNames: ['tenant_id', 'partner_id', 'created_at'] }));
    await q.createIndex('clicks', new TableIndex({ name: 'clicks_tenant_link_time', columnNames: ['tenant_id', 'link_id', 'created_at'] }));
    await q.createIndex('clicks', new TableIndex({ name: 'clicks_link_fingerprint_time', columnNames: ['link_id', 'fingerprint', 'created_at'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['clicks', 'referral_links', 'link_keys', 'link_settings', 'partner_codes']) await q.dropTable(table);
  }
}

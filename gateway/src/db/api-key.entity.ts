import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An API key of a tenant. Only its SHA-256 is stored; the key itself is shown once. */
@Entity('api_keys')
export class ApiKey {
  @PrimaryColumn({ type: 'varchar' })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ type: 'varchar' })
  name: string;

  @Column({ name: 'key_hash', type: 'varchar', unique: true })
  keyHash: string;

  /** The first characters of the key, to recognise it in listings. */
  @Column({ name: 'key_prefix', type: 'varchar' })
  keyPrefix: string;

  /** Space-separated scopes. */
  @Column({ type: 'varchar' })
  scopes: string;

  /** Set for a key confined to one partner (a partner principal). */
  @Column({ name: 'partner_id', type: 'varchar', nullable: true })
  partnerId: string | null;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'expires_at', type: Date, nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'revoked_at', type: Date, nullable: true })
  revokedAt: Date | null;
}

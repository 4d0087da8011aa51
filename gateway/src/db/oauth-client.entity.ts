import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An OAuth 2.0 client of a tenant (client credentials grant). Only the secret's SHA-256 is stored. */
@Entity('oauth_clients')
export class OAuthClient {
  /** The client_id. */
  @PrimaryColumn({ type: 'varchar' })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ type: 'varchar' })
  name: string;

  @Column({ name: 'secret_hash', type: 'varchar' })
  secretHash: string;

  /** Space-separated scopes the client may ask for. */
  @Column({ type: 'varchar' })
  scopes: string;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'revoked_at', type: Date, nullable: true })
  revokedAt: Date | null;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Every code a partner has had. A changed code keeps resolving to its partner (links
 * already printed on flyers keep working), so old codes stay reserved.
 */
@Entity('partner_codes')
export class PartnerCode {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @PrimaryColumn({ name: 'code_key', type: 'varchar' })
  codeKey: string;

  @Column({ type: 'varchar' })
  code: string;

  @Column({ name: 'partner_id', type: 'varchar' })
  partnerId: string;

  @Column({ name: 'created_at' })
  createdAt: Date;

  /** When the partner moved to another code; null for the current one. */
  @Column({ name: 'replaced_at', type: Date, nullable: true })
  replacedAt: Date | null;
}

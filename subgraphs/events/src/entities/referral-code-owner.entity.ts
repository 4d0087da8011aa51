import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * Read model of referral codes (partner codes from links, KYC codes from kyc), fed by
 * `referral_code.changed` facts, so attribution by code never calls another subgraph.
 */
@Entity('referral_code_owners')
export class ReferralCodeOwner {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  /** Lower-cased code: codes are unique per tenant ignoring case. */
  @PrimaryColumn({ name: 'code_key', type: 'varchar' })
  codeKey: string;

  /** `links` (a partner's own code) or `kyc` (a KYC referral code). */
  @PrimaryColumn({ type: 'varchar' })
  source: string;

  @Column({ type: 'varchar' })
  code: string;

  @Column({ name: 'partner_id', type: 'varchar', nullable: true })
  partnerId: string | null;

  /** For KYC codes: the owner's user id (a partner's externalId). */
  @Column({ name: 'owner_user_id', type: 'varchar', nullable: true })
  ownerUserId: string | null;

  @Column({ type: 'boolean' })
  active: boolean;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}

/** Read model of partners (fed by `partner.changed`): maps a KYC code owner's user id to its partner. */
@Entity('partner_refs')
export class PartnerRef {
  @PrimaryColumn({ name: 'partner_id', type: 'varchar' })
  partnerId: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'external_id', type: 'varchar', nullable: true })
  externalId: string | null;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}

import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A KYC approval whose code owner commissions does not know as a partner yet (the owner's
 * `partner.changed` has not arrived, or the owner is not a partner at all). Kept until a
 * partner with that `externalId` arrives, which pays the bonus once and removes the row.
 */
@Entity('pending_kyc_bonuses')
export class PendingKycBonus {
  @PrimaryColumn({ name: 'application_id', type: 'varchar' })
  applicationId: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'owner_user_id', type: 'varchar' })
  ownerUserId: string;

  /** The `kyc.approved` payload, as received. */
  @Column({ type: 'simple-json' })
  approval: unknown;

  @Column({ name: 'created_at' })
  createdAt: Date;
}

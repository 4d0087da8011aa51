import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { CodeOwnerKind } from '../domain/code-namespace';

/**
 * The tenant's one namespace of referral codes: every partner code (current and past) and
 * every KYC referral code, one row per code ignoring case. The primary key is what makes two
 * owners of one code impossible, even when both are created in the same millisecond.
 */
@Entity('code_reservations')
export class CodeReservation {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  /** The lower-cased code. */
  @PrimaryColumn({ name: 'code_key', type: 'varchar' })
  codeKey: string;

  /** The code as its owner spelt it. */
  @Column({ type: 'varchar' })
  code: string;

  @Column({ name: 'owner_kind', type: 'varchar' })
  ownerKind: CodeOwnerKind;

  /** A partner id, or a KYC referral code id. */
  @Column({ name: 'owner_id', type: 'varchar' })
  ownerId: string;

  @Column({ name: 'created_at' })
  createdAt: Date;
}

/**
 * A KYC code that kyc already had when links began keeping the namespace and that a partner
 * also holds: stored before the rule, reported at every start (log and
 * `referral_code_collisions`), never created again.
 */
@Entity('code_collisions')
export class CodeCollision {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @PrimaryColumn({ name: 'code_key', type: 'varchar' })
  codeKey: string;

  @PrimaryColumn({ name: 'kyc_code_id', type: 'varchar' })
  kycCodeId: string;

  @Column({ type: 'varchar' })
  code: string;

  @Column({ name: 'partner_id', type: 'varchar' })
  partnerId: string;

  @Column({ name: 'detected_at' })
  detectedAt: Date;
}

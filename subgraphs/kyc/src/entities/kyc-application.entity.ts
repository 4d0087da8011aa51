import { Directive, Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

export enum KycStatus {
  PENDING = 'PENDING',
  APPROVED = 'APPROVED',
  REJECTED = 'REJECTED',
}
registerEnumType(KycStatus, { name: 'KycStatus' });

/** A KYC verification of a new user, optionally with a referral code (POST /v1/kyc/start). */
@Entity('kyc_applications')
@ObjectType({ description: 'A KYC application; approval tracks the referral and pays the code bonus' })
@Directive('@key(fields: "id")')
export class KycApplication {
  @PrimaryColumn({ type: 'varchar' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'user_id', type: 'varchar' })
  @Field({ description: 'The new user being verified' })
  userId: string;

  @Column({ name: 'first_name', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  firstName: string | null;

  @Column({ name: 'last_name', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  lastName: string | null;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  email: string | null;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2' })
  country: string | null;

  @Column({ name: 'referral_code_id', type: 'varchar', nullable: true })
  referralCodeId: string | null;

  @Column({ type: 'varchar' })
  @Field(() => KycStatus)
  status: KycStatus;

  @Column({ name: 'rejection_reason', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  rejectionReason: string | null;

  @Column({ name: 'submitted_at' })
  @Field()
  submittedAt: Date;

  @Column({ name: 'decided_at', type: Date, nullable: true })
  @Field(() => Date, { nullable: true })
  decidedAt: Date | null;
}

/** Read model of partners (fed by `partner.changed`): a code's userId may be a partner's externalId. */
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

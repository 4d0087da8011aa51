import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DecimalScalar } from '../../../shared/src';

@ObjectType({ description: 'An amount of money in a currency' })
@Directive('@shareable')
export class Money {
  @Field(() => DecimalScalar)
  amount: string;

  @Field({ description: 'ISO 4217' })
  currency: string;
}

/** A KYC referral code owned by a partner user (the KYC provider's referral codes). */
@Entity('referral_codes')
@ObjectType({ description: 'A KYC referral code' })
@Directive('@key(fields: "id")')
export class ReferralCode {
  @PrimaryColumn({ type: 'varchar' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  @Field(() => String, { name: 'isvId', description: "The partner organisation: the caller's tenant" })
  tenantId: string;

  @Column({ name: 'referral_code', type: 'varchar' })
  @Field()
  referralCode: string;

  @Column({ name: 'code_key', type: 'varchar' })
  codeKey: string;

  @Column({ name: 'user_id', type: 'varchar' })
  @Field({ description: 'The partner user who owns the code' })
  userId: string;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  category: string | null;

  @Column({ name: 'used_count', type: 'integer', default: 0 })
  @Field(() => Int, { description: 'Approved KYC applications that used the code' })
  usedCount: number;

  @Column({ name: 'bonus_amount', type: 'varchar', nullable: true })
  bonusAmount: string | null;

  @Column({ name: 'bonus_currency', type: 'varchar', nullable: true })
  bonusCurrency: string | null;

  @Column({ type: 'boolean' })
  @Field()
  active: boolean;

  @Column({ name: 'created_at' })
  @Field()
  createdAt: Date;

  /**
   * When links confirmed the code in the tenant's one code namespace: at creation, or (codes
   * stored before links kept the namespace) when kyc's start-up sync reported it. Null while
   * unconfirmed, or for a code a partner also held before the namespace existed.
   */
  @Column({ name: 'reserved_at', type: Date, nullable: true })
  reservedAt: Date | null;

  @Field(() => Money, { nullable: true, description: 'Referral bonus paid to the owner when a KYC application with the code is approved' })
  bonus(): Money | null {
    return this.bonusAmount && this.bonusCurrency ? { amount: this.bonusAmount, currency: this.bonusCurrency } : null;
  }
}

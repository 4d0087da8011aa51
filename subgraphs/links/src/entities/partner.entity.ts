import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** An affiliate, introducing broker, agent or referring user. Entity and GraphQL type in one. */
@Entity('partners')
@Index('partners_tenant_code', ['tenantId', 'referralCodeKey'], { unique: true })
@ObjectType({ description: 'An affiliate, introducing broker, agent or referring user' })
@Directive('@key(fields: "id")')
export class Partner {
  @PrimaryColumn({ type: 'varchar' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'external_id', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true, description: "The tenant's own id for this partner (Track360 affiliate_id, KYC userId)" })
  externalId: string | null;

  @Column({ type: 'varchar' })
  @Field()
  name: string;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  email: string | null;

  @Column({ name: 'parent_id', type: 'varchar', nullable: true })
  parentId: string | null;

  @Column({ name: 'referral_code', type: 'varchar' })
  @Field({ description: 'Auto-created; 3-30 of [A-Za-z0-9_-]; unique per tenant ignoring case among partner codes (current and past) and KYC referral codes' })
  referralCode: string;

  @Column({ name: 'referral_code_key', type: 'varchar' })
  referralCodeKey: string;

  @Column({ name: 'created_at' })
  @Field()
  createdAt: Date;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}

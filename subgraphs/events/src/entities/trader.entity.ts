import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { AttributionMethod } from '../domain/event-types';

/** A customer / client found or created by email or external customer id, per tenant. */
@Entity('traders')
@ObjectType({ description: 'A referred customer (Track360 customer, FYNXT trader profile, Refairn customer)' })
@Directive('@key(fields: "id")')
export class Trader {
  @PrimaryColumn({ type: 'varchar' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  email: string | null;

  /** Lower-cased email: traders are found by email ignoring case. */
  @Column({ name: 'email_key', type: 'varchar', nullable: true })
  emailKey: string | null;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  name: string | null;

  @Column({ name: 'external_id', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true, description: "The tenant's customer id (Track360 customer_id)" })
  externalId: string | null;

  @Column({ name: 'partner_id', type: 'varchar', nullable: true })
  partnerId: string | null;

  @Column({ type: 'varchar', default: AttributionMethod.NONE })
  @Field(() => AttributionMethod, { description: 'How the first-touch partner was found' })
  attribution: AttributionMethod;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  country: string | null;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  language: string | null;

  @Column({ name: 'kyc_status', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  kycStatus: string | null;

  @Column({ name: 'account_type', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  accountType: string | null;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  leverage: string | null;

  @Column({ name: 'signup_at', type: Date, nullable: true })
  @Field(() => Date, { nullable: true })
  signupAt: Date | null;

  @Column({ name: 'sales_status', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true, description: "The broker's sales pipeline status (Track360 sales_status_id)" })
  salesStatus: string | null;

  @Column({ name: 'tracking_data', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true, description: 'Track360 tracking_data, kept as sent' })
  trackingData: string | null;

  /** The affiliate_id a forex customer record named (a partner externalId). */
  @Column({ name: 'affiliate_id', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true, description: 'The affiliate_id of the forex customer record' })
  affiliateId: string | null;

  @Column({ name: 'last_modified_at', type: Date, nullable: true })
  @Field(() => Date, { nullable: true, description: 'last_modified_date of the forex customer record' })
  lastModifiedAt: Date | null;

  @Column({ name: 'created_at' })
  createdAt: Date;
}

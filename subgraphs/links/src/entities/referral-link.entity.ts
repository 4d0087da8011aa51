import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@ObjectType({ description: 'UTM tags appended to a link' })
export class Utm {
  @Field(() => String, { nullable: true })
  source: string | null;
  @Field(() => String, { nullable: true })
  medium: string | null;
  @Field(() => String, { nullable: true })
  campaign: string | null;
  @Field(() => String, { nullable: true })
  term: string | null;
  @Field(() => String, { nullable: true })
  content: string | null;
}

/** A partner's referral link (FYNXT "Create a referral link"). */
@Entity('referral_links')
@ObjectType({ description: "A partner's referral link" })
@Directive('@key(fields: "id")')
export class ReferralLink {
  @PrimaryColumn({ type: 'varchar' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'partner_id', type: 'varchar' })
  partnerId: string;

  /** Globally unique: /r/<slug> carries no tenant. */
  @Column({ type: 'varchar', unique: true })
  slug: string;

  @Column({ type: 'varchar' })
  @Field({ description: 'e.g. /en/open-account' })
  path: string;

  @Column({ name: 'encrypt_partner_id', type: 'boolean' })
  @Field({ description: 'The partner id is emitted as Formx=<token> instead of ref=<code>' })
  encryptPartnerId: boolean;

  /** The Formx token, fixed at creation so the link's URL never changes. */
  @Column({ name: 'partner_token', type: 'varchar', nullable: true })
  partnerToken: string | null;

  @Column({ name: 'utm_source', type: 'varchar', nullable: true })
  utmSource: string | null;
  @Column({ name: 'utm_medium', type: 'varchar', nullable: true })
  utmMedium: string | null;
  @Column({ name: 'utm_campaign', type: 'varchar', nullable: true })
  utmCampaign: string | null;
  @Column({ name: 'utm_term', type: 'varchar', nullable: true })
  utmTerm: string | null;
  @Column({ name: 'utm_content', type: 'varchar', nullable: true })
  utmContent: string | null;

  @Column({ name: 'geo_routing', type: 'boolean' })
  @Field({ description: "Clicks are sent to the regional domain serving the visitor's country" })
  geoRouting: boolean;

  /** The code in ref= when the link was made (a later code change does not break it). */
  @Column({ name: 'referral_code', type: 'varchar' })
  referralCode: string;

  @Column({ name: 'created_at' })
  @Field()
  createdAt: Date;
}

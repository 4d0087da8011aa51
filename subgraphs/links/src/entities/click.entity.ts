import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One counted visit through a referral link (bots and HEAD requests are not stored). */
@Entity('clicks')
@ObjectType({ description: 'A visit through a referral link' })
@Directive('@key(fields: "id")')
export class Click {
  /** The click id visitors carry: clk_<ulid>.<signed link and partner ids>. */
  @PrimaryColumn({ type: 'varchar' })
  @Field(() => ID, { description: 'The click id: pass it to trackEvent(clickId) to attribute the event' })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'link_id', type: 'varchar' })
  linkId: string;

  @Column({ name: 'partner_id', type: 'varchar' })
  partnerId: string;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  ip: string | null;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2, from the IP (offline GeoIP)' })
  country: string | null;

  @Column({ name: 'device_type', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true, description: 'desktop, mobile, tablet, smarttv, console, wearable, embedded' })
  deviceType: string | null;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  browser: string | null;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  os: string | null;

  @Column({ name: 'user_agent', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  userAgent: string | null;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  referrer: string | null;

  @Column({ name: 'landing_url', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true, description: 'Where the visitor was sent' })
  landingUrl: string | null;

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

  /** SHA-256 of IP and user agent: fingerprint attribution and unique clicks. */
  @Column({ type: 'varchar', nullable: true })
  fingerprint: string | null;

  @Column({ name: 'is_unique', type: 'boolean' })
  @Field({ description: 'First click of this visitor (IP + user agent) on this link within an hour' })
  isUnique: boolean;

  @Column({ name: 'created_at' })
  @Field()
  createdAt: Date;
}

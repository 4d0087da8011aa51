import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@ObjectType({ description: 'A regional domain and the visitor countries it serves' })
@InputType('RegionalDomainInput')
export class RegionalDomain {
  @Field({ description: 'Origin, e.g. https://eu.broker.example' })
  domain: string;

  @Field(() => [String], { description: 'ISO 3166-1 alpha-2 country codes' })
  countries: string[];
}

/** A tenant's link settings: where links point, how clicks are remembered. */
@Entity('link_settings')
@ObjectType({ description: "The tenant's referral link settings" })
export class LinkSettings {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'primary_domain', type: 'varchar' })
  @Field({ description: 'Origin links point to, e.g. https://www.broker.example' })
  primaryDomain: string;

  @Column({ name: 'regional_domains', type: 'simple-json' })
  @Field(() => [RegionalDomain], { description: 'Geo-routed links send visitors from these countries here' })
  regionalDomains: RegionalDomain[];

  @Column({ name: 'referral_path', type: 'varchar' })
  @Field({ description: 'Path of Partner.referralUrl, e.g. / or /en/open-account' })
  referralPath: string;

  @Column({ name: 'encryption_key_id', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true, description: 'Key that encrypts partner ids in Formx= tokens (rotateLinkEncryptionKey)' })
  encryptionKeyId: string | null;

  @Column({ name: 'click_cookie_name', type: 'varchar' })
  @Field({ description: 'Cookie the redirect sets with the click id' })
  clickCookieName: string;

  @Column({ name: 'click_cookie_days', type: 'integer' })
  @Field(() => Int, { description: 'Lifetime of the click-id cookie, days' })
  clickCookieDays: number;

  @Column({ name: 'click_param_name', type: 'varchar' })
  @Field({ description: 'Query parameter the redirect adds with the click id' })
  clickParamName: string;

  @Column({ name: 'attribution_window_hours', type: 'integer' })
  @Field(() => Int, { description: 'How long a click can attribute an event by fingerprint, hours' })
  attributionWindowHours: number;

  /** Null in rows stored before the setting existed: the default, false (loadSettings fills it in). */
  @Column({ name: 'partners_record_clicks', type: 'boolean', nullable: true })
  @Field(() => Boolean, {
    description:
      'Whether partner credentials may call recordClick (default false: a partner could otherwise plant clicks with any IP and user agent and steal attribution). Clicks through the link redirect are always recorded',
  })
  partnersRecordClicks: boolean;

  @Column({ name: 'updated_at' })
  @Field()
  updatedAt: Date;
}

/** Key material of Formx= tokens; the secret is stored encrypted and shown once. */
@Entity('link_keys')
export class LinkKey {
  @PrimaryColumn({ type: 'varchar' })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'secret_enc', type: 'text' })
  secretEnc: string;

  @Column({ name: 'created_at' })
  createdAt: Date;
}

import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DecimalScalar } from '../../../shared/src';
import { AttributionMethod, EventType } from '../domain/event-types';

/** One tracked event: a registration, a deposit, a trade, a refund... */
@Entity('events')
@ObjectType({ description: 'A tracked conversion event' })
@Directive('@key(fields: "id")')
export class ReferralEvent {
  @PrimaryColumn({ type: 'varchar' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'event_type', type: 'varchar' })
  @Field(() => EventType)
  eventType: EventType;

  @Column({ name: 'custom_event_name', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  customEventName: string | null;

  @Column({ name: 'partner_id', type: 'varchar', nullable: true })
  partnerId: string | null;

  /** Per-tenant stream position, assigned in commit order (see services/track-event.ts). */
  @Column({ type: 'bigint' })
  position: string;

  @Column({ name: 'click_id', type: 'varchar', nullable: true })
  clickId: string | null;

  @Column({ name: 'link_id', type: 'varchar', nullable: true })
  linkId: string | null;

  /** SHA-256 of IP and user agent when both were sent (fingerprint attribution). */
  @Column({ type: 'varchar', nullable: true })
  fingerprint: string | null;

  /** What derived the event: `api` (trackEvent), `kyc` or `forex`. */
  @Column({ type: 'varchar', default: 'api' })
  source: string;

  @Column({ name: 'trader_id', type: 'varchar', nullable: true })
  traderId: string | null;

  @Column({ type: 'varchar' })
  @Field(() => AttributionMethod)
  attribution: AttributionMethod;

  /**
   * While `attribution` is PENDING: the lower-cased referral code the event waits for
   * (null when it waits on its trader's first touch). Cleared when it is settled.
   */
  @Column({ name: 'pending_code', type: 'varchar', nullable: true })
  pendingCode: string | null;

  /** Exact decimal, kept as text (numeric in PostgreSQL). */
  @Column({ type: 'varchar', nullable: true })
  @Field(() => DecimalScalar, { nullable: true })
  amount: string | null;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true, description: 'ISO 4217' })
  currency: string | null;

  /** The payment's value in USD as the sender gave it (Track360 amount_usd), exact; null when not given. */
  @Column({ name: 'amount_usd', type: 'varchar', nullable: true })
  @Field(() => DecimalScalar, { nullable: true, description: "The payment's value in USD as the sender gave it (Track360 amount_usd); a USD plan pays percentage commissions on it" })
  amountUsd: string | null;

  @Column({ name: 'payment_method', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  paymentMethod: string | null;

  @Column({ name: 'subscription_status', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  subscriptionStatus: string | null;

  @Column({ name: 'product_id', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  productId: string | null;

  /** A REFUND or CHARGEBACK: the payment event it refunds, when the sender named it (trackEvent refundOf). */
  @Column({ name: 'refund_of', type: 'varchar', nullable: true })
  @Field(() => ID, { nullable: true, description: 'A REFUND or CHARGEBACK: the id of the payment event it refunds, when named (trackEvent refundOf)' })
  refundOf: string | null;

  @Column({ name: 'is_conversion', type: 'boolean' })
  @Field({ description: "Qualifies for a CPA payout under the partner's plan" })
  isConversion: boolean;

  /**
   * isConversion was decided without an exchange rate (the amount is in another currency than the plan's CPA
   * minAmount, and no rate covered it): true until the first `fx_rate.changed` that covers it decides it again.
   */
  @Column({ name: 'conversion_awaits_rate', type: 'boolean', default: false })
  conversionAwaitsRate: boolean;

  @Column({ name: 'is_duplicate', type: 'boolean' })
  @Field({ description: 'The same event type was already recorded for this trader' })
  isDuplicate: boolean;

  @Column({ name: 'idempotency_key', type: 'varchar', nullable: true })
  idempotencyKey: string | null;

  /** Hash of the input that created the event: a replayed key with other input is a conflict. */
  @Column({ name: 'request_hash', type: 'varchar', nullable: true })
  requestHash: string | null;

  /** How requestHash was computed (domain/request-fingerprint.ts); null: version 1, stored before versions. */
  @Column({ name: 'request_hash_version', type: 'integer', nullable: true })
  requestHashVersion: number | null;

  @Column({ name: 'occurred_at' })
  @Field({ name: 'timestamp', description: 'When it happened (UTC)' })
  occurredAt: Date;

  @Column({ name: 'created_at' })
  createdAt: Date;
}

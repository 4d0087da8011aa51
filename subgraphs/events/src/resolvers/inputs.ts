import { Field, ID, InputType } from 'type-graphql';
import { DecimalScalar } from '../../../shared/src';
import { EventType } from '../domain/event-types';

@InputType({ description: 'A tracked action. Identify the customer by email or externalCustomerId.' })
export class TrackEventInput {
  @Field(() => EventType)
  eventType: EventType;

  @Field(() => String, { nullable: true, description: 'Required when eventType is CUSTOM' })
  customEventName?: string | null;

  @Field(() => String, { nullable: true, description: 'From the click-id cookie or the redirect query parameter' })
  clickId?: string | null;

  @Field(() => String, { nullable: true, description: "A partner's referral code or a KYC referral code" })
  referralCode?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true, description: 'Full name; used when creating the trader' })
  name?: string | null;

  @Field(() => String, { nullable: true, description: "The tenant's customer id" })
  externalCustomerId?: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'At most 15 significant digits; needs currency' })
  amount?: string | null;

  @Field(() => String, { nullable: true, description: 'ISO 4217, e.g. USD' })
  currency?: string | null;

  @Field(() => DecimalScalar, {
    nullable: true,
    description: "The payment's value in USD (Track360 amount_usd): zero or positive, at most 15 significant digits and 2 decimals; needs amount. A plan settling in USD pays percentage commissions on it instead of converting amount",
  })
  amountUsd?: string | null;

  @Field(() => String, { nullable: true, description: 'card, wire, crypto, ...' })
  paymentMethod?: string | null;

  @Field(() => String, { nullable: true, description: 'active, trialing, past_due or cancelled' })
  subscriptionStatus?: string | null;

  @Field(() => String, { nullable: true })
  productId?: string | null;

  @Field(() => Date, { nullable: true, description: 'When it happened; defaults to now. A date YYYY-MM-DD (Refairn paymentDate) is 00:00 UTC that day' })
  occurredAt?: Date | null;

  @Field(() => ID, {
    nullable: true,
    description:
      'REFUND or CHARGEBACK only: the id of the payment event refunded (same customer). Its commissions are reversed, pro rata when amount is less than the payment',
  })
  refundOf?: string | null;

  @Field(() => String, { nullable: true })
  ip?: string | null;

  @Field(() => String, { nullable: true })
  userAgent?: string | null;
}

@InputType()
export class EventFilter {
  @Field(() => ID, { nullable: true })
  partnerId?: string | null;

  @Field(() => EventType, { nullable: true })
  eventType?: EventType | null;

  @Field(() => ID, { nullable: true })
  traderId?: string | null;

  @Field(() => Boolean, { nullable: true })
  isConversion?: boolean | null;

  @Field(() => Date, { nullable: true, description: 'Inclusive' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Exclusive; a date YYYY-MM-DD includes that whole day' })
  to?: Date | null;
}

@InputType()
export class TraderFilter {
  @Field(() => ID, { nullable: true })
  partnerId?: string | null;

  @Field(() => String, { nullable: true, description: 'Exact email, ignoring case' })
  email?: string | null;

  @Field(() => String, { nullable: true })
  externalId?: string | null;
}

import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { DecimalScalar, EventType, Granularity } from '../../../shared/src';
import { Partner } from './partner';

/** Trader is owned by events; commissions only points at it. */
@ObjectType()
@Directive('@key(fields: "id", resolvable: false)')
export class Trader {
  @Field(() => ID)
  id: string;

  /** For ReferralEvent.commissions' @requires (rule conditions); events resolves them. */
  @Field(() => String, { nullable: true })
  @Directive('@external')
  country?: string | null;

  @Field(() => String, { nullable: true })
  @Directive('@external')
  accountType?: string | null;
}

/**
 * ReferralEvent is owned by events. Commissions adds `commissions`, which `@requires`
 * the fields below: the gateway fetches them from events and hands them over, so the
 * commissions of an event can be computed in the very trackEvent response.
 */
@ObjectType()
@Directive('@key(fields: "id")')
export class ReferralEvent {
  @Field(() => ID)
  id: string;

  @Field(() => EventType)
  @Directive('@external')
  eventType: EventType;

  @Field(() => DecimalScalar, { nullable: true })
  @Directive('@external')
  amount: string | null;

  @Field(() => String, { nullable: true })
  @Directive('@external')
  currency: string | null;

  @Field(() => DecimalScalar, { nullable: true })
  @Directive('@external')
  amountUsd?: string | null;

  @Field()
  @Directive('@external')
  isDuplicate: boolean;

  @Field()
  @Directive('@external')
  timestamp: Date;

  @Field(() => String, { nullable: true })
  @Directive('@external')
  productId: string | null;

  @Field(() => Partner, { nullable: true })
  @Directive('@external')
  partner: Partner | null;

  @Field(() => Trader, { nullable: true })
  @Directive('@external')
  trader: Trader | null;
}

/** The referral graph (owned by links); commissions adds the income series. */
@ObjectType()
@Directive('@key(fields: "partnerId from to granularity")')
export class ReferralGraph {
  @Field(() => ID)
  partnerId: string;
  @Field()
  from: Date;
  @Field()
  to: Date;
  @Field(() => Granularity)
  granularity: Granularity;
}

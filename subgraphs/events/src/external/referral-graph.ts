import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Granularity } from '../../../shared/src';

/** The referral graph is keyed by its range; links owns it, events adds registrations. */
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

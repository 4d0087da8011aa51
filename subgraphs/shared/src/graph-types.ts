import { Directive, Field, Int, ObjectType, registerEnumType } from 'type-graphql';

/** Shared by every subgraph that contributes a series to the referral graph. */
export enum Granularity {
  HOUR = 'HOUR',
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
  AUTO = 'AUTO',
}
registerEnumType(Granularity, {
  name: 'Granularity',
  description: 'Bucket size of a referral graph; AUTO picks hour up to 2 days, day up to 90 days, week up to a year, month beyond',
});

@ObjectType({ description: 'One bucket of a count series: t is the bucket start (UTC)' })
@Directive('@shareable')
export class CountPoint {
  @Field()
  t: Date;

  @Field(() => Int)
  v: number;
}

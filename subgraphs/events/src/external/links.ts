import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Click is owned by links; events only points at it. */
@ObjectType()
@Directive('@key(fields: "id", resolvable: false)')
export class Click {
  @Field(() => ID)
  id: string;
}

/** ReferralLink is owned by links; events adds its event counters. */
@ObjectType()
@Directive('@key(fields: "id")')
export class ReferralLink {
  @Field(() => ID)
  id: string;
}

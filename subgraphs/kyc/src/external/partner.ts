import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Partner is owned by links; kyc points at it from referral codes. Only the key lives here. */
@ObjectType()
@Directive('@key(fields: "id")')
export class Partner {
  @Field(() => ID)
  id: string;
}

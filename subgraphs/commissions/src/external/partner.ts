import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Partner is owned by links; commissions adds earnings and commissions to it. Only the key lives here. */
@ObjectType()
@Directive('@key(fields: "id")')
export class Partner {
  @Field(() => ID)
  id: string;
}

import { Directive, Field, ID, ObjectType } from 'type-graphql';

/** Partner is owned by links; events adds fields to it. Only the key lives here. */
@ObjectType()
@Directive('@key(fields: "id")')
export class Partner {
  @Field(() => ID)
  id: string;
}

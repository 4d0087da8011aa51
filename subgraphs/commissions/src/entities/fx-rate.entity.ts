import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DecimalScalar } from '../../../shared/src';

/**
 * One dated exchange rate of a tenant's rate table: 1 `from` = `rate` `to`, in force from `effectiveFrom` until a
 * later rate of the same pair. Rows are only added (setFxRate), never changed, so a commission converted with a
 * rate can always be explained.
 */
@Entity('fx_rates')
@ObjectType({ description: "A dated exchange rate of the tenant's rate table: 1 from = rate to, from effectiveFrom until a later rate of the pair" })
export class FxRate {
  @PrimaryColumn({ type: 'varchar' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'from_currency', type: 'varchar' })
  @Field({ description: 'ISO 4217' })
  from: string;

  @Column({ name: 'to_currency', type: 'varchar' })
  @Field({ description: 'ISO 4217' })
  to: string;

  /** Canonical positive decimal text ("1.085"). */
  @Column({ type: 'varchar' })
  @Field(() => DecimalScalar, { description: 'How many `to` one `from` buys' })
  rate: string;

  @Column({ name: 'effective_from' })
  @Field({ description: 'Payments that occurred at or after this time use this rate (until a later one of the pair)' })
  effectiveFrom: Date;

  @Column({ name: 'created_at' })
  @Field()
  createdAt: Date;
}

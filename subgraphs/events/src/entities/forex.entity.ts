import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DecimalScalar } from '../../../shared/src';

/** A Track360 transaction (deposit, withdrawal, bonus, ...), upserted on transactionId. */
@Entity('forex_transactions')
@ObjectType({ description: 'A forex transaction (Track360), upserted on transactionId' })
export class ForexTransaction {
  @PrimaryColumn({ type: 'varchar' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'transaction_id', type: 'varchar' })
  @Field({ description: "The broker's transaction id" })
  transactionId: string;

  @Column({ name: 'customer_id', type: 'varchar' })
  @Field()
  customerId: string;

  @Column({ name: 'trader_id', type: 'varchar' })
  traderId: string;

  @Column({ name: 'transaction_type', type: 'varchar' })
  @Field({ description: 'deposit, withdrawal, bonus, adjustment, ib_rebate or other' })
  transactionType: string;

  @Column({ name: 'transaction_subtype', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  transactionSubtype: string | null;

  @Column({ type: 'varchar' })
  @Field(() => DecimalScalar, { description: 'In the original currency' })
  amount: string;

  @Column({ name: 'amount_usd', type: 'varchar', nullable: true })
  @Field(() => DecimalScalar, { nullable: true })
  amountUsd: string | null;

  @Column({ type: 'varchar' })
  @Field()
  currency: string;

  @Column({ name: 'transaction_date' })
  @Field()
  transactionDate: Date;

  @Column({ type: 'varchar' })
  @Field({ description: 'Lower case: pending, approved, declined, reversed, ...' })
  status: string;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  note: string | null;

  /** Event types already derived from this transaction: each at most once. */
  @Column({ type: 'simple-json' })
  @Field(() => [String], { description: 'Events derived from this transaction (FIRST_DEPOSIT, RECURRING_DEPOSIT, WITHDRAWAL, CHARGEBACK)' })
  derived: string[];

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'updated_at' })
  @Field()
  updatedAt: Date;
}

/** One day of a trader's trading on one instrument (Track360), upserted on its key. */
@Entity('trading_activity')
@ObjectType({ description: 'A day of trading on one instrument; the key is date + customerId + instrument + currency' })
export class TradingActivityDay {
  @PrimaryColumn({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @PrimaryColumn({ type: 'varchar' })
  @Field({ description: 'YYYY-MM-DD' })
  date: string;

  @PrimaryColumn({ name: 'customer_id', type: 'varchar' })
  @Field()
  customerId: string;

  @PrimaryColumn({ type: 'varchar' })
  @Field()
  instrument: string;

  @PrimaryColumn({ type: 'varchar' })
  @Field()
  currency: string;

  @Column({ name: 'trader_id', type: 'varchar' })
  traderId: string;

  @Column({ name: 'lots_traded', type: 'varchar' })
  @Field(() => DecimalScalar, { description: 'Standard lots' })
  lotsTraded: string;

  @Column({ name: 'volume_usd', type: 'varchar', nullable: true })
  @Field(() => DecimalScalar, { nullable: true })
  volumeUsd: string | null;

  @Column({ name: 'spread_cost', type: 'varchar', nullable: true })
  @Field(() => DecimalScalar, { nullable: true })
  spreadCost: string | null;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => DecimalScalar, { nullable: true })
  commission: string | null;

  @Column({ type: 'varchar', nullable: true })
  @Field(() => DecimalScalar, { nullable: true })
  pnl: string | null;

  @Column({ name: 'created_at' })
  createdAt: Date;

  @Column({ name: 'updated_at' })
  @Field()
  updatedAt: Date;
}

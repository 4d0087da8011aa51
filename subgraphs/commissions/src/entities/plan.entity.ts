import { Directive, Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DecimalScalar, EventType } from '../../../shared/src';
import type { Rule } from '../domain/compute';
import { CommissionKind } from './commission.entity';

@ObjectType({ description: 'One way a plan pays' })
export class CommissionRule {
  @Field(() => CommissionKind)
  kind: CommissionKind;

  @Field(() => EventType, { nullable: true, description: 'CPA: the event paid for; REVSHARE: the event shared (default: deposits and subscriptions)' })
  eventType: EventType | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'CPA amount, or a BONUS amount, in the plan currency' })
  amount: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'Percent: "20" means 20 % (REVSHARE, SPREAD_SHARE)' })
  percentage: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'LOT_REBATE amount per standard lot' })
  perLot: string | null;

  @Field(() => DecimalScalar, { nullable: true, description: 'CPA: the smallest qualifying event amount (e.g. a minimum first deposit)' })
  minAmount: string | null;

  @Field(() => [DecimalScalar], { description: 'Percent of the direct commission paid to the 1st, 2nd, ... upline' })
  tierRates: string[];

  @Field(() => [String], { nullable: true, description: "Condition: only customers of these trading account types (Track360 trading_account_type, compared ignoring case); a customer without one does not match" })
  accountTypes?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Condition (LOT_REBATE, SPREAD_SHARE): only trading activity in these instruments, e.g. "XAUUSD"' })
  instruments?: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Condition: only customers of these countries (ISO 3166-1 alpha-2); a customer without a country does not match' })
  countries?: string[] | null;
}

/**
 * A commission plan. Its currency, hold period, sale percentage and rules are versioned (CommissionPlanVersion):
 * the columns here mirror the current (latest) version, which is the one in force now.
 */
@Entity('commission_plans')
@ObjectType({ description: 'A commission plan' })
@Directive('@key(fields: "id")')
export class CommissionPlan {
  @PrimaryColumn({ type: 'varchar' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ type: 'varchar' })
  @Field()
  name: string;

  @Column({ type: 'varchar' })
  @Field({ description: 'The settlement currency (ISO 4217): every commission of the plan is paid in it; payments in other currencies are converted with a dated rate (README: Currency)' })
  currency: string;

  @Column({ name: 'hold_days', type: 'integer' })
  @Field(() => Int, { description: 'Days a commission stays PENDING before approval' })
  holdDays: number;

  @Column({ name: 'product_id', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true, description: 'Applies to events of this product (beats the partner and default plans)' })
  productId: string | null;

  @Column({ name: 'is_default', type: 'boolean' })
  @Field({ description: "The tenant's plan for partners without one" })
  isDefault: boolean;

  @Column({ name: 'sale_percentage', type: 'varchar', nullable: true })
  @Field(() => DecimalScalar, { nullable: true, description: 'Discount for referred users, percent (FonProxy salePercentage)' })
  salePercentage: string | null;

  @Column({ type: 'simple-json' })
  @Field(() => [CommissionRule])
  rules: Rule[];

  @Column({ type: 'integer', default: 1 })
  @Field(() => Int, { description: 'The current version: the one in force now (1 when created, one more per update)' })
  version: number;

  @Column({ name: 'created_at' })
  @Field()
  createdAt: Date;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}

/**
 * One immutable version of a plan's terms. An event is paid by the version in force when it occurred: the latest
 * effectiveFrom at or before its time (version 1 also covers anything earlier).
 */
@Entity('commission_plan_versions')
@ObjectType({ description: "One immutable version of a plan's terms, in force from effectiveFrom until the next version's" })
export class CommissionPlanVersion {
  @PrimaryColumn({ name: 'plan_id', type: 'varchar' })
  planId: string;

  @PrimaryColumn({ type: 'integer' })
  @Field(() => Int)
  version: number;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ type: 'varchar' })
  @Field({ description: "The version's settlement currency (ISO 4217)" })
  currency: string;

  @Column({ name: 'hold_days', type: 'integer' })
  @Field(() => Int)
  holdDays: number;

  @Column({ name: 'sale_percentage', type: 'varchar', nullable: true })
  @Field(() => DecimalScalar, { nullable: true })
  salePercentage: string | null;

  @Column({ type: 'simple-json' })
  @Field(() => [CommissionRule])
  rules: Rule[];

  @Column({ name: 'effective_from' })
  @Field({ description: 'Events that occurred at or after this time (and before the next version) are paid by this version' })
  effectiveFrom: Date;

  @Column({ name: 'created_at' })
  @Field()
  createdAt: Date;
}

/** Which plan a partner is on (otherwise the tenant default). */
@Entity('partner_plans')
export class PartnerPlan {
  @PrimaryColumn({ name: 'partner_id', type: 'varchar' })
  partnerId: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'plan_id', type: 'varchar' })
  planId: string;

  @Column({ name: 'assigned_at' })
  assignedAt: Date;
}

/** Read model of partners (fed by `partner.changed`): upline chains and externalIds. */
@Entity('partner_refs')
export class PartnerRef {
  @PrimaryColumn({ name: 'partner_id', type: 'varchar' })
  partnerId: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'parent_id', type: 'varchar', nullable: true })
  parentId: string | null;

  @Column({ name: 'external_id', type: 'varchar', nullable: true })
  externalId: string | null;

  @Column({ name: 'updated_at' })
  updatedAt: Date;
}

import { Directive, Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DateScalar, DecimalScalar, fromMinor } from '../../../shared/src';

export enum CommissionKind {
  CPA = 'CPA',
  REVSHARE = 'REVSHARE',
  LOT_REBATE = 'LOT_REBATE',
  SPREAD_SHARE = 'SPREAD_SHARE',
  BONUS = 'BONUS',
}
registerEnumType(CommissionKind, { name: 'CommissionKind' });

export enum CommissionStatus {
  PENDING = 'PENDING',
  APPROVED = 'APPROVED',
  REVERSED = 'REVERSED',
  PAID = 'PAID',
}
registerEnumType(CommissionStatus, { name: 'CommissionStatus' });

/**
 * A commission earned by a partner. Amounts are integer minor units of `currency`
 * (exact, and summable in SQL on both drivers). `sourceKey` + partner + kind + tier +
 * rule is unique: the bus consumer and the read-your-writes resolver both insert and
 * neither can create a commission twice.
 */
@Entity('commissions')
@ObjectType({ description: 'A commission earned by a partner (tier 0) or an upline (tier 1, 2, ...)' })
@Directive('@key(fields: "id")')
export class Commission {
  @PrimaryColumn({ type: 'varchar' })
  @Field(() => ID)
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'partner_id', type: 'varchar' })
  partnerId: string;

  /** What produced it: an event id, `ta:<fact>` for a trading day change, `kyc:<application>`, `adj:<commission>`. */
  @Column({ name: 'source_key', type: 'varchar' })
  sourceKey: string;

  @Column({ name: 'event_id', type: 'varchar', nullable: true })
  eventId: string | null;

  @Column({ name: 'trader_id', type: 'varchar', nullable: true })
  traderId: string | null;

  @Column({ name: 'plan_id', type: 'varchar', nullable: true })
  planId: string | null;

  @Column({ type: 'varchar' })
  @Field(() => CommissionKind)
  kind: CommissionKind;

  @Column({ type: 'integer' })
  @Field(() => Int, { description: '0 = the partner who referred; 1 = its upline; ...' })
  tier: number;

  @Column({ name: 'rule_index', type: 'integer' })
  ruleIndex: number;

  @Column({ name: 'base_amount', type: 'varchar', nullable: true })
  @Field(() => DecimalScalar, { nullable: true, description: 'What the rule applied to, in the plan currency (lots for LOT_REBATE)' })
  baseAmount: string | null;

  @Column({ name: 'amount_minor', type: 'bigint' })
  amountMinor: string;

  @Column({ type: 'varchar' })
  @Field()
  currency: string;

  @Column({ name: 'fx_rate', type: 'varchar', nullable: true })
  @Field(() => DecimalScalar, { nullable: true, description: 'The exchange rate used when the source was in another currency' })
  fxRate: string | null;

  /** The source payment's amount and currency, to find what a refund reverses. */
  @Column({ name: 'event_amount', type: 'varchar', nullable: true })
  eventAmount: string | null;

  @Column({ name: 'event_currency', type: 'varchar', nullable: true })
  eventCurrency: string | null;

  @Column({ type: 'varchar' })
  @Field(() => CommissionStatus)
  status: CommissionStatus;

  @Column({ name: 'hold_until', type: 'varchar' })
  @Field(() => DateScalar, { description: 'Approved after this date unless reversed' })
  holdUntil: string;

  @Column({ name: 'occurred_at' })
  occurredAt: Date;

  @Column({ name: 'created_at' })
  @Field()
  createdAt: Date;

  @Column({ name: 'approved_at', type: Date, nullable: true })
  @Field(() => Date, { nullable: true })
  approvedAt: Date | null;

  @Column({ name: 'reversed_at', type: Date, nullable: true })
  @Field(() => Date, { nullable: true })
  reversedAt: Date | null;

  @Column({ name: 'reversal_reason', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true })
  reversalReason: string | null;

  @Column({ name: 'paid_at', type: Date, nullable: true })
  @Field(() => Date, { nullable: true })
  paidAt: Date | null;

  @Field(() => DecimalScalar, { description: 'Exact, rounded half-even to the currency minor unit; negative for an adjustment' })
  amount(): string {
    return fromMinor(this.amountMinor, this.currency);
  }
}

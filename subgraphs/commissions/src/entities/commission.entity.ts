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
  /**
   * No rate yet from the payment's currency to the plan's: a percentage of the payment, held in the payment's
   * currency; or a CPA whose minAmount only a rate can decide, held at the rule's amount in the plan currency.
   */
  FX_PENDING = 'FX_PENDING',
}
registerEnumType(CommissionStatus, {
  name: 'CommissionStatus',
  valuesConfig: {
    FX_PENDING: {
      description:
        "No exchange rate from the payment's currency to the plan's yet; decided once when setFxRate covers the payment's time, never approved before. A percentage (REVSHARE, SPREAD_SHARE): amount and currency are the payment's, settled to PENDING in settlementCurrency. A CPA whose minAmount only a rate can decide: amount and currency are the rule's in the plan currency; PENDING if the converted payment reaches minAmount, else REVERSED at 0.00 with the reason",
    },
  },
});

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

  /** The plan version that paid it: the one in force at the source's time. */
  @Column({ name: 'plan_version', type: 'integer', nullable: true })
  @Field(() => Int, { nullable: true, description: 'The version of the plan that paid it: the one in force when the event occurred' })
  planVersion: number | null;

  /** For an adjustment (a negative row from a refund or a clawback): the commission it adjusts. */
  @Column({ name: 'adjusts_id', type: 'varchar', nullable: true })
  adjustsId: string | null;

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

  /** FX_PENDING (and after its settlement): the plan currency it is paid in; null for a commission never held for a rate. */
  @Column({ name: 'settlement_currency', type: 'varchar', nullable: true })
  @Field(() => String, { nullable: true, description: "For a commission held FX_PENDING: the plan's settlement currency it is converted to when a rate arrives" })
  settlementCurrency: string | null;

  @Column({ type: 'varchar' })
  @Field(() => CommissionStatus)
  status: CommissionStatus;

  @Column({ name: 'hold_until', type: 'varchar' })
  @Field(() => DateScalar, { description: 'The UTC date of dueAt (Refairn holdUntil)' })
  holdUntil: string;

  /** occurredAt + holdDays x 24 h; null only on rows written before holds were kept in hours (see dueAt()). */
  @Column({ name: 'due_at', type: Date, nullable: true })
  dueAtColumn: Date | null;

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

  @Field(() => Date, { name: 'dueAt', description: 'When the hold ends and the commission is approved unless reversed: occurredAt + holdDays x 24 h (UTC)' })
  dueAt(): Date {
    return this.dueAtColumn ?? new Date(`${this.holdUntil}T00:00:00.000Z`);
  }
}

import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The effect of one REFUND or CHARGEBACK, keyed by the refund itself: the payment it
 * reversed. Written in the same transaction as the reversal, so a refund reverses one
 * payment once however often its event is delivered or its commissions are read.
 */
@Entity('refund_applications')
export class RefundApplication {
  @PrimaryColumn({ name: 'refund_event_id', type: 'varchar' })
  refundEventId: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'payment_event_id', type: 'varchar' })
  paymentEventId: string;

  /** What the refund took from the payment; null: all of it (a refund without an amount, or one without refundOf). */
  @Column({ name: 'refund_amount', type: 'varchar', nullable: true })
  refundAmount: string | null;

  /** Which writer won (a random id per attempt): only the winner reverses. */
  @Column({ name: 'applied_by', type: 'varchar' })
  appliedBy: string;

  @Column({ name: 'applied_at' })
  appliedAt: Date;
}

/**
 * An attributed event the bus consumer has applied, with the plan version that paid it (none when no plan
 * applied). Written with its commissions, even when it paid nothing: a read shows an event's stored commissions
 * once this row exists, and computes them (without writing) only before.
 */
@Entity('applied_events')
export class AppliedEvent {
  @PrimaryColumn({ name: 'event_id', type: 'varchar' })
  eventId: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'plan_id', type: 'varchar', nullable: true })
  planId: string | null;

  @Column({ name: 'plan_version', type: 'integer', nullable: true })
  planVersion: number | null;

  @Column({ name: 'applied_at' })
  appliedAt: Date;
}

/**
 * Points in time the engine keeps: `events_applied_before` is when this database got applied_events; events
 * recorded before it were applied by the consumer of that time, so a read shows their stored commissions only.
 */
@Entity('engine_marks')
export class EngineMark {
  @PrimaryColumn({ type: 'varchar' })
  name: string;

  @Column()
  at: Date;
}

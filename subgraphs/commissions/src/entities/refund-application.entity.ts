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

  /** Which writer won (a random id per attempt): only the winner reverses. */
  @Column({ name: 'applied_by', type: 'varchar' })
  appliedBy: string;

  @Column({ name: 'applied_at' })
  appliedAt: Date;
}

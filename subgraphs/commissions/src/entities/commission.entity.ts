import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A commission earned by a partner. Amounts are integer minor units of `currency`
 * (exact, and summable in SQL on both drivers). The GraphQL type and the engine that
 * creates rows come with the commission plans; earnings already read this table.
 */
@Entity('commissions')
export class Commission {
  @PrimaryColumn({ type: 'varchar' })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  @Column({ name: 'partner_id', type: 'varchar' })
  partnerId: string;

  @Column({ name: 'event_id', type: 'varchar', nullable: true })
  eventId: string | null;

  @Column({ name: 'trader_id', type: 'varchar', nullable: true })
  traderId: string | null;

  @Column({ name: 'plan_id', type: 'varchar', nullable: true })
  planId: string | null;

  @Column({ type: 'varchar' })
  kind: string;

  @Column({ type: 'integer' })
  tier: number;

  @Column({ name: 'base_amount', type: 'varchar', nullable: true })
  baseAmount: string | null;

  @Column({ name: 'amount_minor', type: 'bigint' })
  amountMinor: string;

  @Column({ type: 'varchar' })
  currency: string;

  /** PENDING, APPROVED, REVERSED or PAID. */
  @Column({ type: 'varchar' })
  status: string;

  @Column({ name: 'hold_until', type: 'varchar' })
  holdUntil: string;

  @Column({ name: 'created_at' })
  createdAt: Date;
}

import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { CommissionChangeKind } from '../domain/change-log';
import { Commission } from './commission.entity';

registerEnumType(CommissionChangeKind, {
  name: 'CommissionChangeKind',
  description: 'CREATED: earned (PENDING in its hold); APPROVED: credited after the hold; REVERSED: taken back before payment; ADJUSTED: a negative entry for a paid one; PAID: paid out',
});

/**
 * One row of the per-tenant commission change log: one per `commission.changed` fact
 * (keyed by the fact id), at a position that follows the log's commit order. The
 * commission is kept as the change left it (JSON, see domain/change-log.ts), so a
 * replay shows what the referrer was told.
 */
@Entity('commission_changes')
export class CommissionChangeRow {
  @PrimaryColumn({ name: 'fact_id', type: 'varchar' })
  factId: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  /** Per-tenant, assigned in commit order (see consumers/change-log.ts). */
  @Column({ type: 'bigint' })
  position: string;

  /** CREATED, APPROVED, ... (the fact's change, upper-cased; kinds the API does not know yet are kept, not shown). */
  @Column({ type: 'varchar' })
  change: string;

  @Column({ name: 'commission_id', type: 'varchar' })
  commissionId: string;

  @Column({ name: 'partner_id', type: 'varchar' })
  partnerId: string;

  /** When the change happened (the fact's occurredAt). */
  @Column({ name: 'occurred_at' })
  occurredAt: Date;

  /** The commission as the change left it. */
  @Column({ type: 'text' })
  commission: string;

  @Column({ name: 'created_at' })
  createdAt: Date;
}

@ObjectType({ description: "A change of a commission, as the partner's change log records it (referrer notifications)" })
export class CommissionChange {
  @Field({ description: "The change's position in the tenant's log: resume after it with commissionChanged(after:) or commissionChanges(after:)" })
  cursor: string;

  @Field(() => CommissionChangeKind)
  change: CommissionChangeKind;

  @Field({ description: 'When the change happened (UTC)' })
  occurredAt: Date;

  @Field(() => Commission, { description: 'The commission as this change left it (status, amount, currency at that moment)' })
  commission: Commission;
}

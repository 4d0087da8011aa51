import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { DecimalScalar } from '../../../shared/src';
import { EventType } from '../domain/event-types';
import { ReferralEvent } from './referral-event.entity';

/**
 * One row of the per-tenant log of event corrections (`referral_event.corrected`), written with the correction
 * and its fact in one transaction, at a position that follows the log's commit order: what `conversionCorrected`
 * replays. `correction` is the fact's payload (the event as the correction left it, `previous`, `reason`), so a
 * replay shows what a live subscriber was told.
 */
@Entity('event_corrections')
export class EventCorrectionRow {
  @PrimaryColumn({ name: 'fact_id', type: 'varchar' })
  factId: string;

  @Column({ name: 'tenant_id', type: 'varchar' })
  tenantId: string;

  /** Per-tenant, assigned in commit order (services/correct-event.ts). */
  @Column({ type: 'bigint' })
  position: string;

  @Column({ name: 'event_id', type: 'varchar' })
  eventId: string;

  @Column({ name: 'partner_id', type: 'varchar', nullable: true })
  partnerId: string | null;

  @Column({ name: 'event_type', type: 'varchar' })
  eventType: string;

  @Column({ name: 'previous_event_type', type: 'varchar' })
  previousEventType: string;

  @Column({ name: 'is_conversion', type: 'boolean' })
  isConversion: boolean;

  @Column({ name: 'previous_is_conversion', type: 'boolean' })
  previousIsConversion: boolean;

  @Column({ type: 'text' })
  correction: string;

  @Column({ name: 'corrected_at' })
  correctedAt: Date;
}

@ObjectType({ description: 'What a corrected event was before the correction' })
export class ReferralEventPrevious {
  @Field(() => EventType)
  eventType: EventType;

  @Field({ description: 'Whether it qualified for a CPA payout before the correction' })
  isConversion: boolean;

  @Field(() => Date, { description: 'Its date before the correction' })
  timestamp: Date;

  @Field(() => DecimalScalar, { nullable: true, description: 'Its amount before the correction' })
  amount: string | null;
}

@ObjectType({ description: 'A stored event corrected after it was recorded (a Track360 back-fill moved a first deposit or first trade, or a deposit was re-sent approved for another amount)' })
export class ReferralEventCorrection {
  @Field({ description: "The correction's position in the tenant's log of corrections: resume after it with conversionCorrected(after:)" })
  cursor: string;

  @Field(() => ReferralEvent, { description: 'The event as the correction left it (its new label, date, amount and isConversion)' })
  event: ReferralEvent;

  @Field(() => ReferralEventPrevious)
  previous: ReferralEventPrevious;

  @Field(() => String, { nullable: true, description: 'Why it was corrected' })
  reason: string | null;

  @Field(() => Date)
  correctedAt: Date;
}

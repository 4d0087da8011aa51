import { EntityManager } from 'typeorm';
import { Emit } from '../../../shared/src';
import { ReferralEvent } from '../entities/referral-event.entity';
import { Trader } from '../entities/trader.entity';
import { logCorrection } from './correction-log';
import { conversionOf } from './settle-attribution';
import { eventFact } from './track-event';

/**
 * Corrects a stored event (its label, date or amount, or only its isConversion when a rate decides it) and
 * publishes `referral_event.corrected` with the event as it now is and what it was (label, isConversion, date,
 * amount), in the caller's transaction, logged for the partner's stream (conversionCorrected) and delivered to
 * EVENT_CORRECTED postbacks from the fact: commissions moves the money (a deposit that stops being the first, or
 * falls below its CPA's minAmount, loses its CPA). isConversion is decided again by the one rule (conversionOf).
 */
export async function correctEvent(m: EntityManager, emit: Emit, tenantId: string, eventId: string, patch: Partial<ReferralEvent>, reason: string, customer?: Trader | null): Promise<ReferralEvent> {
  const repo = m.getRepository(ReferralEvent);
  const event = await repo.findOneByOrFail({ tenantId, id: eventId });
  // The caller's trader when it is the event's (read once per record, not again here).
  const trader = customer && customer.id === event.traderId ? customer : event.traderId ? await m.getRepository(Trader).findOneBy({ id: event.traderId }) : null;
  const previous = { eventType: event.eventType, isConversion: event.isConversion, timestamp: event.occurredAt.toISOString(), amount: event.amount };
  Object.assign(event, patch);
  // A new label or date is a new question for the plan (a RECURRING_DEPOSIT is rarely paid a CPA): the one rule decides.
  const decision = await conversionOf(m, event, event.partnerId, trader);
  Object.assign(event, decision);
  await repo.update({ id: eventId }, { ...patch, ...decision });
  // The fact and its row in the log of corrections (conversionCorrected) commit together.
  await logCorrection(m, emit('referral_event.corrected', tenantId, { ...eventFact(event, trader), previous, reason }));
  return event;
}

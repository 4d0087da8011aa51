import { EntityManager, In } from 'typeorm';
import { Emit } from '../../../shared/src';
import { ReferralEvent } from '../entities/referral-event.entity';
import { correctEvent } from './correct-event';
import { conversionOf } from './settle-attribution';

/** A rate of the tenant's table as `fx_rate.changed` carries it. */
export interface ArrivedRate {
  id: string;
  from: string;
  to: string;
  rate: string;
  effectiveFrom: string;
}

/**
 * A new rate decides again the isConversion of the tenant's events recorded without one (conversionAwaitsRate),
 * in either direction of its pair, by the one rule (conversionOf) now that the read model holds the rate. The
 * caller runs this in the transaction that applies the rate's fact (its inbox row), so each fact does it once.
 * - still no rate covering the event (dated after it, or another pair than the plan's): nothing changes;
 * - the same answer (at or above minAmount): the flag is cleared, nothing is published;
 * - another answer (below minAmount): the flag is cleared and the event corrected (correctEvent: the
 *   `referral_event.corrected` fact, its row for conversionCorrected, EVENT_CORRECTED postbacks) with a reason
 *   naming the rate. Commissions leaves that correction's money alone: its own FX settlement of the same rate
 *   decides the held CPA (consumers/corrections.ts).
 * Each flag is cleared by a conditional UPDATE, so two rates applied at once correct an event at most once.
 * Returns the events corrected.
 */
export async function rateDecidesConversions(m: EntityManager, emit: Emit, tenantId: string, rate: ArrivedRate): Promise<ReferralEvent[]> {
  const repo = m.getRepository(ReferralEvent);
  const waiting = await repo.find({ where: { tenantId, conversionAwaitsRate: true, currency: In([rate.from, rate.to]) }, order: { position: 'ASC' } });
  const corrected: ReferralEvent[] = [];
  for (const e of waiting) {
    const decision = await conversionOf(m, e, e.partnerId);
    if (decision.conversionAwaitsRate) continue;
    const claimed = await repo.update({ id: e.id, conversionAwaitsRate: true }, { conversionAwaitsRate: false });
    if (!claimed.affected || decision.isConversion === e.isConversion) continue;
    const reason = `${e.amount} ${e.currency} at the ${rate.from}/${rate.to} rate ${rate.rate} effective ${rate.effectiveFrom} (${rate.id}) is below the CPA minAmount: not a conversion`;
    corrected.push(await correctEvent(m, emit, tenantId, e.id, {}, reason));
  }
  return corrected;
}

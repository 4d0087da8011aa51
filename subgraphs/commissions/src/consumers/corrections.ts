import Decimal from 'decimal.js';
import { EventType, Fact, SubgraphRuntime } from '../../../shared/src';
import { Commission, CommissionKind } from '../entities/commission.entity';
import { EngineMark } from '../entities/refund-application.entity';
import { idTime } from '../domain/commission-ids';
import { applyAmountCorrection, EventFacts, managerReads, PartnerNotKnownYet, reverseOne } from '../services/engine';

interface EventCorrected {
  event: { id: string; eventType: EventType; timestamp: string; partnerId: string | null; traderId: string | null; amount: string | null; currency: string | null };
  /** `amount` since amount corrections (absent in facts published before). */
  previous: { eventType: EventType; isConversion: boolean; timestamp: string; amount?: string | null };
  reason: string;
}

/**
 * The money follows a corrected label (`referral_event.corrected`): a deposit that turns out not
 * to be the trader's first (a back-filled earlier one took its place) loses the CPA it was paid as
 * a FIRST_DEPOSIT; unpaid ones are REVERSED, paid ones clawed back by a negative adjustment, each
 * with the reason. Its revenue share stays: it is still a payment. The new first deposit is paid
 * through its own `event.recorded`. A first trade moved to an earlier day keeps its CPA. A payment whose amount
 * was lowered (a Track360 deposit re-sent approved for less) has its REVSHARE reduced pro rata, like a partial
 * refund of the difference (applyAmountCorrection); a raised amount pays nothing more.
 * Once per fact (inbox row in the same transaction), and only after the event itself was applied
 * (redelivered until then).
 */
export function startCorrectionConsumer(runtime: SubgraphRuntime): void {
  runtime.consume({
    group: 'commissions.corrections',
    types: ['referral_event.corrected'],
    handler: (fact: Fact) =>
      runtime.outbox
        .consume('commissions.corrections', fact, async (m, emit) => {
          const { event, previous, reason } = fact.payload as EventCorrected;
          const amountLowered = !!previous.amount && event.amount !== null && new Decimal(event.amount).lt(previous.amount);
          if ((previous.eventType === event.eventType && !amountLowered) || !event.partnerId) return;
          // The correction may arrive before the event's own event.recorded: wait until that paid, or its CPA would come after the reversal.
          const before = (await m.getRepository(EngineMark).findOneBy({ name: 'events_applied_before' }))?.at ?? null;
          const recordedEarlier = !!before && (idTime(event.id)?.getTime() ?? Infinity) < before.getTime();
          if (!recordedEarlier && !(await managerReads(m, fact.tenantId).applied(event.id))) {
            throw new PartnerNotKnownYet(`event ${event.id} is corrected before commissions applied it; retrying`);
          }
          if (amountLowered) {
            const facts: EventFacts = { ...event, timestamp: new Date(event.timestamp), isDuplicate: false, productId: null };
            await applyAmountCorrection(m, emit, fact.tenantId, fact.id, facts, reason);
          }
          if (previous.eventType === event.eventType) return;
          const cpa = await m.getRepository(Commission).find({ where: { tenantId: fact.tenantId, eventId: event.id, sourceKey: event.id, kind: CommissionKind.CPA } });
          for (const c of cpa) await reverseOne(m, emit, c, `corrected: ${previous.eventType} is now ${event.eventType} (${reason})`, event.id);
        })
        .then(() => undefined),
  });
}

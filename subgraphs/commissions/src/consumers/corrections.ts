import { EventType, Fact, SubgraphRuntime } from '../../../shared/src';
import { Commission, CommissionKind } from '../entities/commission.entity';
import { EngineMark } from '../entities/refund-application.entity';
import { idTime } from '../domain/commission-ids';
import { managerReads, PartnerNotKnownYet, reverseOne } from '../services/engine';

interface EventCorrected {
  event: { id: string; eventType: EventType; timestamp: string; partnerId: string | null };
  previous: { eventType: EventType; isConversion: boolean; timestamp: string };
  reason: string;
}

/**
 * The money follows a corrected label (`referral_event.corrected`): a deposit that turns out not
 * to be the trader's first (a back-filled earlier one took its place) loses the CPA it was paid as
 * a FIRST_DEPOSIT; unpaid ones are REVERSED, paid ones clawed back by a negative adjustment, each
 * with the reason. Its revenue share stays: it is still a payment. The new first deposit is paid
 * through its own `event.recorded`. A first trade moved to an earlier day keeps its CPA.
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
          if (previous.eventType === event.eventType || !event.partnerId) return;
          // The correction may arrive before the event's own event.recorded: wait until that paid, or its CPA would come after the reversal.
          const before = (await m.getRepository(EngineMark).findOneBy({ name: 'events_applied_before' }))?.at ?? null;
          const recordedEarlier = !!before && (idTime(event.id)?.getTime() ?? Infinity) < before.getTime();
          if (!recordedEarlier && !(await managerReads(m, fact.tenantId).applied(event.id))) {
            throw new PartnerNotKnownYet(`event ${event.id} is corrected before commissions applied it; retrying`);
          }
          const cpa = await m.getRepository(Commission).find({ where: { tenantId: fact.tenantId, eventId: event.id, sourceKey: event.id, kind: CommissionKind.CPA } });
          for (const c of cpa) await reverseOne(m, emit, c, `corrected: ${previous.eventType} is now ${event.eventType} (${reason})`, event.id);
        })
        .then(() => undefined),
  });
}

import Decimal from 'decimal.js';
import { EventType, Fact, SubgraphRuntime } from '../../../shared/src';
import { EngineMark } from '../entities/refund-application.entity';
import { idTime } from '../domain/commission-ids';
import { cpaFollowsCorrection } from '../services/cpa-correction';
import { clock, CommissionsDeps } from '../services/deps';
import { applyAmountCorrection, EventFacts, managerReads, PartnerNotKnownYet } from '../services/engine';

interface EventCorrected {
  event: Omit<EventFacts, 'timestamp' | 'accountType' | 'country' | 'refunded'> & { timestamp: string };
  /** `amount` since amount corrections (absent in facts published before). */
  previous: { eventType: EventType; isConversion: boolean; timestamp: string; amount?: string | null };
  reason: string;
  /** The customer as it is now: its account type and country decide rule conditions. */
  trader?: { accountType?: string | null; country?: string | null } | null;
}

/**
 * The money follows a corrected event (`referral_event.corrected`).
 * - Its CPA follows the event as it now is (cpaFollowsCorrection, one rule for labels and amounts): a deposit that
 *   turns out not to be the trader's first (a back-filled earlier one took its place), or whose amount was
 *   corrected below its plan version's CPA minAmount, loses its CPA: unpaid ones are REVERSED, paid ones clawed
 *   back by a negative adjustment, uplines alike, each with the reason. Corrected back above minAmount, it is paid
 *   again once. The new first deposit is paid through its own `event.recorded`.
 * - Its revenue share stays with a new label (it is still a payment); a lowered amount reduces it pro rata, like a
 *   partial refund of the difference (applyAmountCorrection); a raised amount pays no more revenue share.
 * - A first trade moved to an earlier day keeps its CPA (a new date alone changes no money), and an isConversion
 *   decided by a rate changes none either: the FX settlement of that rate decides the held CPA.
 * Once per fact (inbox row in the same transaction), and only after the event itself was applied
 * (redelivered until then).
 */
export function startCorrectionConsumer(runtime: SubgraphRuntime, deps: CommissionsDeps): void {
  runtime.consume({
    group: 'commissions.corrections',
    types: ['referral_event.corrected'],
    handler: (fact: Fact) =>
      runtime.outbox
        .consume('commissions.corrections', fact, async (m, emit) => {
          const { event, previous, reason, trader } = fact.payload as EventCorrected;
          const relabelled = previous.eventType !== event.eventType;
          const amountChanged = !!previous.amount && event.amount !== null && !new Decimal(event.amount).eq(previous.amount);
          // Only a new label or amount moves money. A correction of isConversion alone (a rate decided an event
          // recorded without one: events' rateDecidesConversions) leaves the CPA to this subgraph's FX settlement of
          // the same rate (services/fx-settlement.ts), so whichever fact is consumed first, the CPA is decided once.
          if ((!relabelled && !amountChanged) || !event.partnerId) return;
          // The correction may arrive before the event's own event.recorded: wait until that paid, or its CPA would come after the reversal.
          const before = (await m.getRepository(EngineMark).findOneBy({ name: 'events_applied_before' }))?.at ?? null;
          const recordedEarlier = !!before && (idTime(event.id)?.getTime() ?? Infinity) < before.getTime();
          if (!recordedEarlier && !(await managerReads(m, fact.tenantId).applied(event.id))) {
            throw new PartnerNotKnownYet(`event ${event.id} is corrected before commissions applied it; retrying`);
          }
          const now = clock(deps);
          const facts: EventFacts = {
            ...event,
            isDuplicate: !!event.isDuplicate,
            productId: event.productId ?? null,
            accountType: trader?.accountType ?? null,
            country: trader?.country ?? null,
            timestamp: new Date(event.timestamp),
          };
          if (amountChanged && new Decimal(event.amount!).lt(previous.amount!)) await applyAmountCorrection(m, emit, fact.tenantId, fact.id, facts, reason, now);
          const why = relabelled ? `corrected: ${previous.eventType} is now ${event.eventType} (${reason})` : `corrected: ${reason}`;
          await cpaFollowsCorrection(m, emit, { tenantId: fact.tenantId, factId: fact.id, correctedAt: new Date(fact.occurredAt), event: facts, reason: why, fx: deps.fx, now });
        })
        .then(() => undefined),
  });
}

import { EntityManager } from 'typeorm';
import { Emit, Fact, olderThanStored, SubgraphRuntime } from '../../../shared/src';
import { PendingKycBonus } from '../entities/pending-kyc-bonus.entity';
import { PartnerRef } from '../entities/plan.entity';
import { applyEvent, applySource, EventFacts, planFor } from '../services/engine';
import { clock, CommissionsDeps } from '../services/deps';
import { startCorrectionConsumer } from './corrections';
import { startChangeLogConsumer } from './change-log';
import { startFxSettlementConsumer } from './fx-settlement';

/** An event as `event.recorded` carries it: EventFacts with its time as text, the customer beside it. */
type RecordedEvent = Omit<EventFacts, 'timestamp' | 'accountType' | 'country' | 'refunded'> & { timestamp: string };

interface EventRecorded {
  event: RecordedEvent;
  /** A refund naming its payment: the payment's facts. */
  refunded?: RecordedEvent | null;
  /** The customer as the event was recorded: its account type and country decide rule conditions. */
  trader?: { accountType?: string | null; country?: string | null } | null;
}

interface TradingRecorded {
  activity: { traderId: string; partnerId: string | null; date: string; instrument: string; currency: string; accountType?: string | null; country?: string | null };
  delta: { lots: string; spreadCost: string; commission: string };
}

interface KycApproved {
  application: { id: string; userId: string; decidedAt: string };
  referralCode: { id: string; ownerUserId: string; bonus: { amount: string; currency: string } | null } | null;
}

/**
 * Commissions are created from facts: every event, every trading-day change, every KYC
 * approval with a code. Each consumer writes its inbox row, the commissions and their
 * facts in one transaction, so a redelivered fact creates nothing twice.
 */
export function startConsumers(runtime: SubgraphRuntime, deps: CommissionsDeps): void {
  const outbox = runtime.outbox;
  startCorrectionConsumer(runtime, deps);
  startChangeLogConsumer(runtime);
  startFxSettlementConsumer(runtime, deps);
  runtime.consume({
    group: 'commissions.partners',
    types: ['partner.changed'],
    handler: (fact: Fact) =>
      outbox
        .consume('commissions.partners', fact, async (m, emit) => {
          const { partner } = fact.payload as { partner: { id: string; parentId: string | null; externalId: string | null } };
          // An older fact (out of order, or published again) never overwrites a newer upline.
          if (await olderThanStored(m, PartnerRef, { partnerId: partner.id }, new Date(fact.occurredAt))) return;
          await m
            .getRepository(PartnerRef)
            .upsert({ partnerId: partner.id, tenantId: fact.tenantId, parentId: partner.parentId, externalId: partner.externalId, updatedAt: new Date(fact.occurredAt) }, ['partnerId']);
          if (partner.externalId) await settleKycBonuses(m, emit, deps, fact.tenantId, partner.id, partner.externalId);
        })
        .then(() => undefined),
  });
  runtime.consume({
    group: 'commissions.events',
    // event.attributed: a PENDING event settled later (its referral code arrived), paid once like any event.
    types: ['event.recorded', 'event.attributed'],
    handler: (fact: Fact) =>
      outbox
        .consume('commissions.events', fact, async (m, emit) => {
          const { event, refunded, trader } = fact.payload as EventRecorded;
          // The refunded payment is of the same customer (events checks it).
          const customer = { accountType: trader?.accountType ?? null, country: trader?.country ?? null };
          await applyEvent(
            m,
            emit,
            fact.tenantId,
            { ...event, ...customer, timestamp: new Date(event.timestamp), refunded: refunded ? { ...refunded, ...customer, timestamp: new Date(refunded.timestamp) } : null },
            deps.fx,
            { now: clock(deps) },
          );
        })
        .then(() => undefined),
  });
  runtime.consume({
    group: 'commissions.trading',
    types: ['trading_activity.recorded'],
    handler: (fact: Fact) =>
      outbox
        .consume('commissions.trading', fact, async (m, emit) => {
          const { activity, delta } = fact.payload as TradingRecorded;
          if (!activity.partnerId) return;
          const occurredAt = new Date(`${activity.date}T00:00:00.000Z`);
          const plan = await planFor(m, fact.tenantId, activity.partnerId, null, occurredAt);
          if (!plan) return;
          await applySource(
            m,
            emit,
            { tenantId: fact.tenantId, sourceKey: `ta:${fact.id}`, eventId: null, traderId: activity.traderId, eventAmount: null, eventCurrency: null, occurredAt },
            {
              kind: 'trading',
              key: fact.id,
              lots: delta.lots,
              spreadCost: delta.spreadCost,
              currency: activity.currency,
              date: activity.date,
              // Rule conditions: the customer's account type and country, the activity's instrument.
              context: { accountType: activity.accountType ?? null, country: activity.country ?? null, instrument: activity.instrument },
            },
            plan,
            activity.partnerId,
            deps.fx,
            clock(deps),
          );
        })
        .then(() => undefined),
  });
  runtime.consume({
    group: 'commissions.kyc',
    types: ['kyc.approved'],
    handler: (fact: Fact) =>
      outbox
        .consume('commissions.kyc', fact, async (m, emit) => {
          const approval = fact.payload as KycApproved;
          if (!approval.referralCode) return;
          const owner = await m.getRepository(PartnerRef).findOneBy({ tenantId: fact.tenantId, externalId: approval.referralCode.ownerUserId });
          if (owner) return applyKycBonus(m, emit, deps, fact.tenantId, approval, owner.partnerId);
          // The owner is not (yet) a partner commissions knows: keep the approval until one with that externalId arrives.
          await m
            .getRepository(PendingKycBonus)
            .createQueryBuilder()
            .insert()
            .values({ applicationId: approval.application.id, tenantId: fact.tenantId, ownerUserId: approval.referralCode.ownerUserId, approval, createdAt: new Date() })
            .orIgnore()
            .execute();
        })
        .then(() => undefined),
  });
}

/** A KYC approval's bonus for the code owner's partner: the code's own bonus, else the plan's BONUS rules. */
async function applyKycBonus(m: EntityManager, emit: Emit, deps: CommissionsDeps, tenantId: string, approval: KycApproved, partnerId: string): Promise<void> {
  const { application, referralCode } = approval;
  if (!referralCode) return;
  const occurredAt = new Date(application.decidedAt);
  const plan = await planFor(m, tenantId, partnerId, null, occurredAt);
  const bonus = referralCode.bonus;
  if (!bonus && !plan?.rules.some((r) => r.kind === 'BONUS')) return;
  await applySource(
    m,
    emit,
    { tenantId, sourceKey: `kyc:${application.id}`, eventId: null, traderId: null, eventAmount: null, eventCurrency: null, occurredAt },
    { kind: 'bonus', key: application.id, amount: bonus?.amount ?? null, currency: bonus?.currency ?? null, occurredAt },
    plan,
    partnerId,
    deps.fx,
    clock(deps),
  );
}

/** Pays, once, the bonuses of approvals that waited for this partner (matched by its externalId). */
async function settleKycBonuses(m: EntityManager, emit: Emit, deps: CommissionsDeps, tenantId: string, partnerId: string, externalId: string): Promise<void> {
  const repo = m.getRepository(PendingKycBonus);
  for (const pending of await repo.findBy({ tenantId, ownerUserId: externalId })) {
    // Deleting first makes a concurrent settler of the same row find nothing to pay.
    const removed = await repo.delete({ applicationId: pending.applicationId });
    if (!removed.affected) continue;
    await applyKycBonus(m, emit, deps, tenantId, pending.approval as KycApproved, partnerId);
  }
}

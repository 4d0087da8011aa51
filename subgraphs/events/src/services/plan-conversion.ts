import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import { badInput, notFound } from '../../../shared/src';
import { fxAt, FxTable, NO_RATES, parseFxRates } from '../../../shared/src/fx';
import { choosePlan, cpaQualification, versionAt } from '../../../shared/src/plan-rules';
import type { RuleContext } from '../../../shared/src/rule-conditions';
import { DEFAULT_CONVERSION_TYPES, EventType } from '../domain/event-types';
import { TrackEventFields } from '../domain/track-event-input';
import { FxRateModel, PartnerPlanModel, PlanModel, PlanModelVersion, TenantSettings } from '../entities/read-models.entity';
import { ReferralEvent } from '../entities/referral-event.entity';

/** A plan from the read model as the shared rules take it (`versions` rebuilt from cpaEventTypes for old facts). */
function modelVersions(plan: PlanModel): PlanModelVersion[] {
  if (plan.versions?.length) return plan.versions;
  return [{ version: 1, effectiveFrom: new Date(0).toISOString(), currency: '', rules: plan.cpaEventTypes.map((eventType) => ({ kind: 'CPA', eventType, minAmount: null })) }];
}

export interface ConversionFacts {
  eventType: EventType;
  amount: string | null;
  currency: string | null;
  /** The sender's USD value of the amount (amountUsd, Track360 amount_usd): compared with a USD plan's minAmount. */
  amountUsd?: string | null;
  isDuplicate: boolean;
  occurredAt: Date;
  /** The customer's account type and country: a CPA rule with conditions counts only for matching customers. */
  context?: RuleContext | null;
}

/**
 * FX_RATES of the events service that owns a DataSource (config.fxRates, set once at start by useFxRates). Kept per
 * DataSource rather than passed down: isConversion is decided deep inside recording, settling and correcting paths
 * that all hold the transaction's manager (m.connection), and each running service has its own DataSource, so two
 * stacks in one process never share it.
 */
const fxRatesOf = new WeakMap<DataSource, FxTable>();

/** Makes FX_RATES (config text, shared/src/config.ts readFxRates) the fallback rate table of this service's isConversion. */
export function useFxRates(ds: DataSource, text: string): void {
  fxRatesOf.set(ds, parseFxRates(text));
}

/** isConversion as stored on an event: the flag, and whether only a missing rate made it true (plan-rules CpaQualification). */
export interface ConversionDecision {
  isConversion: boolean;
  conversionAwaitsRate: boolean;
}

const decided = (isConversion: boolean): ConversionDecision => ({ isConversion, conversionAwaitsRate: false });

/**
 * isConversion by the partner's plan (shared/src/plan-rules: choosePlan, versionAt, cpaQualification): the plan
 * version in force when the event occurred pays a CPA for it, minAmount and rule conditions included. An amount in
 * another currency than the plan's is compared as commissions compares it (shared/src/fx.ts amountInPlanCurrency):
 * amountUsd for a USD plan, else the tenant's rate in force at occurredAt from the read model of its rate table,
 * else FX_RATES (useFxRates: the same fallback, read by the same function, as commissions).
 * Null when the tenant has no plans (the tenant's conversionEventTypes decide) or the event has no partner.
 */
export async function planQualifies(m: EntityManager, tenantId: string, partnerId: string | null, productId: string | null, event: ConversionFacts): Promise<ConversionDecision | null> {
  const plans = await m.getRepository(PlanModel).findBy({ tenantId });
  if (!plans.length || !partnerId) return null;
  const assigned = await m.getRepository(PartnerPlanModel).findOneBy({ tenantId, partnerId });
  const plan = choosePlan(
    plans.map((p) => ({ ...p, id: p.planId })),
    assigned?.planId ?? null,
    productId,
  );
  if (!plan) return decided(false);
  const version = versionAt(modelVersions(plan), event.occurredAt);
  if (!version) return decided(false);
  // The rate table is read only for an amount in another currency (an old plan fact has no currency: nothing to convert).
  const foreign = event.amount != null && event.currency != null && !!version.currency && event.currency !== version.currency;
  const fx = foreign ? fxAt(await m.getRepository(FxRateModel).findBy({ tenantId }), event.occurredAt, fxRatesOf.get(m.connection) ?? null) : NO_RATES;
  const q = cpaQualification(event, version, fx);
  return { isConversion: q.qualifies, conversionAwaitsRate: q.awaitsRate };
}

/**
 * isConversion, the one rule for recording, settling and correcting an event: attributed to a partner, not a
 * duplicate, and paid a CPA by the partner's plan version in force at occurredAt (planQualifies), else one of the
 * tenant's conversion event types. `settings` as the caller has it (undefined: read here only when needed).
 */
export async function isConversionFor(
  m: EntityManager,
  tenantId: string,
  partnerId: string | null,
  productId: string | null,
  event: ConversionFacts,
  settings?: TenantSettings | null,
): Promise<ConversionDecision> {
  if (event.isDuplicate) return decided(false);
  // Asked before the partner check: test/integration/pending-attribution.test.ts pins an unattributed event's statements to this.
  const decision = await planQualifies(m, tenantId, partnerId, productId, event);
  if (!partnerId) return decided(false);
  if (decision !== null) return decision;
  const s = settings === undefined ? await m.getRepository(TenantSettings).findOneBy({ tenantId }) : settings;
  return decided((s?.conversionEventTypes ? new Set<string>(s.conversionEventTypes) : DEFAULT_CONVERSION_TYPES).has(event.eventType));
}

/**
 * The payment a REFUND / CHARGEBACK names (`refundOf`): an event of the tenant, with an amount, not itself a
 * refund, of the refund's own trader; otherwise NOT_FOUND on input.refundOf. A refund amount must be in the
 * payment's currency and at most the payment's amount.
 */
export async function refundedPayment(m: EntityManager, tenantId: string, input: TrackEventFields, traderId: string | null): Promise<ReferralEvent | null> {
  if (!input.refundOf) return null;
  const payment = await m.getRepository(ReferralEvent).findOneBy({ tenantId, id: input.refundOf });
  const reversing = payment && (payment.eventType === EventType.REFUND || payment.eventType === EventType.CHARGEBACK);
  if (!payment || reversing || payment.amount === null || !traderId || payment.traderId !== traderId) {
    throw notFound(
      `no payment ${input.refundOf} of this customer: refundOf must name a payment event (one with an amount, not a refund) of the customer the refund names by email or externalCustomerId`,
      'input.refundOf',
      'refund_of_not_found',
    );
  }
  if (input.amount !== undefined && input.amount !== null) {
    if (input.currency !== payment.currency) throw badInput(`currency must be the refunded payment's, ${payment.currency}`, 'input.currency');
    if (new Decimal(input.amount).gt(payment.amount)) {
      throw badInput(`amount must be at most the refunded payment's ${payment.amount} ${payment.currency}; leave it out to refund all of it`, 'input.amount');
    }
  }
  return payment;
}

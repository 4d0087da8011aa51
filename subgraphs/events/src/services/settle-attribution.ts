import { EntityManager, IsNull, Not } from 'typeorm';
import { dateParam, Emit, logger, Outbox } from '../../../shared/src';
import { attribute, Attribution } from '../domain/attribute';
import { AttributionMethod } from '../domain/event-types';
import { RecentClick, TenantSettings } from '../entities/read-models.entity';
import { ReferralCodeOwner } from '../entities/referral-code-owner.entity';
import { ReferralEvent } from '../entities/referral-event.entity';
import { Trader } from '../entities/trader.entity';
import { attributionSettled } from './attribution-wait';
import { ConversionDecision, isConversionFor } from './plan-conversion';
import { codeOwner, DEFAULT_ATTRIBUTION_WINDOW_HOURS, eventFact, latestClick } from './track-event';

/**
 * Settling PENDING events, exactly once each.
 *
 * An event stored PENDING (its referral code was not known, even after the wait) is
 * attributed when the code's fact is applied: the read-model consumer calls
 * settlePendingCodes in the same transaction as the code, so the event's partner, its
 * trader's first touch (when the trader has none yet) and the `event.attributed` fact
 * commit together with the consumer's inbox row. Each change is a conditional UPDATE
 * (`WHERE attribution = 'PENDING'`), so a redelivered fact, a second replica, the sweep
 * and the request that stored the event can all try: one settles it, the others find
 * nothing to do and emit nothing.
 *
 * `event.attributed` carries the event as `event.recorded` does; commissions pays it
 * through the same path, keyed by the event id.
 */

type Outcome = 'attributed' | 'expired';

/** Settles the PENDING events waiting for `codeKeys` whose code now names a partner. Returns how many events changed. */
export async function settlePendingCodes(m: EntityManager, emit: Emit, tenantId: string, codeKeys: string[]): Promise<number> {
  let settled = 0;
  for (const codeKey of new Set(codeKeys.map((c) => c.toLowerCase()))) {
    const waiting = await m.getRepository(ReferralEvent).find({ where: { tenantId, pendingCode: codeKey, attribution: AttributionMethod.PENDING }, order: { position: 'ASC' } });
    if (!waiting.length) continue;
    const { partnerId } = await codeOwner(m, tenantId, codeKey);
    if (!partnerId) continue;
    for (const e of waiting) settled += await settleEvent(m, emit, e, { method: AttributionMethod.REFERRAL_CODE, partnerId }, 'attributed');
  }
  return settled;
}

/** A partner with this external id arrived: the KYC codes its user owns may now attribute. */
export async function settleCodesOfOwner(m: EntityManager, emit: Emit, tenantId: string, externalId: string): Promise<{ settled: number; codeKeys: string[] }> {
  const codes = await m.getRepository(ReferralCodeOwner).findBy({ tenantId, ownerUserId: externalId, active: true });
  const codeKeys = codes.map((c) => c.codeKey);
  return { settled: codeKeys.length ? await settlePendingCodes(m, emit, tenantId, codeKeys) : 0, codeKeys };
}

/**
 * Gives `e` its attribution if it is still PENDING; sets its trader's first touch when
 * the trader has none, and settles the trader's events that waited on that first touch.
 */
async function settleEvent(m: EntityManager, emit: Emit, e: ReferralEvent, attribution: Attribution, outcome: Outcome, viaTrader = false): Promise<number> {
  const fingerprintClick = attribution.method === AttributionMethod.FINGERPRINT ? await fingerprintClickOf(m, e) : null;
  let trader = e.traderId ? await m.getRepository(Trader).findOneBy({ id: e.traderId }) : null;
  const change: Partial<ReferralEvent> = {
    attribution: attribution.method,
    partnerId: attribution.partnerId,
    pendingCode: null,
    ...(await conversionOf(m, e, attribution.partnerId, trader)),
    ...(fingerprintClick ? { clickId: fingerprintClick.clickId, linkId: fingerprintClick.linkId } : {}),
  };
  const res = await m.getRepository(ReferralEvent).update({ id: e.id, attribution: AttributionMethod.PENDING }, change);
  if (!res.affected) return 0;
  Object.assign(e, change);
  let settled = 1;
  if (trader && !viaTrader) {
    if (!trader.partnerId && attribution.partnerId) {
      const r = await m.getRepository(Trader).update({ id: trader.id, partnerId: IsNull() }, { partnerId: attribution.partnerId, attribution: attribution.method });
      if (r.affected) Object.assign(trader, { partnerId: attribution.partnerId, attribution: attribution.method });
      else trader = await m.getRepository(Trader).findOneByOrFail({ id: trader.id });
    }
    if (!trader.partnerId && trader.attribution === AttributionMethod.PENDING) {
      // Nothing else of it waits on a code: its first touch is given up as well.
      const stillWaiting = await m.getRepository(ReferralEvent).count({ where: { tenantId: e.tenantId, traderId: trader.id, attribution: AttributionMethod.PENDING, pendingCode: Not(IsNull()) }, take: 1 } as never);
      if (!stillWaiting) {
        await m.getRepository(Trader).update({ id: trader.id, attribution: AttributionMethod.PENDING }, { attribution: AttributionMethod.NONE });
        trader.attribution = AttributionMethod.NONE;
      }
    }
  }
  // A refund naming its payment carries it, as in event.recorded.
  const refunded = e.refundOf ? await m.getRepository(ReferralEvent).findOneBy({ id: e.refundOf }) : null;
  emit('event.attributed', e.tenantId, eventFact(e, trader, refunded));
  attributionSettled().inc({ outcome });
  if (trader && !viaTrader && trader.attribution !== AttributionMethod.PENDING) settled += await settleTraderWaiters(m, emit, trader, outcome);
  return settled;
}

/** The trader's events that waited on its first touch, now that it is settled (a partner, or none). */
async function settleTraderWaiters(m: EntityManager, emit: Emit, trader: Trader, outcome: Outcome): Promise<number> {
  const waiting = await m
    .getRepository(ReferralEvent)
    .find({ where: { tenantId: trader.tenantId, traderId: trader.id, attribution: AttributionMethod.PENDING, pendingCode: IsNull() }, order: { position: 'ASC' } });
  let settled = 0;
  for (const e of waiting) {
    const attribution = trader.partnerId ? { method: AttributionMethod.TRADER_FIRST_TOUCH, partnerId: trader.partnerId } : await fallback(m, e, null);
    settled += await settleEvent(m, emit, e, attribution, outcome, true);
  }
  return settled;
}

/** What attributes an event once its code is given up: the signals after the code, as they stand now. */
async function fallback(m: EntityManager, e: ReferralEvent, trader: Trader | null): Promise<Attribution> {
  const click = !trader?.partnerId ? await fingerprintClickOf(m, e) : null;
  return attribute({ traderPartnerId: trader?.partnerId, fingerprintPartnerId: click?.partnerId });
}

async function fingerprintClickOf(m: EntityManager, e: ReferralEvent): Promise<RecentClick | null> {
  if (!e.fingerprint) return null;
  const settings = await m.getRepository(TenantSettings).findOneBy({ tenantId: e.tenantId });
  const windowMs = (settings?.attributionWindowHours ?? DEFAULT_ATTRIBUTION_WINDOW_HOURS) * 3600_000;
  return latestClick(m, e.tenantId, e.fingerprint, new Date(e.occurredAt.getTime() - windowMs), e.occurredAt);
}

/**
 * isConversion (and whether it awaits a rate) of a settled or corrected event, by the rule recordEvent applies
 * when it records one (isConversionFor). `trader`: the event's customer when the caller has it (undefined: read
 * here), whose account type and country rule conditions look at.
 */
export async function conversionOf(m: EntityManager, e: ReferralEvent, partnerId: string | null, trader?: Trader | null): Promise<ConversionDecision> {
  if (!partnerId || e.isDuplicate) return { isConversion: false, conversionAwaitsRate: false };
  const customer = trader !== undefined ? trader : e.traderId ? await m.getRepository(Trader).findOneBy({ tenantId: e.tenantId, id: e.traderId }) : null;
  const context = { accountType: customer?.accountType ?? null, country: customer?.country ?? null };
  const facts = { eventType: e.eventType, amount: e.amount, currency: e.currency, amountUsd: e.amountUsd, isDuplicate: e.isDuplicate, occurredAt: e.occurredAt, context };
  return isConversionFor(m, e.tenantId, partnerId, e.productId, facts);
}

/**
 * The safety net, run every minute by each events replica: settles PENDING events whose
 * code has become known (a settlement the consumer could not see: the event committed
 * after the code was applied), events that waited on a trader whose first touch is now
 * settled, and gives up the ones older than `pendingHours` with the signals after the code.
 * Each event in its own short transaction; returns how many changed.
 */
export async function sweepPending(outbox: Outbox, now: Date, pendingHours: number, limit = 500): Promise<number> {
  const ds = outbox.dataSource;
  const events = ds.getRepository(ReferralEvent);
  let changed = 0;

  const codes: { tenant_id: string; pending_code: string }[] = await events
    .createQueryBuilder('e')
    .select(['e.tenant_id AS tenant_id', 'e.pending_code AS pending_code'])
    .where('e.attribution = :pending AND e.pending_code IS NOT NULL', { pending: AttributionMethod.PENDING })
    .groupBy('e.tenant_id')
    .addGroupBy('e.pending_code')
    .limit(limit)
    .getRawMany();
  for (const c of codes) {
    if (!(await codeOwner(ds.manager, c.tenant_id, c.pending_code)).partnerId) continue;
    changed += await outbox.transaction((m, emit) => settlePendingCodes(m, emit, c.tenant_id, [c.pending_code]));
  }

  const traderWaiters = await events.find({ where: { attribution: AttributionMethod.PENDING, pendingCode: IsNull() }, order: { position: 'ASC' }, take: limit });
  const traderIds = [...new Set(traderWaiters.map((e) => e.traderId).filter((id): id is string => !!id))];
  for (const traderId of traderIds) {
    changed += await outbox.transaction(async (m, emit) => {
      const trader = await m.getRepository(Trader).findOneBy({ id: traderId });
      return trader && trader.attribution !== AttributionMethod.PENDING ? settleTraderWaiters(m, emit, trader, 'attributed') : 0;
    });
  }

  const cutoff = new Date(now.getTime() - pendingHours * 3_600_000);
  const expired = await events
    .createQueryBuilder('e')
    .where('e.attribution = :pending AND e.created_at <= :cutoff', { pending: AttributionMethod.PENDING, cutoff: dateParam(ds, cutoff) })
    .orderBy('e.created_at', 'ASC')
    .limit(limit)
    .getMany();
  for (const stale of expired) {
    changed += await outbox.transaction(async (m, emit) => {
      const e = await m.getRepository(ReferralEvent).findOneBy({ id: stale.id, attribution: AttributionMethod.PENDING });
      if (!e) return 0;
      const trader = e.traderId ? await m.getRepository(Trader).findOneBy({ id: e.traderId }) : null;
      return settleEvent(m, emit, e, await fallback(m, e, trader), 'expired');
    });
  }
  return changed;
}

/** Runs the sweep every `intervalMs` for as long as the runtime lives. */
export function startPendingSweep(outbox: Outbox, every: (ms: number, task: () => Promise<void>) => void, pendingHours: number, intervalMs = 60_000): void {
  const log = logger('events.attribution');
  every(intervalMs, async () => {
    const changed = await sweepPending(outbox, new Date(), pendingHours);
    if (changed) log.info({ changed }, 'pending attributions settled by the sweep');
  });
}

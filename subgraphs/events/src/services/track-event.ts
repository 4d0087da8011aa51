import { EntityManager } from 'typeorm';
import { conflict, dateParam, decodeClickId, Emit, fingerprint, isPostgres, newId, Outbox, sql } from '../../../shared/src';
import { attribute, Attribution } from '../domain/attribute';
import { AttributionWait, attributionCodeMisses, attributionPending, CodeNotKnownYet } from './attribution-wait';
import { settlePendingCodes } from './settle-attribution';
import { AttributionMethod, EventType } from '../domain/event-types';
import { TrackEventFields } from '../domain/track-event-input';
import { REQUEST_FINGERPRINT_VERSION, requestFingerprint } from '../domain/request-fingerprint';
import { isConversionFor, refundedPayment } from './plan-conversion';
import { RecentClick, TenantSettings } from '../entities/read-models.entity';
import { PartnerRef, ReferralCodeOwner } from '../entities/referral-code-owner.entity';
import { ReferralEvent } from '../entities/referral-event.entity';
import { Trader } from '../entities/trader.entity';

export const DEFAULT_ATTRIBUTION_WINDOW_HOURS = 24;

/**
 * The `event.recorded` fact: what commissions, postbacks and live subscribers need. A refund naming its payment
 * (`refundOf`) carries that payment's facts in `refunded`, so commissions can apply the payment first if its own
 * fact has not arrived yet.
 */
export function eventFact(e: ReferralEvent, trader: Trader | null, refunded: ReferralEvent | null = null) {
  return {
    event: {
      id: e.id,
      cursor: e.position,
      eventType: e.eventType,
      customEventName: e.customEventName,
      partnerId: e.partnerId,
      traderId: e.traderId,
      clickId: e.clickId,
      linkId: e.linkId,
      attribution: e.attribution,
      amount: e.amount,
      currency: e.currency,
      amountUsd: e.amountUsd ?? null,
      paymentMethod: e.paymentMethod,
      subscriptionStatus: e.subscriptionStatus,
      productId: e.productId,
      isConversion: e.isConversion,
      isDuplicate: e.isDuplicate,
      source: e.source,
      timestamp: e.occurredAt.toISOString(),
      refundOf: e.refundOf ?? null,
    },
    refunded: refunded && {
      id: refunded.id,
      eventType: refunded.eventType,
      amount: refunded.amount,
      currency: refunded.currency,
      amountUsd: refunded.amountUsd ?? null,
      isDuplicate: refunded.isDuplicate,
      timestamp: refunded.occurredAt.toISOString(),
      productId: refunded.productId,
      partnerId: refunded.partnerId,
      traderId: refunded.traderId,
    },
    trader: trader && { id: trader.id, email: trader.email, name: trader.name, externalId: trader.externalId, partnerId: trader.partnerId, country: trader.country, accountType: trader.accountType },
  };
}

export interface RecordOptions {
  source: 'api' | 'forex' | 'kyc';
  idempotencyKey?: string | null;
  requestHash?: string | null;
  /** The trader, when the caller already has it (forex records). */
  trader?: Trader | null;
  /** An attribution decided by the producer (a KYC approval names the code owner). */
  attribution?: Attribution;
  clickIdSecrets: string[];
  /**
   * A referral code not in the read model yet: `wait` throws CodeNotKnownYet (the caller
   * rolls back, waits for the code and calls again with `waited`); otherwise the event
   * is stored PENDING at once.
   */
  codeWait?: 'wait' | 'waited';
}

/**
 * The core write: finds or creates the trader, attributes, flags, stores the event and
 * its `event.recorded` fact in the caller's transaction.
 */
export async function recordEvent(m: EntityManager, emit: Emit, tenantId: string, input: TrackEventFields, opts: RecordOptions): Promise<ReferralEvent> {
  const now = new Date();
  const occurredAt = input.occurredAt ?? now;
  const settings = await m.getRepository(TenantSettings).findOneBy({ tenantId });
  const click = input.clickId ? decodeClickId(input.clickId, tenantId, opts.clickIdSecrets) : null;
  const fp = fingerprint(input.ip, input.userAgent);
  const code = !opts.attribution && !click && input.referralCode ? await codeOwner(m, tenantId, input.referralCode) : null;
  const codePartnerId = code?.partnerId ?? null;
  // A code the read model has never seen: its producer's fact may be on its way.
  const codePending = !!code && !code.known;
  if (codePending && opts.codeWait === 'wait') throw new CodeNotKnownYet(input.referralCode!.toLowerCase());
  if (codePending && opts.codeWait !== 'waited') attributionCodeMisses().inc();
  const decide = async (t: Trader | null): Promise<{ attribution: Attribution; fingerprintClick: RecentClick | null }> => {
    let fingerprintClick: RecentClick | null = null;
    // The trader's first touch waits on a code an earlier event of it named.
    const traderPending = !t?.partnerId && t?.attribution === AttributionMethod.PENDING;
    if (!opts.attribution && !click && !t?.partnerId && fp && !codePartnerId && !codePending && !traderPending) {
      const windowMs = (settings?.attributionWindowHours ?? DEFAULT_ATTRIBUTION_WINDOW_HOURS) * 3600_000;
      fingerprintClick = await latestClick(m, tenantId, fp, new Date(occurredAt.getTime() - windowMs), occurredAt);
    }
    const attribution =
      opts.attribution ??
      attribute({ clickPartnerId: click?.partnerId, codePartnerId, codePending, traderPartnerId: t?.partnerId, traderPending, fingerprintPartnerId: fingerprintClick?.partnerId });
    return { attribution, fingerprintClick };
  };

  let trader = opts.trader !== undefined ? opts.trader : await findTrader(m, tenantId, input);
  let created = false;
  let { attribution, fingerprintClick } = await decide(trader);
  if (opts.trader === undefined) {
    if (trader) await fillTrader(m, trader, input, occurredAt);
    else {
      // A new trader is stored with its first touch already: no update after.
      ({ trader, created } = await createTrader(m, tenantId, input, occurredAt, attribution));
      // Another request created this trader first: attribute against it as it stands.
      if (trader && !created) ({ attribution, fingerprintClick } = await decide(trader));
    }
  }
  const viaClick = attribution.method === AttributionMethod.CLICK_ID ? click : null;
  const viaFingerprint = attribution.method === AttributionMethod.FINGERPRINT ? fingerprintClick : null;

  if (trader && !trader.partnerId && attribution.partnerId) {
    // First touch: the trader keeps this partner from now on.
    trader.partnerId = attribution.partnerId;
    trader.attribution = attribution.method;
    await m.getRepository(Trader).update({ id: trader.id }, { partnerId: trader.partnerId, attribution: trader.attribution });
  } else if (trader && !trader.partnerId && attribution.method === AttributionMethod.PENDING && trader.attribution !== AttributionMethod.PENDING) {
    // Its first touch now waits on this event's code: the trader's next events wait with it.
    trader.attribution = AttributionMethod.PENDING;
    await m.getRepository(Trader).update({ id: trader.id }, { attribution: trader.attribution });
  }
  const pendingCode = attribution.method === AttributionMethod.PENDING && codePending ? input.referralCode!.toLowerCase() : null;

  // A trader this transaction created has no events yet: nothing to ask.
  const isDuplicate = trader && !created ? await hasSameEvent(m, tenantId, trader.id, input.eventType, input.customEventName ?? null) : false;
  const refunded = await refundedPayment(m, tenantId, input, trader?.id ?? null);
  // The plan version in force at occurredAt decides (CPA rule and minAmount); without plans, the tenant's types.
  const conversionFacts = {
    eventType: input.eventType,
    amount: input.amount ?? null,
    currency: input.currency ?? null,
    amountUsd: input.amountUsd ?? null,
    isDuplicate,
    occurredAt,
    // Rule conditions (accountTypes, countries) look at the customer as it is when the event is recorded.
    context: { accountType: trader?.accountType ?? null, country: trader?.country ?? null },
  };
  const { isConversion, conversionAwaitsRate } = await isConversionFor(m, tenantId, attribution.partnerId, input.productId ?? null, conversionFacts, settings);
  const event = m.getRepository(ReferralEvent).create({
    id: newId('evt'),
    tenantId,
    eventType: input.eventType,
    customEventName: input.customEventName ?? null,
    partnerId: attribution.partnerId,
    traderId: trader?.id ?? null,
    position: String(await nextPosition(m, tenantId)),
    clickId: viaClick ? input.clickId! : viaFingerprint?.clickId ?? null,
    linkId: viaClick?.linkId ?? viaFingerprint?.linkId ?? null,
    fingerprint: fp,
    source: opts.source,
    attribution: attribution.method,
    pendingCode,
    amount: input.amount ?? null,
    currency: input.currency ?? null,
    amountUsd: input.amountUsd ?? null,
    paymentMethod: input.paymentMethod ?? null,
    subscriptionStatus: input.subscriptionStatus ?? null,
    productId: input.productId ?? null,
    isDuplicate,
    isConversion,
    conversionAwaitsRate,
    refundOf: refunded?.id ?? null,
    idempotencyKey: opts.idempotencyKey ?? null,
    requestHash: opts.idempotencyKey ? opts.requestHash ?? null : null,
    requestHashVersion: opts.idempotencyKey && opts.requestHash ? REQUEST_FINGERPRINT_VERSION : null,
    occurredAt,
    createdAt: now,
  });
  await m.getRepository(ReferralEvent).insert(event);
  if (event.attribution === AttributionMethod.PENDING) attributionPending().inc({ waits_on: pendingCode ? 'code' : 'trader' });
  emit('event.recorded', tenantId, eventFact(event, trader, refunded));
  return event;
}

/**
 * Positions are per tenant and must follow commit order so a subscriber resuming after
 * position N never misses an event committed later with a smaller one. PostgreSQL:
 * a transaction-scoped advisory lock per tenant serialises the assignment until commit.
 * SQLite: transactions already take turns.
 */
export async function nextPosition(m: EntityManager, tenantId: string): Promise<number> {
  if (isPostgres(m.connection)) await m.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`events:${tenantId}`]);
  const [row] = await m.query(sql(m, 'SELECT COALESCE(MAX(position), 0) AS p FROM events WHERE tenant_id = ?'), [tenantId]);
  return Number(row.p) + 1;
}

export async function latestClick(m: EntityManager, tenantId: string, fp: string, from: Date, to: Date): Promise<RecentClick | null> {
  return m
    .getRepository(RecentClick)
    .createQueryBuilder('c')
    .where('c.tenant_id = :tenantId AND c.fingerprint = :fp', { tenantId, fp })
    .andWhere('c.created_at >= :from AND c.created_at <= :to', { from: dateParam(m.connection, from), to: dateParam(m.connection, new Date(to.getTime() + 60_000)) })
    .orderBy('c.created_at', 'DESC')
    .getOne();
}

/**
 * trackEvent: validation is done by the caller; this adds idempotency around recordEvent,
 * and the wait for a referral code not known yet (`wait`: once per request, outside any
 * transaction, at most ATTRIBUTION_WAIT_MS; see attribution-wait.ts).
 */
export async function trackEvent(
  outbox: Outbox,
  tenantId: string,
  input: TrackEventFields,
  idempotencyKey: string | null,
  clickIdSecrets: string[],
  wait?: AttributionWait,
): Promise<ReferralEvent> {
  const hash = requestFingerprint(input);
  const replay = async (m: EntityManager) => {
    if (!idempotencyKey) return null;
    const existing = await m.getRepository(ReferralEvent).findOneBy({ tenantId, idempotencyKey });
    if (!existing) return null;
    // Compared under the version it was stored with: keys used before fingerprints went by value still replay.
    const version = existing.requestHashVersion ?? 1;
    if (existing.requestHash !== (version === REQUEST_FINGERPRINT_VERSION ? hash : requestFingerprint(input, version))) {
      throw conflict('this idempotencyKey was already used with a different input', 'idempotencyKey', 'idempotency_conflict');
    }
    return existing;
  };
  const attempt = (codeWait: RecordOptions['codeWait']) =>
    outbox.transaction(async (m, emit) => {
      const previous = await replay(m);
      if (previous) return previous;
      return recordEvent(m, emit, tenantId, input, { source: 'api', idempotencyKey, requestHash: hash, clickIdSecrets, codeWait });
    });
  const once = async (codeWait: RecordOptions['codeWait']) => {
    try {
      return await attempt(codeWait);
    } catch (err) {
      // Two requests with one idempotency key raced: the loser now finds the winner's event.
      if (idempotencyKey && isUniqueViolation(err)) return attempt(codeWait);
      throw err;
    }
  };
  let event: ReferralEvent;
  try {
    event = await once(wait && wait.waitMs > 0 ? 'wait' : undefined);
  } catch (err) {
    if (!(err instanceof CodeNotKnownYet) || !wait) throw err;
    // Rolled back before writing anything: wait for the code with no transaction open.
    attributionCodeMisses().inc();
    const ds = outbox.dataSource;
    await wait.waiters.waitFor(tenantId, err.codeKey, wait.waitMs, async () => (await codeOwner(ds.manager, tenantId, err.codeKey)).known);
    event = await once('waited');
  }
  if (event.attribution === AttributionMethod.PENDING && event.pendingCode) {
    // The code may have been applied between our look and our commit, its consumer not seeing
    // our uncommitted event: settle it now rather than at the next sweep.
    const codeKey = event.pendingCode;
    if ((await codeOwner(outbox.dataSource.manager, tenantId, codeKey)).partnerId) {
      await outbox.transaction((m, emit) => settlePendingCodes(m, emit, tenantId, [codeKey]));
      event = (await outbox.dataSource.getRepository(ReferralEvent).findOneBy({ id: event.id })) ?? event;
    }
  }
  return event;
}

export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || /UNIQUE constraint failed/.test(e?.message ?? '');
}

type TraderInput = Pick<TrackEventFields, 'email' | 'externalCustomerId' | 'name' | 'eventType'>;

function traderKeys(input: TraderInput) {
  return { emailKey: input.email ? input.email.toLowerCase() : null, externalId: input.externalCustomerId ?? null };
}

/** The trader an event names, by its external id first, then its email (case-insensitive). */
export async function findTrader(m: EntityManager, tenantId: string, input: TraderInput): Promise<Trader | null> {
  const repo = m.getRepository(Trader);
  const { emailKey, externalId } = traderKeys(input);
  return (externalId ? await repo.findOneBy({ tenantId, externalId }) : null) ?? (emailKey ? await repo.findOneBy({ tenantId, emailKey }) : null);
}

/**
 * Creates the trader an event names, with its first touch, and says whether this
 * transaction created it: INSERT .. ON CONFLICT DO NOTHING, so two requests creating the
 * same trader at once both end up with the one row (the loser finds the winner's).
 */
async function createTrader(
  m: EntityManager,
  tenantId: string,
  input: TraderInput,
  occurredAt: Date,
  firstTouch: Attribution,
): Promise<{ trader: Trader | null; created: boolean }> {
  const { emailKey, externalId } = traderKeys(input);
  if (!emailKey && !externalId) return { trader: null, created: false };
  const id = newId('trd');
  await m
    .getRepository(Trader)
    .createQueryBuilder()
    .insert()
    .values({
      id,
      tenantId,
      email: input.email ?? null,
      emailKey,
      name: input.name ?? null,
      externalId,
      partnerId: firstTouch.partnerId,
      attribution: firstTouch.partnerId || firstTouch.method === AttributionMethod.PENDING ? firstTouch.method : AttributionMethod.NONE,
      signupAt: input.eventType === EventType.REGISTRATION ? occurredAt : null,
      createdAt: new Date(),
    })
    .orIgnore()
    .execute();
  const trader = await findTrader(m, tenantId, input);
  return { trader, created: trader?.id === id };
}

/** Fills what a found trader lacks and the event tells (email, external id, name, signup time). */
async function fillTrader(m: EntityManager, trader: Trader, input: TraderInput, occurredAt: Date): Promise<void> {
  const { emailKey, externalId } = traderKeys(input);
  const fill: Partial<Trader> = {};
  if (!trader.email && input.email) Object.assign(fill, { email: input.email, emailKey });
  if (!trader.externalId && externalId) fill.externalId = externalId;
  if (!trader.name && input.name) fill.name = input.name;
  if (!trader.signupAt && input.eventType === EventType.REGISTRATION) fill.signupAt = occurredAt;
  if (Object.keys(fill).length) {
    await m.getRepository(Trader).update({ id: trader.id }, fill);
    Object.assign(trader, fill);
  }
}

/** The partner a referral code belongs to: a partner's own code first, then a KYC code's owner. */
export async function partnerForCode(m: EntityManager, tenantId: string, code: string): Promise<string | null> {
  return (await codeOwner(m, tenantId, code)).partnerId;
}

/**
 * What the read model knows of a code: `known` once any fact about it arrived (active or
 * not, partner code or KYC code); `partnerId` when it attributes to a partner now. An
 * unknown code may still be on its way on the bus; a known one that names no partner (a
 * deactivated KYC code, one whose owner is not a partner) attributes nothing.
 */
export async function codeOwner(m: EntityManager, tenantId: string, code: string): Promise<{ known: boolean; partnerId: string | null }> {
  const rows = await m.getRepository(ReferralCodeOwner).findBy({ tenantId, codeKey: code.toLowerCase() });
  const owners = rows.filter((o) => o.active);
  const own = owners.find((o) => o.source === 'links' && o.partnerId);
  if (own) return { known: true, partnerId: own.partnerId };
  for (const o of owners) {
    if (o.partnerId) return { known: true, partnerId: o.partnerId };
    if (o.ownerUserId) {
      const ref = await m.getRepository(PartnerRef).findOneBy({ tenantId, externalId: o.ownerUserId });
      if (ref) return { known: true, partnerId: ref.partnerId };
    }
  }
  return { known: rows.length > 0, partnerId: null };
}

export async function hasSameEvent(m: EntityManager, tenantId: string, traderId: string, eventType: EventType, customEventName: string | null): Promise<boolean> {
  const where: Record<string, unknown> = { tenantId, traderId, eventType };
  if (eventType === EventType.CUSTOM && customEventName) where.customEventName = customEventName;
  return (await m.getRepository(ReferralEvent).count({ where, take: 1 } as never)) > 0;
}

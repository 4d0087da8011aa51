import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';
import { conflict, Emit, newId, Outbox } from '../../../shared/src';
import { attribute } from '../domain/attribute';
import { AttributionMethod, DEFAULT_CONVERSION_TYPES, EventType } from '../domain/event-types';
import { TrackEventFields } from '../domain/track-event-input';
import { PartnerRef, ReferralCodeOwner } from '../entities/referral-code-owner.entity';
import { ReferralEvent } from '../entities/referral-event.entity';
import { Trader } from '../entities/trader.entity';

/** Stable hash of an input, to tell a replayed idempotency key from a reused one. */
export function requestHash(input: TrackEventFields): string {
  const fields = input as unknown as Record<string, unknown>;
  const canonical = Object.keys(fields)
    .sort()
    .filter((k) => fields[k] !== undefined && fields[k] !== null)
    .map((k) => [k, fields[k] instanceof Date ? (fields[k] as Date).toISOString() : fields[k]]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

function eventFact(e: ReferralEvent, trader: Trader | null) {
  return {
    event: {
      id: e.id,
      eventType: e.eventType,
      customEventName: e.customEventName,
      partnerId: e.partnerId,
      traderId: e.traderId,
      attribution: e.attribution,
      amount: e.amount,
      currency: e.currency,
      paymentMethod: e.paymentMethod,
      subscriptionStatus: e.subscriptionStatus,
      productId: e.productId,
      isConversion: e.isConversion,
      isDuplicate: e.isDuplicate,
      timestamp: e.occurredAt.toISOString(),
    },
    trader: trader && { id: trader.id, email: trader.email, externalId: trader.externalId, partnerId: trader.partnerId },
  };
}

/**
 * The core write: finds or creates the trader, attributes, flags, stores the event and
 * its `event.recorded` fact in one transaction.
 */
export async function trackEvent(outbox: Outbox, tenantId: string, input: TrackEventFields, idempotencyKey: string | null): Promise<ReferralEvent> {
  const hash = requestHash(input);
  const replay = async (m: EntityManager) => {
    if (!idempotencyKey) return null;
    const existing = await m.getRepository(ReferralEvent).findOneBy({ tenantId, idempotencyKey });
    if (!existing) return null;
    if (existing.requestHash !== hash) {
      throw conflict('this idempotencyKey was already used with a different input', 'idempotencyKey', 'idempotency_conflict');
    }
    return existing;
  };
  const attempt = () =>
    outbox.transaction(async (m, emit) => {
      const previous = await replay(m);
      if (previous) return previous;
      return recordEvent(m, emit, tenantId, input, idempotencyKey, hash);
    });
  try {
    return await attempt();
  } catch (err) {
    // Two requests with one idempotency key raced: the loser now finds the winner's event.
    if (idempotencyKey && isUniqueViolation(err)) return attempt();
    throw err;
  }
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || /UNIQUE constraint failed/.test(e?.message ?? '');
}

async function recordEvent(
  m: EntityManager,
  emit: Emit,
  tenantId: string,
  input: TrackEventFields,
  idempotencyKey: string | null,
  hash: string,
): Promise<ReferralEvent> {
  const now = new Date();
  const occurredAt = input.occurredAt ?? now;
  const trader = await findOrCreateTrader(m, tenantId, input, occurredAt);
  const codePartnerId = input.referralCode ? await partnerForCode(m, tenantId, input.referralCode) : null;
  const attribution = attribute({ codePartnerId, traderPartnerId: trader?.partnerId });

  if (trader && !trader.partnerId && attribution.partnerId) {
    // First touch: the trader keeps this partner from now on.
    trader.partnerId = attribution.partnerId;
    trader.attribution = attribution.method;
    await m.getRepository(Trader).update({ id: trader.id }, { partnerId: trader.partnerId, attribution: trader.attribution });
  }

  const isDuplicate = trader ? await hasSameEvent(m, tenantId, trader.id, input.eventType, input.customEventName ?? null) : false;
  const event = m.getRepository(ReferralEvent).create({
    id: newId('evt'),
    tenantId,
    eventType: input.eventType,
    customEventName: input.customEventName ?? null,
    partnerId: attribution.partnerId,
    traderId: trader?.id ?? null,
    attribution: attribution.method,
    amount: input.amount ?? null,
    currency: input.currency ?? null,
    paymentMethod: input.paymentMethod ?? null,
    subscriptionStatus: input.subscriptionStatus ?? null,
    productId: input.productId ?? null,
    isDuplicate,
    isConversion: attribution.method !== AttributionMethod.NONE && !isDuplicate && DEFAULT_CONVERSION_TYPES.has(input.eventType),
    idempotencyKey,
    requestHash: idempotencyKey ? hash : null,
    occurredAt,
    createdAt: now,
  });
  await m.getRepository(ReferralEvent).insert(event);
  emit('event.recorded', tenantId, eventFact(event, trader));
  return event;
}

async function findOrCreateTrader(m: EntityManager, tenantId: string, input: TrackEventFields, occurredAt: Date): Promise<Trader | null> {
  const repo = m.getRepository(Trader);
  const emailKey = input.email ? input.email.toLowerCase() : null;
  const externalId = input.externalCustomerId ?? null;
  if (!emailKey && !externalId) return null;
  const find = async () =>
    (externalId ? await repo.findOneBy({ tenantId, externalId }) : null) ?? (emailKey ? await repo.findOneBy({ tenantId, emailKey }) : null);
  let trader = await find();
  if (!trader) {
    // INSERT .. ON CONFLICT DO NOTHING: two requests creating the same trader at once
    // both end up with the one row.
    await repo
      .createQueryBuilder()
      .insert()
      .values({
        id: newId('trd'),
        tenantId,
        email: input.email ?? null,
        emailKey,
        name: input.name ?? null,
        externalId,
        partnerId: null,
        attribution: AttributionMethod.NONE,
        signupAt: input.eventType === EventType.REGISTRATION ? occurredAt : null,
        createdAt: new Date(),
      })
      .orIgnore()
      .execute();
    trader = await find();
    return trader;
  }
  const fill: Partial<Trader> = {};
  if (!trader.email && input.email) Object.assign(fill, { email: input.email, emailKey });
  if (!trader.externalId && externalId) fill.externalId = externalId;
  if (!trader.name && input.name) fill.name = input.name;
  if (!trader.signupAt && input.eventType === EventType.REGISTRATION) fill.signupAt = occurredAt;
  if (Object.keys(fill).length) {
    await repo.update({ id: trader.id }, fill);
    Object.assign(trader, fill);
  }
  return trader;
}

/** The partner a referral code belongs to: a partner's own code first, then a KYC code's owner. */
export async function partnerForCode(m: EntityManager, tenantId: string, code: string): Promise<string | null> {
  const owners = await m.getRepository(ReferralCodeOwner).findBy({ tenantId, codeKey: code.toLowerCase(), active: true });
  const own = owners.find((o) => o.source === 'links' && o.partnerId);
  if (own) return own.partnerId;
  for (const o of owners) {
    if (o.partnerId) return o.partnerId;
    if (o.ownerUserId) {
      const ref = await m.getRepository(PartnerRef).findOneBy({ tenantId, externalId: o.ownerUserId });
      if (ref) return ref.partnerId;
    }
  }
  return null;
}

async function hasSameEvent(m: EntityManager, tenantId: string, traderId: string, eventType: EventType, customEventName: string | null): Promise<boolean> {
  const where: Record<string, unknown> = { tenantId, traderId, eventType };
  if (eventType === EventType.CUSTOM && customEventName) where.customEventName = customEventName;
  return (await m.getRepository(ReferralEvent).count({ where, take: 1 } as never)) > 0;
}

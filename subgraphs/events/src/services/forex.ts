import { EntityManager, In } from 'typeorm';
import Decimal from 'decimal.js';
import { badInput, Emit, minorDigits, newId } from '../../../shared/src';
import { AttributionMethod, EventType } from '../domain/event-types';
import {
  activityDelta,
  deriveTransactionEvents,
  ForexCustomerInput,
  ForexTransactionInput,
  MAX_BULK_RECORDS,
  RecordError,
  TradingActivityInput,
  validateCustomers,
  validateTradingActivity,
  validateTransactions,
} from '../domain/forex';
import { ForexTransaction, TradingActivityDay } from '../entities/forex.entity';
import { PartnerRef } from '../entities/referral-code-owner.entity';
import { ReferralEvent } from '../entities/referral-event.entity';
import { Trader } from '../entities/trader.entity';
import { CurrentFirst, directedAmount, placeDeposit, placeTradingDay } from '../domain/firsts';
import { EventsDeps } from './deps';
import { eventFact, recordEvent } from './track-event';
import { correctEvent } from './correct-event';

export interface BulkResult {
  accepted: number;
  created: number;
  updated: number;
  rejected: RecordError[];
}

/** An amount written to at least its currency's minor unit: "250.5" USD -> "250.50" (never rounded). */
function money(amount: string, currency: string): string;
function money(amount: string | null, currency: string): string | null;
function money(amount: string | null, currency: string): string | null {
  if (amount === null) return null;
  const d = new Decimal(amount);
  return d.toFixed(Math.max(d.decimalPlaces(), minorDigits(currency)));
}

function checkSize(records: unknown[]): void {
  if (records.length > MAX_BULK_RECORDS) throw badInput(`records must hold at most ${MAX_BULK_RECORDS} items; got ${records.length}`, 'records');
}

/** Rows of `entity` whose `column` is one of `values`, in chunks the drivers accept. */
async function findIn<T extends object>(m: EntityManager, entity: new () => T, tenantId: string, column: keyof T & string, values: string[]): Promise<T[]> {
  const out: T[] = [];
  const unique = [...new Set(values)];
  for (let i = 0; i < unique.length; i += 500) {
    out.push(...(await m.getRepository(entity).findBy({ tenantId, [column]: In(unique.slice(i, i + 500)) } as never)));
  }
  return out;
}

/** Traders of the customers named in a batch; records naming an unknown customer are rejected. */
async function tradersFor<R extends { customerId: string }>(m: EntityManager, tenantId: string, valid: { index: number; record: R }[], rejected: RecordError[]) {
  const traders = new Map((await findIn(m, Trader, tenantId, 'externalId', valid.map((v) => v.record.customerId))).map((t) => [t.externalId!, t]));
  const known = valid.filter((v) => {
    if (traders.has(v.record.customerId)) return true;
    rejected.push({ index: v.index, field: 'customerId', message: `no customer ${v.record.customerId}: send it with upsertForexCustomers first` });
    return false;
  });
  return { traders, known };
}

const sortRejected = (r: RecordError[]) => r.sort((a, b) => a.index - b.index);

/** Track360 customers -> traders, found by customerId (or an earlier trader with the same email). */
export async function upsertForexCustomers(deps: EventsDeps, tenantId: string, records: ForexCustomerInput[]): Promise<BulkResult> {
  checkSize(records);
  const { valid, rejected } = validateCustomers(records);
  return deps.outbox.transaction(async (m, emit) => {
    const repo = m.getRepository(Trader);
    const byExternal = new Map((await findIn(m, Trader, tenantId, 'externalId', valid.map((v) => v.record.customerId))).map((t) => [t.externalId!, t]));
    const emails = valid.map((v) => v.record.email?.toLowerCase()).filter((e): e is string => !!e);
    const byEmail = new Map((await findIn(m, Trader, tenantId, 'emailKey', emails)).map((t) => [t.emailKey!, t]));
    const partners = new Map((await findIn(m, PartnerRef, tenantId, 'externalId', valid.map((v) => v.record.affiliateId))).map((p) => [p.externalId!, p.partnerId]));
    let created = 0;
    let updated = 0;
    for (const { record: c } of valid) {
      const emailKey = c.email?.toLowerCase() ?? null;
      const existing = byExternal.get(c.customerId) ?? (emailKey ? byEmail.get(emailKey) : undefined);
      // A record older than what we hold is a late retry of an old state: keep the newer one.
      if (existing?.lastModifiedAt && c.lastModifiedDate && c.lastModifiedDate < existing.lastModifiedAt) continue;
      const name = [c.firstName, c.lastName].filter(Boolean).join(' ') || null;
      const fields: Partial<Trader> = {
        externalId: c.customerId,
        trackingData: c.trackingData,
        affiliateId: c.affiliateId,
        signupAt: c.signupDate,
        lastModifiedAt: c.lastModifiedDate,
        ...(c.langId ? { language: c.langId } : {}),
        ...(c.countryCode ? { country: c.countryCode } : {}),
        ...(c.kycStatusId ? { kycStatus: c.kycStatusId } : {}),
        ...(c.salesStatusId ? { salesStatus: c.salesStatusId } : {}),
        ...(c.tradingAccountType ? { accountType: c.tradingAccountType } : {}),
        ...(c.leverage ? { leverage: c.leverage } : {}),
        ...(name ? { name } : {}),
        ...(c.email ? { email: c.email, emailKey } : {}),
      };
      const partnerId = partners.get(c.affiliateId) ?? null;
      if (existing) {
        if (!existing.partnerId && partnerId) Object.assign(fields, { partnerId, attribution: AttributionMethod.AFFILIATE_ID });
        await repo.update({ id: existing.id }, fields);
        Object.assign(existing, fields);
        byExternal.set(c.customerId, existing);
        updated++;
      } else {
        const trader = repo.create({
          id: newId('trd'),
          tenantId,
          email: null,
          emailKey: null,
          name: null,
          partnerId,
          attribution: partnerId ? AttributionMethod.AFFILIATE_ID : AttributionMethod.NONE,
          createdAt: new Date(),
          ...fields,
        });
        await repo.insert(trader);
        byExternal.set(c.customerId, trader);
        if (emailKey) byEmail.set(emailKey, trader);
        created++;
      }
      const t = byExternal.get(c.customerId)!;
      emit('trader.changed', tenantId, { trader: { id: t.id, externalId: t.externalId, email: t.email, partnerId: t.partnerId, affiliateId: t.affiliateId, country: t.country } });
    }
    return { accepted: valid.length, created, updated, rejected: sortRejected(rejected) };
  });
}

/**
 * Track360 transactions, upserted on transactionId. A status change re-sends the same
 * id; the events it derives (FIRST_DEPOSIT, RECURRING_DEPOSIT, WITHDRAWAL, CHARGEBACK)
 * are recorded once each, however often the record comes back.
 */
export async function upsertForexTransactions(deps: EventsDeps, tenantId: string, records: ForexTransactionInput[]): Promise<BulkResult> {
  checkSize(records);
  const { valid, rejected } = validateTransactions(records);
  return deps.outbox.transaction(async (m, emit) => {
    const { traders, known } = await tradersFor(m, tenantId, valid, rejected);
    const repo = m.getRepository(ForexTransaction);
    const existing = new Map((await findIn(m, ForexTransaction, tenantId, 'transactionId', known.map((v) => v.record.transactionId))).map((t) => [t.transactionId, t]));
    const firstDeposit = await currentFirsts(m, tenantId, known.map((v) => traders.get(v.record.customerId)!.id), EventType.FIRST_DEPOSIT);
    let created = 0;
    let updated = 0;
    for (const { record: r } of known) {
      const trader = traders.get(r.customerId)!;
      const prev = existing.get(r.transactionId) ?? null;
      // By date, not arrival: a back-filled deposit dated before the current first takes its place.
      const placement = placeDeposit(firstDeposit.get(trader.id) ?? null, r.transactionDate);
      const derive = deriveTransactionEvents(prev && { transactionType: prev.transactionType, status: prev.status, derived: prev.derived as never }, r, placement.label === 'RECURRING_DEPOSIT');
      const now = new Date();
      const row: ForexTransaction = Object.assign(prev ?? repo.create({ id: newId('txn'), tenantId, createdAt: now, derived: [] }), {
        transactionId: r.transactionId,
        customerId: r.customerId,
        traderId: trader.id,
        transactionType: r.transactionType,
        transactionSubtype: r.transactionSubtype,
        amount: money(r.amountCurrency, r.currency),
        amountUsd: money(r.amountUsd, 'USD'),
        currency: r.currency,
        transactionDate: r.transactionDate,
        status: r.status,
        note: r.note,
        updatedAt: now,
      });
      row.derived = [...row.derived, ...derive];
      await repo.save(row);
      existing.set(r.transactionId, row);
      if (prev) updated++;
      else created++;
      if (!derive.length) await correctDepositAmount(m, emit, tenantId, row, !!prev);
      for (const type of derive) {
        if (type === 'FIRST_DEPOSIT' && placement.demote) {
          await correctEvent(m, emit, tenantId, placement.demote, { eventType: EventType.RECURRING_DEPOSIT }, `deposit ${r.transactionId} dated ${r.transactionDate.toISOString()} is earlier: it is the first deposit`, trader);
        }
        // A chargeback names the deposit it reverses, for the amount that deposit credited.
        const reversed = type === 'CHARGEBACK' ? await depositEventOf(m, tenantId, r.transactionId) : null;
        const event = await recordEvent(
          m,
          emit,
          tenantId,
          {
            eventType: EventType[type],
            amount: reversed?.amount ?? money(directedAmount(r.transactionType, r.amountCurrency), r.currency),
            currency: reversed?.currency ?? r.currency,
            // Track360's amount_usd: a USD plan pays percentage commissions on it (not on a chargeback).
            amountUsd: reversed || r.amountUsd === null || r.amountUsd === undefined ? null : money(directedAmount(r.transactionType, r.amountUsd), 'USD'),
            paymentMethod: r.transactionSubtype,
            externalCustomerId: r.customerId,
            occurredAt: r.transactionDate,
            refundOf: reversed?.id ?? null,
          },
          { source: 'forex', trader, idempotencyKey: `forex:${r.transactionId}:${type}`, clickIdSecrets: deps.config.clickIdSecrets },
        );
        if (type === 'FIRST_DEPOSIT') firstDeposit.set(trader.id, { eventId: event.id, occurredAt: event.occurredAt });
      }
    }
    return { accepted: known.length, created, updated, rejected: sortRejected(rejected) };
  });
}

/**
 * Track360 daily trading activity, upserted on date + customer + instrument + currency
 * (a re-send replaces the day). Each change is published with its delta, so
 * commissions pay lot rebates and spread shares on the difference only.
 */
export async function upsertTradingActivity(deps: EventsDeps, tenantId: string, records: TradingActivityInput[]): Promise<BulkResult> {
  checkSize(records);
  const { valid, rejected } = validateTradingActivity(records);
  return deps.outbox.transaction(async (m, emit) => {
    const { traders, known } = await tradersFor(m, tenantId, valid, rejected);
    const repo = m.getRepository(TradingActivityDay);
    const firstTrade = await currentFirsts(m, tenantId, known.map((v) => traders.get(v.record.customerId)!.id), EventType.FIRST_TRADE);
    let created = 0;
    let updated = 0;
    for (const { record: a } of known) {
      const trader = traders.get(a.customerId)!;
      const key = { tenantId, date: a.date, customerId: a.customerId, instrument: a.instrument, currency: a.currency };
      const prev = await repo.findOneBy(key);
      const delta = activityDelta(prev, a);
      const now = new Date();
      await repo.save(
        Object.assign(prev ?? repo.create({ ...key, createdAt: now }), {
          traderId: trader.id,
          lotsTraded: a.lotsTraded,
          volumeUsd: a.volumeUsd,
          spreadCost: a.spreadCost,
          commission: a.commission,
          pnl: a.pnl,
          updatedAt: now,
        }),
      );
      if (prev) updated++;
      else created++;
      if (delta.changed) emitActivity(emit, tenantId, trader, a, delta);
      // By trading day, not arrival: a back-filled earlier day moves the first trade to it.
      const day = new Date(`${a.date}T00:00:00.000Z`);
      const placement = placeTradingDay(firstTrade.get(trader.id) ?? null, day, a.lotsTraded);
      if (placement.action === 'record') {
        const event = await recordEvent(
          m,
          emit,
          tenantId,
          // The instrument is not a product: FIRST_TRADE carries no productId (a product plan must not pay it).
          { eventType: EventType.FIRST_TRADE, externalCustomerId: a.customerId, occurredAt: day },
          { source: 'forex', trader, idempotencyKey: `forex:first_trade:${trader.id}`, clickIdSecrets: deps.config.clickIdSecrets },
        );
        firstTrade.set(trader.id, { eventId: event.id, occurredAt: day });
      } else if (placement.action === 'move') {
        await correctEvent(m, emit, tenantId, placement.eventId, { occurredAt: day }, `trading day ${a.date} (${a.instrument}) is earlier: it is the first trade`, trader);
        firstTrade.set(trader.id, { eventId: placement.eventId, occurredAt: day });
      }
    }
    return { accepted: known.length, created, updated, rejected: sortRejected(rejected) };
  });
}

/**
 * An approved deposit re-sent still approved with another amount: its deposit event takes the new amount
 * (`referral_event.corrected` with `previous.amount`). Commissions reduce the money pro rata on a decrease and pay
 * nothing more on an increase (README, forex data).
 */
async function correctDepositAmount(m: EntityManager, emit: Emit, tenantId: string, r: ForexTransaction, resent: boolean): Promise<void> {
  if (!resent || r.transactionType !== 'deposit' || (r.status ?? '').trim().toLowerCase() !== 'approved' || r.amount === null) return;
  if (!r.derived.some((d) => d === 'FIRST_DEPOSIT' || d === 'RECURRING_DEPOSIT') || r.derived.includes('CHARGEBACK')) return;
  const event = await depositEventOf(m, tenantId, r.transactionId);
  if (!event || event.amount === null || event.currency !== r.currency) return;
  const amount = money(directedAmount(r.transactionType, r.amount), r.currency);
  if (new Decimal(amount).eq(event.amount)) return;
  const amountUsd = r.amountUsd === null ? event.amountUsd ?? null : directedAmount(r.transactionType, r.amountUsd);
  await correctEvent(m, emit, tenantId, event.id, { amount, amountUsd }, `deposit ${r.transactionId} re-sent approved for ${amount} ${r.currency} (was ${event.amount})`);
}

/** The deposit event a transaction's approval derived (under either label), if any. */
async function depositEventOf(m: EntityManager, tenantId: string, transactionId: string): Promise<ReferralEvent | null> {
  const keys = [`forex:${transactionId}:FIRST_DEPOSIT`, `forex:${transactionId}:RECURRING_DEPOSIT`];
  return (await m.getRepository(ReferralEvent).findBy({ tenantId, idempotencyKey: In(keys) }))[0] ?? null;
}

/** Each trader's current FIRST_DEPOSIT or FIRST_TRADE event and the date it carries. */
async function currentFirsts(m: EntityManager, tenantId: string, traderIds: string[], type: EventType): Promise<Map<string, CurrentFirst>> {
  const out = new Map<string, CurrentFirst>();
  for (const e of await findIn(m, ReferralEvent, tenantId, 'traderId', traderIds)) {
    if (e.eventType !== type) continue;
    const known = out.get(e.traderId!);
    if (!known || e.occurredAt < known.occurredAt) out.set(e.traderId!, { eventId: e.id, occurredAt: e.occurredAt });
  }
  return out;
}

function emitActivity(emit: Emit, tenantId: string, trader: Trader, a: TradingActivityInput & { date: string }, delta: { lots: string; spreadCost: string; commission: string }) {
  emit('trading_activity.recorded', tenantId, {
    activity: {
      traderId: trader.id,
      partnerId: trader.partnerId,
      customerId: a.customerId,
      date: a.date,
      instrument: a.instrument,
      currency: a.currency,
      lotsTraded: a.lotsTraded,
      spreadCost: a.spreadCost ?? null,
      commission: a.commission ?? null,
      volumeUsd: a.volumeUsd ?? null,
      pnl: a.pnl ?? null,
      // For rule conditions in commissions: the customer's trading account type and country.
      accountType: trader.accountType ?? null,
      country: trader.country ?? null,
    },
    delta: { lots: delta.lots, spreadCost: delta.spreadCost, commission: delta.commission },
  });
}

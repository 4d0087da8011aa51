import Decimal from 'decimal.js';
import { badInput, codeMessage, IP_RULE, isCurrency, isIpAddress, minorUnitProblem } from '../../../shared/src';
import { EventType } from './event-types';

export const MAX_STRING = 500;
export const SUBSCRIPTION_STATUSES = ['active', 'trialing', 'past_due', 'cancelled'] as const;
/** How far in the future `occurredAt` may be: client clocks drift. */
export const FUTURE_SKEW_MS = 5 * 60 * 1000;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

export interface TrackEventFields {
  eventType: EventType;
  customEventName?: string | null;
  clickId?: string | null;
  referralCode?: string | null;
  email?: string | null;
  name?: string | null;
  externalCustomerId?: string | null;
  amount?: string | null;
  currency?: string | null;
  /** The payment's value in USD as the sender gave it (Track360 amount_usd). */
  amountUsd?: string | null;
  paymentMethod?: string | null;
  subscriptionStatus?: string | null;
  productId?: string | null;
  occurredAt?: Date | null;
  ip?: string | null;
  userAgent?: string | null;
  /** REFUND / CHARGEBACK: the payment event refunded. */
  refundOf?: string | null;
}

/** Every rule of trackEvent's input; the first violation is thrown with its param. */
export function validateTrackEvent(input: TrackEventFields, now: Date = new Date()): void {
  const p = (field: string) => `input.${field}`;
  for (const field of ['customEventName', 'clickId', 'referralCode', 'email', 'name', 'externalCustomerId', 'paymentMethod', 'productId', 'ip', 'userAgent'] as const) {
    const v = input[field];
    if (v !== undefined && v !== null && v.length > MAX_STRING) throw badInput(`${field} must be at most ${MAX_STRING} characters`, p(field));
  }
  // An id names something: an empty one names nothing and is refused, not read as omitted.
  for (const field of ['externalCustomerId', 'productId', 'refundOf'] as const) {
    const v = input[field];
    if (v !== undefined && v !== null && !v.trim()) throw badInput(`${field} must not be empty: omit it, or send the id`, p(field));
  }
  if (input.eventType === EventType.CUSTOM && !input.customEventName?.trim()) {
    throw badInput('customEventName is required when eventType is CUSTOM', p('customEventName'));
  }
  if (input.eventType !== EventType.CUSTOM && input.customEventName) {
    throw badInput('customEventName is only allowed when eventType is CUSTOM', p('customEventName'));
  }
  if (input.email !== undefined && input.email !== null && !EMAIL_RE.test(input.email)) {
    throw badInput('email must be an email address such as jane@example.com', p('email'));
  }
  if (input.amount !== undefined && input.amount !== null) {
    const amount = new Decimal(input.amount);
    if (amount.isNegative() && !amount.isZero()) {
      throw badInput(
        `amount must be zero or positive; got ${input.amount}. The event type carries the direction: send a refund as REFUND or CHARGEBACK with the refunded amount`,
        p('amount'),
      );
    }
    if (amount.precision(true) > 15) throw badInput('amount must have at most 15 significant digits', p('amount'));
    if (!input.currency) throw badInput('currency (ISO 4217, e.g. USD) is required with amount', p('currency'));
  }
  if (input.amountUsd !== undefined && input.amountUsd !== null) {
    const usd = new Decimal(input.amountUsd);
    if (usd.isNegative() && !usd.isZero()) throw badInput(`amountUsd must be zero or positive; got ${input.amountUsd}`, p('amountUsd'));
    if (usd.precision(true) > 15) throw badInput('amountUsd must have at most 15 significant digits', p('amountUsd'));
    if (usd.decimalPlaces() > 2) throw badInput(`amountUsd is in USD and must have at most 2 decimals (cents); got ${input.amountUsd}`, p('amountUsd'));
    if (input.amount === undefined || input.amount === null) throw badInput('amountUsd is the USD value of amount: send amount and currency with it', p('amount'));
  }
  if (input.currency !== undefined && input.currency !== null && !isCurrency(input.currency)) {
    throw badInput(`currency must be an ISO 4217 code in capitals such as USD or EUR; got ${JSON.stringify(input.currency)}`, p('currency'));
  }
  if (input.amount !== undefined && input.amount !== null && input.currency) {
    const places = minorUnitProblem('amount', input.amount, input.currency);
    if (places) throw badInput(places, p('amount'));
  }
  if (input.ip !== undefined && input.ip !== null && !isIpAddress(input.ip)) throw badInput(codeMessage('ip', IP_RULE, input.ip), p('ip'));
  if (input.subscriptionStatus !== undefined && input.subscriptionStatus !== null && !(SUBSCRIPTION_STATUSES as readonly string[]).includes(input.subscriptionStatus)) {
    throw badInput(`subscriptionStatus must be one of ${SUBSCRIPTION_STATUSES.join(', ')}`, p('subscriptionStatus'));
  }
  if (input.refundOf !== undefined && input.refundOf !== null) {
    if (input.eventType !== EventType.REFUND && input.eventType !== EventType.CHARGEBACK) {
      throw badInput('refundOf is only allowed when eventType is REFUND or CHARGEBACK', p('refundOf'));
    }
    if (input.refundOf.length > MAX_STRING) throw badInput(`refundOf must be at most ${MAX_STRING} characters`, p('refundOf'));
  }
  if (input.occurredAt && input.occurredAt.getTime() > now.getTime() + FUTURE_SKEW_MS) {
    throw badInput('occurredAt must not be in the future (5 minutes of clock skew are allowed)', p('occurredAt'));
  }
}

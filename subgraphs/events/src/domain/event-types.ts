import { registerEnumType } from 'type-graphql';

/** FYNXT's fifteen event types plus the two that reverse money. */
export enum EventType {
  REGISTRATION = 'REGISTRATION',
  VERIFICATION = 'VERIFICATION',
  KYC_COMPLETED = 'KYC_COMPLETED',
  FIRST_DEPOSIT = 'FIRST_DEPOSIT',
  FIRST_TRADE = 'FIRST_TRADE',
  RECURRING_DEPOSIT = 'RECURRING_DEPOSIT',
  WITHDRAWAL = 'WITHDRAWAL',
  ACCOUNT_UPGRADE = 'ACCOUNT_UPGRADE',
  SUBSCRIPTION = 'SUBSCRIPTION',
  EMAIL_SIGNUP = 'EMAIL_SIGNUP',
  CONTENT_DOWNLOAD = 'CONTENT_DOWNLOAD',
  WEBINAR_REGISTRATION = 'WEBINAR_REGISTRATION',
  DEMO_ACCOUNT_CREATION = 'DEMO_ACCOUNT_CREATION',
  NEWSLETTER_SUBSCRIPTION = 'NEWSLETTER_SUBSCRIPTION',
  CUSTOM = 'CUSTOM',
  REFUND = 'REFUND',
  CHARGEBACK = 'CHARGEBACK',
}
registerEnumType(EventType, { name: 'EventType', description: 'What happened' });

/** Which signal attributed an event, in the order they are tried. */
export enum AttributionMethod {
  CLICK_ID = 'CLICK_ID',
  REFERRAL_CODE = 'REFERRAL_CODE',
  TRADER_FIRST_TOUCH = 'TRADER_FIRST_TOUCH',
  FINGERPRINT = 'FINGERPRINT',
  /** The broker named the partner itself: a forex customer's affiliate_id (Track360). */
  AFFILIATE_ID = 'AFFILIATE_ID',
  NONE = 'NONE',
}
registerEnumType(AttributionMethod, { name: 'AttributionMethod', description: 'The signal that attributed the event' });

/**
 * Event types that count as conversions until commission plans say otherwise: the
 * acquisition milestones brokerages and SaaS programmes usually pay a CPA for.
 */
export const DEFAULT_CONVERSION_TYPES: ReadonlySet<EventType> = new Set([
  EventType.REGISTRATION,
  EventType.KYC_COMPLETED,
  EventType.FIRST_DEPOSIT,
  EventType.FIRST_TRADE,
  EventType.SUBSCRIPTION,
]);

import { registerEnumType } from 'type-graphql';
import { EventType } from '../../../shared/src/event-type';

export { EventType } from '../../../shared/src/event-type';

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

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
  /**
   * The event named a referral code (or its trader waits on one) that was not known yet,
   * even after waiting ATTRIBUTION_WAIT_MS: it is attributed once the code's facts arrive
   * (an `event.attributed` fact follows), or given up after ATTRIBUTION_PENDING_HOURS.
   */
  PENDING = 'PENDING',
  NONE = 'NONE',
}
registerEnumType(AttributionMethod, {
  name: 'AttributionMethod',
  description: 'The signal that attributed the event',
  valuesConfig: {
    PENDING: { description: 'The referral code was not known yet: attributed when it arrives (event.attributed), or given up after ATTRIBUTION_PENDING_HOURS' },
  },
});

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

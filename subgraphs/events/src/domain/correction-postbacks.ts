import { isCommissionPostbackType } from './commission-postbacks';

/**
 * Postbacks of corrected events: the `referral_event.corrected` facts (a back-filled deposit
 * or trading day moved a FIRST_DEPOSIT or FIRST_TRADE label). Endpoints opt in with
 * `EVENT_CORRECTED` in their `eventTypes`; like the commission types, `["*"]` does not
 * include it, so endpoints made before it receive nothing new.
 */
export const EVENT_CORRECTED = 'EVENT_CORRECTED';

/** Types an endpoint receives only when it lists them (never through "*"). */
export const isOptInPostbackType = (type: string): boolean => type === EVENT_CORRECTED || isCommissionPostbackType(type);

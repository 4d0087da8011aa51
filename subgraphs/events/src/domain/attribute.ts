import { AttributionMethod } from './event-types';

/** What is known about an incoming event when it is attributed. */
export interface AttributionSignals {
  /** Partner of a verified click id. */
  clickPartnerId?: string | null;
  /** Partner that owns the referral code sent with the event. */
  codePartnerId?: string | null;
  /** The trader's existing first-touch partner. */
  traderPartnerId?: string | null;
  /** Partner of a recent click from the same fingerprint. */
  fingerprintPartnerId?: string | null;
}

export interface Attribution {
  method: AttributionMethod;
  partnerId: string | null;
}

/** The first signal that names a partner wins, in the order of ARCHITECTURE.md. */
export function attribute(signals: AttributionSignals): Attribution {
  const order: [AttributionMethod, string | null | undefined][] = [
    [AttributionMethod.CLICK_ID, signals.clickPartnerId],
    [AttributionMethod.REFERRAL_CODE, signals.codePartnerId],
    [AttributionMethod.TRADER_FIRST_TOUCH, signals.traderPartnerId],
    [AttributionMethod.FINGERPRINT, signals.fingerprintPartnerId],
  ];
  for (const [method, partnerId] of order) if (partnerId) return { method, partnerId };
  return { method: AttributionMethod.NONE, partnerId: null };
}

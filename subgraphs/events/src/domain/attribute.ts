import { AttributionMethod } from './event-types';

/** What is known about an incoming event when it is attributed. */
export interface AttributionSignals {
  /** Partner of a verified click id. */
  clickPartnerId?: string | null;
  /** Partner that owns the referral code sent with the event. */
  codePartnerId?: string | null;
  /** The event sent a referral code that is not known (yet), even after the wait. */
  codePending?: boolean;
  /** The trader's existing first-touch partner. */
  traderPartnerId?: string | null;
  /** The trader has no first touch yet, but an earlier event of it waits on a code. */
  traderPending?: boolean;
  /** Partner of a recent click from the same fingerprint. */
  fingerprintPartnerId?: string | null;
}

export interface Attribution {
  method: AttributionMethod;
  partnerId: string | null;
}

/**
 * The first signal that names a partner wins, in the order of ARCHITECTURE.md. A code
 * not known yet holds the place of the code: the event is PENDING (no partner) rather
 * than falling through to a weaker signal that the code would have beaten; the same for
 * a trader whose first touch waits on a code.
 */
export function attribute(signals: AttributionSignals): Attribution {
  const order: [AttributionMethod, string | null | undefined, boolean | undefined][] = [
    [AttributionMethod.CLICK_ID, signals.clickPartnerId, false],
    [AttributionMethod.REFERRAL_CODE, signals.codePartnerId, signals.codePending],
    [AttributionMethod.TRADER_FIRST_TOUCH, signals.traderPartnerId, signals.traderPending],
    [AttributionMethod.FINGERPRINT, signals.fingerprintPartnerId, false],
  ];
  for (const [method, partnerId, pending] of order) {
    if (partnerId) return { method, partnerId };
    if (pending) return { method: AttributionMethod.PENDING, partnerId: null };
  }
  return { method: AttributionMethod.NONE, partnerId: null };
}

/**
 * When a waiting request looks at the code again if no notification woke it first (a
 * fact applied by another replica, a lost pub/sub message): 50 ms, then doubling, capped
 * at 500 ms, the last one at the deadline. Offsets from the start of the wait, in ms.
 */
export function recheckSchedule(waitMs: number): number[] {
  const out: number[] = [];
  let step = 50;
  let at = 0;
  while (waitMs > 0 && at + step < waitMs) {
    at += step;
    out.push(at);
    step = Math.min(step * 2, 500);
  }
  if (waitMs > 0) out.push(waitMs);
  return out;
}

/** A PENDING event whose code never appeared is given up `pendingHours` after it was stored. */
export function pendingExpired(storedAt: Date, now: Date, pendingHours: number): boolean {
  return now.getTime() - storedAt.getTime() >= pendingHours * 3_600_000;
}

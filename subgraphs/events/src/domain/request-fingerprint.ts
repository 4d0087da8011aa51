import { createHash } from 'node:crypto';
import Decimal from 'decimal.js';
import { TrackEventFields } from './track-event-input';

/**
 * The fingerprint of a trackEvent input, stored with its idempotency key to tell a replay
 * (same input: the original event is answered) from a reused key (other input: CONFLICT).
 *
 * Versions, stored beside the fingerprint (events.request_hash_version) so a request
 * stored under an older version is compared with that version's fingerprint:
 * - 1 (rows without a version): the fields as spelled, top-level keys sorted, dates as instants.
 *   `amount: 100` then `amount: "100.00"` differed.
 * - 2: by value. Decimals by their numeric value (100 = "100.00" = "1e2"), dates by instant
 *   (a plain date, the same day at 00:00Z, and 02:00+02:00 are one instant), keys sorted at
 *   every depth; null and absent fields are the same.
 */
export const REQUEST_FINGERPRINT_VERSION = 2;

/** The Decimal fields of a trackEvent input, compared by value from version 2 on. */
const DECIMAL_FIELDS: ReadonlySet<string> = new Set<keyof TrackEventFields>(['amount', 'amountUsd']);

export function requestFingerprint(input: TrackEventFields, version: number = REQUEST_FINGERPRINT_VERSION): string {
  const canonical = version === 1 ? spellingV1(input) : entries(input, (k, v) => (DECIMAL_FIELDS.has(k) ? new Decimal(v as string).toFixed() : byValue(v)));
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

/** Version 1, kept as it was so fingerprints stored before version 2 still match their replays. */
function spellingV1(input: TrackEventFields): unknown {
  return entries(input, (_, v) => (v instanceof Date ? v.toISOString() : v));
}

/** The object's set fields as [key, value] pairs in key order: key order and null-versus-absent do not count. */
function entries(value: object, map: (key: string, value: unknown) => unknown): [string, unknown][] {
  const fields = value as Record<string, unknown>;
  return Object.keys(fields)
    .sort()
    .filter((k) => fields[k] !== undefined && fields[k] !== null)
    .map((k) => [k, map(k, fields[k])]);
}

function byValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(byValue);
  if (value !== null && typeof value === 'object') return entries(value, (_, v) => byValue(v));
  return value;
}

import { referralCodeKey } from './referral-code';

/**
 * One code namespace per tenant: a partner's codes (current and past) and the tenant's KYC
 * referral codes never share a spelling, ignoring case. Links keeps the namespace (one row per
 * code in `code_reservations`, unique on tenant and lower-cased code); kyc reserves its codes
 * through links before it stores them. These are the rules, without a database.
 */

export type CodeOwnerKind = 'partner' | 'kyc';

export interface CodeHolder {
  ownerKind: CodeOwnerKind;
  /** The partner id, or the KYC referral code's id (`rc_...`). */
  ownerId: string;
  reservedAt: Date;
}

export interface ReservationRequest {
  ownerKind: CodeOwnerKind;
  ownerId: string;
  /**
   * Only for kyc: the id of a KYC reservation the caller knows has no KYC code behind it (its
   * creation died between reserving and storing). Taken over when it is older than
   * STALE_KYC_RESERVATION_MS, so a code is never blocked for ever by a crash.
   */
  replaces?: string | null;
}

/**
 * A KYC reservation not followed by its code within this time is abandoned: kyc reserves, then
 * stores its code in one short transaction (its call to links times out after 5 s).
 */
export const STALE_KYC_RESERVATION_MS = 10 * 60_000;

export type ReservationDecision =
  /** The code is free: insert the reservation. */
  | { action: 'insert' }
  /** The caller already holds it (a retry, or a partner taking back one of its old codes). */
  | { action: 'held' }
  /** An abandoned KYC reservation: hand it to the caller. */
  | { action: 'take-over'; from: string }
  | { action: 'taken'; holder: CodeHolder };

/** What to do with a request for a code, given who holds it now. */
export function decideReservation(holder: CodeHolder | null, request: ReservationRequest, now: Date): ReservationDecision {
  if (!holder) return { action: 'insert' };
  if (holder.ownerKind === request.ownerKind && holder.ownerId === request.ownerId) return { action: 'held' };
  if (
    request.ownerKind === 'kyc' &&
    holder.ownerKind === 'kyc' &&
    request.replaces &&
    request.replaces === holder.ownerId &&
    now.getTime() - holder.reservedAt.getTime() >= STALE_KYC_RESERVATION_MS
  ) {
    return { action: 'take-over', from: holder.ownerId };
  }
  return { action: 'taken', holder };
}

/**
 * A KYC code that exists in kyc, sent by kyc's start-up sync. Kyc's own unique index allows one
 * KYC code per spelling, so another KYC reservation of the same code is an abandoned one and
 * gives way; a partner's code does not (that is a collision stored before the namespace).
 */
export function decideSync(holder: CodeHolder | null, kycCodeId: string): 'insert' | 'held' | 'replace' | 'collision' {
  if (!holder) return 'insert';
  if (holder.ownerKind === 'kyc') return holder.ownerId === kycCodeId ? 'held' : 'replace';
  return 'collision';
}

export const codeKey = referralCodeKey;

/** Request bodies of the internal endpoint; a KYC code is 3-64 of [A-Za-z0-9_-]. */
const KYC_CODE_RE = /^[A-Za-z0-9_-]{3,64}$/;
const KYC_ID_RE = /^rc_[0-9A-Za-z]{1,64}$/;
export const MAX_SYNC_BATCH = 500;

export interface KycReservationBody {
  code: string;
  kycCodeId: string;
  replaces: string | null;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

export function parseKycReservation(body: unknown): Parsed<KycReservationBody> {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b.code !== 'string' || !KYC_CODE_RE.test(b.code)) return { ok: false, problem: 'code must be 3-64 characters of A-Z a-z 0-9 _ -' };
  if (typeof b.kycCodeId !== 'string' || !KYC_ID_RE.test(b.kycCodeId)) return { ok: false, problem: 'kycCodeId must be a KYC referral code id (rc_...)' };
  if (b.replaces !== undefined && b.replaces !== null && (typeof b.replaces !== 'string' || !KYC_ID_RE.test(b.replaces))) {
    return { ok: false, problem: 'replaces must be a KYC referral code id (rc_...) or null' };
  }
  return { ok: true, value: { code: b.code, kycCodeId: b.kycCodeId, replaces: (b.replaces as string | null | undefined) ?? null } };
}

export function parseKycSync(body: unknown): Parsed<{ code: string; kycCodeId: string }[]> {
  const codes = (body as { codes?: unknown } | null)?.codes;
  if (!Array.isArray(codes) || codes.length < 1 || codes.length > MAX_SYNC_BATCH) return { ok: false, problem: `codes must be a list of 1-${MAX_SYNC_BATCH} { code, kycCodeId }` };
  const out: { code: string; kycCodeId: string }[] = [];
  for (let i = 0; i < codes.length; i++) {
    const one = parseKycReservation(codes[i]);
    if (!one.ok) return { ok: false, problem: `codes.${i}: ${one.problem}` };
    out.push({ code: one.value.code, kycCodeId: one.value.kycCodeId });
  }
  return { ok: true, value: out };
}

export interface StoredCollision {
  tenantId: string;
  code: string;
  partnerId: string;
  kycCodeId: string;
}

/** One log line's worth: the collisions named, at most `limit` of them, and how many more. */
export function describeCollisions(rows: StoredCollision[], limit = 50): string {
  const named = rows.slice(0, limit).map((r) => `${r.tenantId}/${r.code} (partner ${r.partnerId}, KYC code ${r.kycCodeId})`);
  const more = rows.length > limit ? `, and ${rows.length - limit} more` : '';
  return named.join('; ') + more;
}

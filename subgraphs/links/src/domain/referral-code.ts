import { randomBytes } from 'node:crypto';

/** FonProxy: a referral code is 3-30 characters of letters, digits, underscore and hyphen. */
export const REFERRAL_CODE_RE = /^[A-Za-z0-9_-]{3,30}$/;
export const REFERRAL_CODE_RULE = 'code must be 3-30 characters of A-Z a-z 0-9 _ -';

export function isValidReferralCode(code: string): boolean {
  return REFERRAL_CODE_RE.test(code);
}

/** Codes are unique per tenant ignoring case: this is the key they are compared on. */
export function referralCodeKey(code: string): string {
  return code.toLowerCase();
}

const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';

/** An auto-created code: 8 characters without look-alikes (no l, o, 0, 1). */
export function generateReferralCode(): string {
  const bytes = randomBytes(8);
  return Array.from(bytes, (b) => ALPHABET[b % ALPHABET.length]).join('');
}

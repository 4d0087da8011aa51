/** KYC referral codes: 3-64 characters of letters, digits, underscore and hyphen. */
export const KYC_CODE_RE = /^[A-Za-z0-9_-]{3,64}$/;
export const KYC_CODE_RULE = 'referralCode must be 3-64 characters of A-Z a-z 0-9 _ -';

export function isValidKycCode(code: string): boolean {
  return KYC_CODE_RE.test(code);
}

/** Unique per tenant ignoring case. */
export function kycCodeKey(code: string): string {
  return code.toLowerCase();
}

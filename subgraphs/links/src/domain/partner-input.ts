import { badInput } from '../../../shared/src';
import { isValidReferralCode, REFERRAL_CODE_RULE } from './referral-code';

export const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

export interface PartnerFields {
  name?: string | null;
  email?: string | null;
  externalId?: string | null;
  parentId?: string | null;
  referralCode?: string | null;
}

/** Checks a partner's fields; throws BAD_USER_INPUT naming the first field at fault. */
export function validatePartnerFields(input: PartnerFields, prefix: string, requireName: boolean): void {
  if (requireName || input.name !== undefined) {
    const name = input.name?.trim() ?? '';
    if (name.length < 1 || name.length > 200) throw badInput('name must be 1-200 characters', `${prefix}.name`);
  }
  if (input.email !== undefined && input.email !== null) {
    if (input.email.length > 254 || !EMAIL_RE.test(input.email)) throw badInput('email must be an email address such as ib@example.com', `${prefix}.email`);
  }
  if (input.externalId !== undefined && input.externalId !== null) {
    if (input.externalId.length < 1 || input.externalId.length > 200) throw badInput('externalId must be 1-200 characters', `${prefix}.externalId`);
  }
  if (input.referralCode !== undefined && input.referralCode !== null && !isValidReferralCode(input.referralCode)) {
    throw badInput(REFERRAL_CODE_RULE, `${prefix}.referralCode`, 'referral.code_invalid');
  }
}

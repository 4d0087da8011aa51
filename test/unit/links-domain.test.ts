import { validatePartnerFields } from '../../subgraphs/links/src/domain/partner-input';
import {
  generateReferralCode,
  isValidReferralCode,
  REFERRAL_CODE_RULE,
  referralCodeKey,
} from '../../subgraphs/links/src/domain/referral-code';
import { errorOf } from '../helpers/errors';


describe('partner referral codes', () => {
  it('accept 3 and 30 characters', () => {
    expect(isValidReferralCode('abc')).toBe(true);
    expect(isValidReferralCode('a'.repeat(30))).toBe(true);
  });

  it('refuse 2 and 31 characters, and the empty string', () => {
    expect(isValidReferralCode('ab')).toBe(false);
    expect(isValidReferralCode('a'.repeat(31))).toBe(false);
    expect(isValidReferralCode('')).toBe(false);
  });

  it('accept letters of both cases, digits, underscore and hyphen', () => {
    expect(isValidReferralCode('Summer_2026-VIP')).toBe(true);
    expect(isValidReferralCode('___')).toBe(true);
    expect(isValidReferralCode('---')).toBe(true);
  });

  it.each([
    ['a space', 'ab cd'],
    ['a dot', 'ab.cd'],
    ['a slash', 'ab/cd'],
    ['a plus', 'ab+cd'],
    ['an accented letter', 'café'],
    ['a Cyrillic letter', 'abс'], // the last letter is Cyrillic U+0441
    ['a trailing newline', 'abcd\n'],
    ['an emoji', 'ab😀'],
  ])('refuse %s', (_label, code) => {
    expect(isValidReferralCode(code)).toBe(false);
  });

  it('compare ignoring case', () => {
    expect(referralCodeKey('Summer_VIP')).toBe('summer_vip');
    expect(referralCodeKey('SUMMER_vip')).toBe(referralCodeKey('summer_VIP'));
  });

  it('generated codes are 8 valid characters without look-alikes, and vary', () => {
    const codes = Array.from({ length: 200 }, () => generateReferralCode());
    for (const code of codes) {
      expect(code).toMatch(/^[a-km-np-z2-9]{8}$/);
      expect(isValidReferralCode(code)).toBe(true);
      expect(code).not.toMatch(/[lo01]/);
    }
    expect(new Set(codes).size).toBeGreaterThan(195);
  });
});

describe('validatePartnerFields', () => {
  it('accepts a complete valid partner', () => {
    expect(() =>
      validatePartnerFields({ name: 'Acme IB', email: 'ib@example.com', externalId: 'ext-1', referralCode: 'ACME_01' }, 'input', true),
    ).not.toThrow();
  });

  it('requires a name when creating', () => {
    const err = errorOf(() => validatePartnerFields({}, 'input', true));
    expect(err.extensions.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.param).toBe('input.name');
  });

  it('refuses a blank or 201-character name, accepts 200', () => {
    expect(errorOf(() => validatePartnerFields({ name: '   ' }, 'input', true)).extensions.param).toBe('input.name');
    expect(errorOf(() => validatePartnerFields({ name: 'n'.repeat(201) }, 'input', true)).extensions.param).toBe('input.name');
    expect(() => validatePartnerFields({ name: 'n'.repeat(200) }, 'input', true)).not.toThrow();
  });

  it('does not require a name on update, but refuses clearing it', () => {
    expect(() => validatePartnerFields({ email: 'ib@example.com' }, 'input', false)).not.toThrow();
    expect(errorOf(() => validatePartnerFields({ name: null }, 'input', false)).extensions.param).toBe('input.name');
  });

  it.each(['not-an-email', 'a@b', 'a b@example.com', '@example.com', 'ib@example.c'])('refuses email %p on input.email', (email) => {
    const err = errorOf(() => validatePartnerFields({ name: 'Acme', email }, 'input', true));
    expect(err.extensions.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.param).toBe('input.email');
  });

  it('refuses an email longer than 254 characters', () => {
    const email = `${'a'.repeat(64)}@${'b'.repeat(186)}.com`; // 255 characters
    expect(email).toHaveLength(255);
    expect(errorOf(() => validatePartnerFields({ name: 'Acme', email }, 'input', true)).extensions.param).toBe('input.email');
  });

  it('refuses a bad referral code with reason referral.code_invalid', () => {
    const err = errorOf(() => validatePartnerFields({ name: 'Acme', referralCode: 'no spaces' }, 'input', true));
    expect(err.extensions.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.param).toBe('input.referralCode');
    expect(err.extensions.reason).toBe('referral.code_invalid');
    expect(err.message).toBe(REFERRAL_CODE_RULE);
  });

  it('refuses an empty or 201-character externalId', () => {
    expect(errorOf(() => validatePartnerFields({ name: 'Acme', externalId: '' }, 'input', true)).extensions.param).toBe('input.externalId');
    expect(errorOf(() => validatePartnerFields({ name: 'Acme', externalId: 'x'.repeat(201) }, 'input', true)).extensions.param).toBe(
      'input.externalId',
    );
  });

  it('uses the given prefix in param', () => {
    expect(errorOf(() => validatePartnerFields({ referralCode: 'x' }, 'input.partner', false)).extensions.param).toBe('input.partner.referralCode');
  });

  it('ignores null email, externalId and referralCode', () => {
    expect(() => validatePartnerFields({ name: 'Acme', email: null, externalId: null, referralCode: null }, 'input', true)).not.toThrow();
  });
});

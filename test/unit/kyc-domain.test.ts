import { isValidKycCode, KYC_CODE_RULE, kycCodeKey } from '../../subgraphs/kyc/src/domain/referral-code';

describe('KYC referral codes', () => {
  it('accept 3 and 64 characters', () => {
    expect(isValidKycCode('abc')).toBe(true);
    expect(isValidKycCode('a'.repeat(64))).toBe(true);
    expect(isValidKycCode('User_42-ref')).toBe(true);
  });

  it('refuse 2 and 65 characters', () => {
    expect(isValidKycCode('ab')).toBe(false);
    expect(isValidKycCode('a'.repeat(65))).toBe(false);
    expect(isValidKycCode('')).toBe(false);
  });

  it('refuse characters outside A-Z a-z 0-9 _ -', () => {
    for (const code of ['ab cd', 'ab.cd', 'ab@cd', 'naïve', 'abc\n']) expect(isValidKycCode(code)).toBe(false);
  });

  it('describe the rule with the field name and limits', () => {
    expect(KYC_CODE_RULE).toBe('referralCode must be 3-64 characters of A-Z a-z 0-9 _ -');
  });

  it('compare ignoring case', () => {
    expect(kycCodeKey('User_42-REF')).toBe('user_42-ref');
    expect(kycCodeKey('ABC')).toBe(kycCodeKey('abc'));
    expect(kycCodeKey('AbC')).not.toBe(kycCodeKey('abd'));
  });
});

import { Kind, parseValue } from 'graphql';
import { isCountryCode, isIpAddress, isLanguageCode } from '../../subgraphs/shared/src/codes';
import { minorUnitProblem } from '../../subgraphs/shared/src/money';
import { RecordDecimalScalar } from '../../subgraphs/shared/src/scalars';
import { EventType } from '../../subgraphs/events/src/domain/event-types';
import { validateTrackEvent } from '../../subgraphs/events/src/domain/track-event-input';
import { errorOf } from '../helpers/errors';

describe('code lists', () => {
  it('ISO 3166-1 alpha-2: assigned codes in capitals only (XX, ZZ name no country; de is refused, not upper-cased)', () => {
    for (const ok of ['MX', 'GB', 'DE', 'AQ', 'SS']) expect(isCountryCode(ok)).toBe(true);
    for (const bad of ['XX', 'ZZ', 'de', 'Mx', 'MEX', '', ' MX', 1]) expect(isCountryCode(bad)).toBe(false);
  });

  it('ISO 639-1: two lower-case letters that name a language (xx does not)', () => {
    for (const ok of ['es', 'en', 'zh', 'yo']) expect(isLanguageCode(ok)).toBe(true);
    for (const bad of ['xx', 'qq', 'ES', 'spa', 'e', '']) expect(isLanguageCode(bad)).toBe(false);
  });

  it('IP addresses as node:net reads them: 999.1.1.1 and not-an-ip are none', () => {
    for (const ok of ['203.0.113.7', '81.2.69.160', '2001:db8::1', '::1', '::ffff:1.2.3.4']) expect(isIpAddress(ok)).toBe(true);
    for (const bad of ['999.1.1.1', 'not-an-ip', '1.2.3', '01.2.3.4', '', '1.2.3.4 ', 'gggg::1']) expect(isIpAddress(bad)).toBe(false);
  });

  it('an amount may not have more decimals than its currency: 10.123 USD and 10.5 JPY are refused, 10.50 USD and 10.00 JPY are not', () => {
    expect(minorUnitProblem('amount', '10.123', 'USD')).toBe('amount must have at most 2 decimals in USD (its ISO 4217 minor unit); got 10.123');
    expect(minorUnitProblem('amount', '10.5', 'JPY')).toBe('amount must have no decimals in JPY (its ISO 4217 minor unit); got 10.5');
    expect(minorUnitProblem('amount', '1.2345', 'BHD')).toBe('amount must have at most 3 decimals in BHD (its ISO 4217 minor unit); got 1.2345');
    for (const [amount, currency] of [['10.50', 'USD'], ['10.00', 'JPY'], ['1.234', 'BHD'], ['7', 'EUR']]) expect(minorUnitProblem('amount', amount, currency)).toBeNull();
  });
});

describe('trackEvent', () => {
  it('refuses 10.123 USD and 10.5 JPY on input.amount, and ip "not-an-ip" on input.ip', () => {
    const amount = errorOf(() => validateTrackEvent({ eventType: EventType.FIRST_DEPOSIT, amount: '10.123', currency: 'USD' }));
    expect(amount.extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.amount' });
    expect(errorOf(() => validateTrackEvent({ eventType: EventType.FIRST_DEPOSIT, amount: '10.5', currency: 'JPY' })).message).toBe(
      'amount must have no decimals in JPY (its ISO 4217 minor unit); got 10.5',
    );
    const ip = errorOf(() => validateTrackEvent({ eventType: EventType.REGISTRATION, ip: 'not-an-ip' }));
    expect(ip.extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.ip' });
    expect(ip.message).toBe('ip must be an IPv4 address such as 203.0.113.7 or an IPv6 address such as 2001:db8::1; got "not-an-ip"');
    expect(() => validateTrackEvent({ eventType: EventType.FIRST_DEPOSIT, amount: '10.12', currency: 'USD', ip: '203.0.113.7' })).not.toThrow();
  });
});

describe('RecordDecimal', () => {
  it('never fails a call: numbers become their shortest decimal string, anything else is passed on for its record to reject', () => {
    expect(RecordDecimalScalar.parseValue(12.5)).toBe('12.5');
    expect(RecordDecimalScalar.parseValue('12,5')).toBe('12,5');
    expect(RecordDecimalScalar.parseValue(true)).toBe(true);
    expect(RecordDecimalScalar.parseLiteral(parseValue('5000'))).toBe('5000');
    expect(RecordDecimalScalar.parseLiteral(parseValue('"abc"'))).toBe('abc');
    expect(RecordDecimalScalar.parseLiteral(parseValue('true'))).toEqual({ kind: Kind.BOOLEAN });
  });
});

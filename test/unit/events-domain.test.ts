import { GraphQLError } from 'graphql';
import { attribute } from '../../subgraphs/events/src/domain/attribute';
import { AttributionMethod, EventType } from '../../subgraphs/events/src/domain/event-types';
import { FUTURE_SKEW_MS, MAX_STRING, TrackEventFields, validateTrackEvent } from '../../subgraphs/events/src/domain/track-event-input';
import { REQUEST_FINGERPRINT_VERSION, requestFingerprint as requestHash } from '../../subgraphs/events/src/domain/request-fingerprint';
import { PlainDate } from '../../subgraphs/shared/src/scalars';
import { errorOf } from '../helpers/errors';

const NOW = new Date('2026-03-12T10:45:00.000Z');


/** Validates and returns the param of the BAD_USER_INPUT error thrown. */
function paramOf(input: TrackEventFields): unknown {
  const err = errorOf(() => validateTrackEvent(input, NOW));
  expect(err.extensions.code).toBe('BAD_USER_INPUT');
  return err.extensions.param;
}

const ok = (input: TrackEventFields) => expect(() => validateTrackEvent(input, NOW)).not.toThrow();

describe('attribution order', () => {
  it('a click beats a code, a trader first touch and a fingerprint', () => {
    expect(attribute({ clickPartnerId: 'p_click', codePartnerId: 'p_code', traderPartnerId: 'p_trader', fingerprintPartnerId: 'p_fp' })).toEqual({
      method: AttributionMethod.CLICK_ID,
      partnerId: 'p_click',
    });
  });

  it('a code beats a trader first touch and a fingerprint', () => {
    expect(attribute({ codePartnerId: 'p_code', traderPartnerId: 'p_trader', fingerprintPartnerId: 'p_fp' })).toEqual({
      method: AttributionMethod.REFERRAL_CODE,
      partnerId: 'p_code',
    });
  });

  it('a trader first touch beats a fingerprint', () => {
    expect(attribute({ traderPartnerId: 'p_trader', fingerprintPartnerId: 'p_fp' })).toEqual({
      method: AttributionMethod.TRADER_FIRST_TOUCH,
      partnerId: 'p_trader',
    });
  });

  it('a fingerprint alone attributes', () => {
    expect(attribute({ fingerprintPartnerId: 'p_fp' })).toEqual({ method: AttributionMethod.FINGERPRINT, partnerId: 'p_fp' });
  });

  it('no signal gives NONE and a null partner', () => {
    expect(attribute({})).toEqual({ method: AttributionMethod.NONE, partnerId: null });
    expect(attribute({ clickPartnerId: null, codePartnerId: undefined, traderPartnerId: null, fingerprintPartnerId: null })).toEqual({
      method: AttributionMethod.NONE,
      partnerId: null,
    });
  });

  it('empty strings do not count as signals', () => {
    expect(attribute({ clickPartnerId: '', codePartnerId: '', traderPartnerId: 'p_trader' })).toEqual({
      method: AttributionMethod.TRADER_FIRST_TOUCH,
      partnerId: 'p_trader',
    });
    expect(attribute({ clickPartnerId: '', codePartnerId: '', traderPartnerId: '', fingerprintPartnerId: '' })).toEqual({
      method: AttributionMethod.NONE,
      partnerId: null,
    });
  });
});

describe('trackEvent input rules', () => {
  it('accept a plain registration and a deposit with amount and currency', () => {
    ok({ eventType: EventType.REGISTRATION, email: 'jane@example.com' });
    ok({ eventType: EventType.FIRST_DEPOSIT, amount: '250.00', currency: 'USD', occurredAt: NOW });
    ok({ eventType: EventType.CUSTOM, customEventName: 'webinar_attended' });
  });

  it('CUSTOM needs a customEventName (blank does not count)', () => {
    expect(paramOf({ eventType: EventType.CUSTOM })).toBe('input.customEventName');
    expect(paramOf({ eventType: EventType.CUSTOM, customEventName: '   ' })).toBe('input.customEventName');
  });

  it('customEventName is refused on other event types', () => {
    const err = errorOf(() => validateTrackEvent({ eventType: EventType.REGISTRATION, customEventName: 'x' }, NOW));
    expect(err.extensions.param).toBe('input.customEventName');
    expect(err.message).toContain('only allowed when eventType is CUSTOM');
  });

  it.each(['not-an-email', 'jane@example', 'jane doe@example.com', 'jane@@example.com'])('refuses email %p', (email) => {
    expect(paramOf({ eventType: EventType.REGISTRATION, email })).toBe('input.email');
  });

  it('requires a currency with an amount', () => {
    expect(paramOf({ eventType: EventType.FIRST_DEPOSIT, amount: '10.00' })).toBe('input.currency');
    expect(paramOf({ eventType: EventType.FIRST_DEPOSIT, amount: '10.00', currency: '' })).toBe('input.currency');
  });

  it.each(['usd', 'Usd', 'XYZ', 'US', 'DOLLAR'])('refuses currency %p', (currency) => {
    const err = errorOf(() => validateTrackEvent({ eventType: EventType.FIRST_DEPOSIT, amount: '10.00', currency }, NOW));
    expect(err.extensions.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.param).toBe('input.currency');
    expect(err.message).toContain(JSON.stringify(currency));
  });

  it('refuses an unknown currency even without an amount', () => {
    expect(paramOf({ eventType: EventType.REGISTRATION, currency: 'usd' })).toBe('input.currency');
  });

  it('accepts 15 significant digits and refuses 16', () => {
    ok({ eventType: EventType.FIRST_DEPOSIT, amount: '1234567890123.45', currency: 'USD' });
    ok({ eventType: EventType.FIRST_DEPOSIT, amount: '123456789012345', currency: 'USD' });
    expect(paramOf({ eventType: EventType.FIRST_DEPOSIT, amount: '12345678901234.56', currency: 'USD' })).toBe('input.amount');
    expect(paramOf({ eventType: EventType.FIRST_DEPOSIT, amount: '1234567890123456', currency: 'USD' })).toBe('input.amount');
  });

  it.each([
    'customEventName',
    'clickId',
    'referralCode',
    'email',
    'name',
    'externalCustomerId',
    'paymentMethod',
    'productId',
    'ip',
    'userAgent',
  ] as const)('refuses %s of 501 characters and names it', (field) => {
    expect(MAX_STRING).toBe(500);
    const input: TrackEventFields = { eventType: EventType.CUSTOM, customEventName: 'e', [field]: 'a'.repeat(501) };
    const err = errorOf(() => validateTrackEvent(input, NOW));
    expect(err.extensions.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.param).toBe(`input.${field}`);
    expect(err.message).toBe(`${field} must be at most 500 characters`);
  });

  it('accepts strings of 500 characters', () => {
    ok({ eventType: EventType.REGISTRATION, name: 'a'.repeat(500), userAgent: 'u'.repeat(500) });
  });

  it('accepts the four subscription statuses and refuses others', () => {
    for (const subscriptionStatus of ['active', 'trialing', 'past_due', 'cancelled']) ok({ eventType: EventType.SUBSCRIPTION, subscriptionStatus });
    for (const subscriptionStatus of ['ACTIVE', 'canceled', 'paused', '']) {
      expect(paramOf({ eventType: EventType.SUBSCRIPTION, subscriptionStatus })).toBe('input.subscriptionStatus');
    }
  });

  it('refuses occurredAt 10 minutes in the future, accepts 1 minute (clock skew)', () => {
    expect(FUTURE_SKEW_MS).toBe(5 * 60 * 1000);
    expect(paramOf({ eventType: EventType.REGISTRATION, occurredAt: new Date(NOW.getTime() + 10 * 60_000) })).toBe('input.occurredAt');
    ok({ eventType: EventType.REGISTRATION, occurredAt: new Date(NOW.getTime() + 60_000) });
    ok({ eventType: EventType.REGISTRATION, occurredAt: new Date(NOW.getTime() + FUTURE_SKEW_MS) });
    ok({ eventType: EventType.REGISTRATION, occurredAt: new Date('2020-01-01T00:00:00Z') });
  });

  it('uses the real clock by default', () => {
    expect(() => validateTrackEvent({ eventType: EventType.REGISTRATION, occurredAt: new Date(Date.now() + 10 * 60_000) })).toThrow(GraphQLError);
    expect(() => validateTrackEvent({ eventType: EventType.REGISTRATION, occurredAt: new Date(Date.now() + 60_000) })).not.toThrow();
  });
});

describe('idempotency request hash', () => {
  const base: TrackEventFields = {
    eventType: EventType.FIRST_DEPOSIT,
    email: 'jane@example.com',
    amount: '250.00',
    currency: 'USD',
    occurredAt: new Date('2026-03-12T10:45:00.000Z'),
  };

  it('is a sha256 hex digest', () => {
    expect(requestHash(base)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('is equal for identical inputs regardless of key order', () => {
    const reordered: TrackEventFields = {
      occurredAt: new Date('2026-03-12T10:45:00.000Z'),
      currency: 'USD',
      amount: '250.00',
      email: 'jane@example.com',
      eventType: EventType.FIRST_DEPOSIT,
    };
    expect(requestHash(reordered)).toBe(requestHash(base));
    expect(requestHash({ ...base })).toBe(requestHash(base));
  });

  it('compares dates by instant, not by object identity', () => {
    expect(requestHash({ ...base, occurredAt: new Date(base.occurredAt!.getTime()) })).toBe(requestHash(base));
    expect(requestHash({ ...base, occurredAt: new Date(base.occurredAt!.getTime() + 1) })).not.toBe(requestHash(base));
  });

  it('changes when the amount changes', () => {
    expect(requestHash({ ...base, amount: '250.01' })).not.toBe(requestHash(base));
  });

  it('changes when another field changes or is added', () => {
    expect(requestHash({ ...base, currency: 'EUR' })).not.toBe(requestHash(base));
    expect(requestHash({ ...base, eventType: EventType.RECURRING_DEPOSIT })).not.toBe(requestHash(base));
    expect(requestHash({ ...base, productId: 'gold' })).not.toBe(requestHash(base));
  });

  it('ignores null and undefined fields', () => {
    expect(requestHash({ ...base, productId: null, clickId: undefined, name: null })).toBe(requestHash(base));
  });

  it('does not confuse a value moving from one field to another', () => {
    expect(requestHash({ eventType: EventType.REGISTRATION, name: 'x' })).not.toBe(requestHash({ eventType: EventType.REGISTRATION, productId: 'x' }));
  });

  it('compares amounts by value: 100, "100.00", "100.0" and "1e2" are one amount (version 2)', () => {
    const payment = (amount: string): TrackEventFields => ({ eventType: EventType.SUBSCRIPTION, email: 'jane@example.com', amount, currency: 'USD' });
    const h = requestHash(payment('100'));
    expect(requestHash(payment('100.00'))).toBe(h);
    expect(requestHash(payment('100.0'))).toBe(h);
    expect(requestHash(payment('1e2'))).toBe(h);
    expect(requestHash(payment('100.01'))).not.toBe(h);
    expect(requestHash({ ...base, amountUsd: '5.50' })).toBe(requestHash({ ...base, amountUsd: '5.5' }));
  });

  it('compares dates by instant: a plain date, its 00:00Z and the same instant in another zone are one date', () => {
    const at = (occurredAt: Date): TrackEventFields => ({ ...base, occurredAt });
    const h = requestHash(at(new PlainDate('2026-06-14')));
    expect(requestHash(at(new Date('2026-06-14T00:00:00.000Z')))).toBe(h);
    expect(requestHash(at(new Date('2026-06-14T02:00:00+02:00')))).toBe(h);
    expect(requestHash(at(new Date('2026-06-14T00:00:00.001Z')))).not.toBe(h);
  });

  it('does not treat other strings as numbers: an external id "0100" is not "100"', () => {
    expect(requestHash({ ...base, externalCustomerId: '0100' })).not.toBe(requestHash({ ...base, externalCustomerId: '100' }));
  });

  it('version 1 is the fingerprint stored before versions existed, unchanged, so old keys still replay', () => {
    // Computed by the code that stored version-1 fingerprints (before request_hash_version).
    expect(requestHash(base, 1)).toBe('ec3f3af614e8a8f3ebc7fa2b89c29aca7a7b778ec815e22273dea2e2c64d309b');
    // It compared spellings: that is why version 2 exists.
    expect(requestHash({ ...base, amount: '250' }, 1)).not.toBe(requestHash(base, 1));
    expect(REQUEST_FINGERPRINT_VERSION).toBe(2);
    expect(requestHash(base)).not.toBe(requestHash(base, 1));
  });
});

describe('amount direction', () => {
  it.each([
    [EventType.FIRST_DEPOSIT, '-1000'],
    [EventType.SUBSCRIPTION, '-100'],
    [EventType.REFUND, '-50'],
    [EventType.RECURRING_DEPOSIT, '-0.01'],
  ])('refuses a negative %s amount (%s) on input.amount: the event type carries the direction', (eventType, amount) => {
    expect(paramOf({ eventType, email: 'a@b.co', amount, currency: 'USD' })).toBe('input.amount');
    expect(errorOf(() => validateTrackEvent({ eventType, amount, currency: 'USD' }, NOW)).message).toMatch(/zero or positive.*REFUND or CHARGEBACK/);
  });

  it.each(['0', '0.00', '-0', '1000.50'])('accepts %s', (amount) => ok({ eventType: EventType.SUBSCRIPTION, amount, currency: 'USD' }));
});

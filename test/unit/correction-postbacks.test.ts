import { EVENT_CORRECTED } from '../../subgraphs/events/src/domain/correction-postbacks';
import { correctionPostbackBody, readCorrection } from '../../subgraphs/events/src/services/correction-postbacks';
import { subscribed } from '../../subgraphs/events/src/services/postbacks';
import { PostbackEndpoint } from '../../subgraphs/events/src/entities/postback.entity';

/** Postbacks of `referral_event.corrected`: who gets them (opt-in) and what they say. */
describe('correction postbacks', () => {
  const endpoint = (eventTypes: string[]) => ({ eventTypes }) as PostbackEndpoint;

  it('EVENT_CORRECTED is opt-in: "*" does not include it, listing it (alone or beside "*") does', () => {
    expect(subscribed(endpoint(['*']), EVENT_CORRECTED)).toBe(false);
    expect(subscribed(endpoint([EVENT_CORRECTED]), EVENT_CORRECTED)).toBe(true);
    expect(subscribed(endpoint(['*', EVENT_CORRECTED]), EVENT_CORRECTED)).toBe(true);
    expect(subscribed(endpoint(['FIRST_DEPOSIT', 'RECURRING_DEPOSIT']), EVENT_CORRECTED)).toBe(false);
    expect(subscribed(endpoint(['COMMISSION_REVERSED']), EVENT_CORRECTED)).toBe(false);
    expect(subscribed(endpoint([EVENT_CORRECTED]), 'RECURRING_DEPOSIT')).toBe(false);
  });

  // The payload as events' correctEvent emits it (the event shape of event.recorded).
  const payload = {
    event: {
      id: 'evt_late', cursor: '7', eventType: 'RECURRING_DEPOSIT', customEventName: null, partnerId: 'prt_a', traderId: 'trd_1', clickId: null, linkId: null,
      attribution: 'AFFILIATE_ID', amount: '500.00', currency: 'USD', amountUsd: null, paymentMethod: null, subscriptionStatus: null, productId: null,
      isConversion: false, isDuplicate: false, source: 'forex', timestamp: '2026-11-28T10:00:00.000Z', refundOf: null,
    },
    trader: { id: 'trd_1' },
    previous: { eventType: 'FIRST_DEPOSIT', isConversion: true, timestamp: '2026-11-28T10:00:00.000Z', amount: '500.00' },
    reason: 'deposit dep_early dated 2026-11-21T10:00:00.000Z is earlier: it is the first deposit',
  };

  it('the body is the event postbacks envelope: the event as it now is, plus previous and reason', () => {
    const read = readCorrection(payload)!;
    const body = JSON.parse(correctionPostbackBody('msg_fct_9_pbe_1', '2026-12-01T08:00:00.000Z', read.event, read.previous, read.reason));
    expect(body).toEqual({
      id: 'msg_fct_9_pbe_1',
      type: 'referral_event.corrected',
      timestamp: '2026-12-01T08:00:00.000Z',
      data: {
        id: 'evt_late', eventType: 'RECURRING_DEPOSIT', customEventName: null, clickId: null, clientId: 'trd_1', traderId: 'trd_1', partnerId: 'prt_a', linkId: null,
        attribution: 'AFFILIATE_ID', amount: '500.00', currency: 'USD', isConversion: false, isDuplicate: false, timestamp: '2026-11-28T10:00:00.000Z',
        previous: { eventType: 'FIRST_DEPOSIT', isConversion: true, timestamp: '2026-11-28T10:00:00.000Z', amount: '500.00' },
        reason: 'deposit dep_early dated 2026-11-21T10:00:00.000Z is earlier: it is the first deposit',
      },
    });
  });

  it('a fact without the event or what it was is not delivered', () => {
    expect(readCorrection({ ...payload, previous: undefined })).toBeNull();
    expect(readCorrection({ ...payload, event: { eventType: 'RECURRING_DEPOSIT' } })).toBeNull();
    expect(readCorrection(null)).toBeNull();
  });
});

import { decodeCorrectionCursor, decodeEventCursor, encodeCorrectionCursor, encodeEventCursor } from '../../subgraphs/events/src/domain/event-cursor';
import { correctionMatches, LiveCorrection } from '../../subgraphs/events/src/live/correction-stream';

const row = (over: Partial<LiveCorrection['row']> = {}): LiveCorrection['row'] => ({
  partnerId: 'prt_a',
  eventType: 'FIRST_DEPOSIT',
  previousEventType: 'FIRST_DEPOSIT',
  isConversion: false,
  previousIsConversion: true,
  correction: '{}',
  correctedAt: '2026-12-01T00:00:00.000Z',
  ...over,
});

describe('the stream of corrections (conversionCorrected)', () => {
  it('a partner hears only its own partner\'s corrections', () => {
    expect(correctionMatches({ partnerId: 'prt_a' }, row())).toBe(true);
    expect(correctionMatches({ partnerId: 'prt_b' }, row())).toBe(false);
  });

  it('a conversionsOnly subscriber hears that a deposit stopped being a conversion, and nothing of one that never was', () => {
    expect(correctionMatches({ conversionsOnly: true }, row())).toBe(true);
    expect(correctionMatches({ conversionsOnly: true }, row({ previousIsConversion: false }))).toBe(false);
  });

  it('an eventTypes filter matches the label before or after the correction', () => {
    const relabelled = row({ eventType: 'RECURRING_DEPOSIT' });
    expect(correctionMatches({ eventTypes: ['FIRST_DEPOSIT'] }, relabelled)).toBe(true);
    expect(correctionMatches({ eventTypes: ['RECURRING_DEPOSIT'] }, relabelled)).toBe(true);
    expect(correctionMatches({ eventTypes: ['WITHDRAWAL'] }, relabelled)).toBe(false);
  });

  it('a correction cursor resumes only conversionCorrected: an event cursor is refused (BAD_USER_INPUT on after), and the other way round', () => {
    expect(decodeCorrectionCursor(encodeCorrectionCursor(42))).toBe(42);
    expect(() => decodeCorrectionCursor(encodeEventCursor(42))).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', param: 'after' }) }));
    expect(() => decodeEventCursor(encodeCorrectionCursor(42))).toThrow(/ReferralEvent.cursor/);
  });
});

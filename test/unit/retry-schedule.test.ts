import {
  DEFAULT_RETRY_SCHEDULE_SECONDS,
  nextAttemptDelayMs,
  parseRetryAfter,
  parseRetrySchedule,
} from '../../subgraphs/events/src/domain/retry-schedule';

const NOW = new Date('2026-03-10T14:30:00Z');
const MID = () => 0.5; // no jitter
const LOW = () => 0; // -10 %
const HIGH = () => 0.999999; // just under +10 %

describe('DEFAULT_RETRY_SCHEDULE_SECONDS', () => {
  test('is immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h', () => {
    expect(DEFAULT_RETRY_SCHEDULE_SECONDS).toEqual([0, 5, 300, 1800, 7200, 18000, 36000, 36000]);
  });
});

describe('parseRetrySchedule', () => {
  test('undefined, empty and blank mean the default, as a copy', () => {
    for (const text of [undefined, '', '   ']) expect(parseRetrySchedule(text)).toEqual(DEFAULT_RETRY_SCHEDULE_SECONDS);
    const copy = parseRetrySchedule(undefined);
    copy.push(1);
    expect(DEFAULT_RETRY_SCHEDULE_SECONDS).toHaveLength(8);
  });

  test('parses comma-separated seconds, tolerating spaces', () => {
    expect(parseRetrySchedule('0,5,300')).toEqual([0, 5, 300]);
    expect(parseRetrySchedule(' 0 , 60 ,3600 ')).toEqual([0, 60, 3600]);
    expect(parseRetrySchedule('10')).toEqual([10]);
    expect(parseRetrySchedule('604800')).toEqual([604800]);
  });

  test('accepts 20 entries and refuses 21', () => {
    expect(parseRetrySchedule(Array(20).fill('1').join(','))).toHaveLength(20);
    expect(() => parseRetrySchedule(Array(21).fill('1').join(','))).toThrow(
      'POSTBACK_RETRY_SCHEDULE has 21 entries; at most 20 are allowed',
    );
  });

  test.each([
    ['0,5,-1', 'POSTBACK_RETRY_SCHEDULE entry 3 ("-1") is not a non-negative whole number of seconds'],
    ['0,1.5', 'POSTBACK_RETRY_SCHEDULE entry 2 ("1.5") is not a non-negative whole number of seconds'],
    ['0,,5', 'POSTBACK_RETRY_SCHEDULE entry 2 ("") is not a non-negative whole number of seconds'],
    ['0,5,', 'POSTBACK_RETRY_SCHEDULE entry 3 ("") is not a non-negative whole number of seconds'],
    ['5m', 'POSTBACK_RETRY_SCHEDULE entry 1 ("5m") is not a non-negative whole number of seconds'],
    ['0;5', 'POSTBACK_RETRY_SCHEDULE entry 1 ("0;5") is not a non-negative whole number of seconds'],
    ['1e3', 'POSTBACK_RETRY_SCHEDULE entry 1 ("1e3") is not a non-negative whole number of seconds'],
    ['0,604801', 'POSTBACK_RETRY_SCHEDULE entry 2 ("604801") exceeds the maximum of 604800 seconds (7 days)'],
  ])('%j is refused', (text, message) => {
    expect(() => parseRetrySchedule(text)).toThrow(new Error(message));
  });
});

describe('nextAttemptDelayMs', () => {
  const schedule = DEFAULT_RETRY_SCHEDULE_SECONDS;

  test('follows the schedule without jitter when random is 0.5', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((n) => nextAttemptDelayMs(schedule, n, null, MID, NOW));
    expect(delays).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
  });

  test('null once the attempts are used up', () => {
    expect(nextAttemptDelayMs(schedule, 8, null, MID, NOW)).toBeNull();
    expect(nextAttemptDelayMs(schedule, 9, null, MID, NOW)).toBeNull();
    expect(nextAttemptDelayMs([0], 1, null, MID, NOW)).toBeNull();
    expect(nextAttemptDelayMs([0, 10], 1, null, MID, NOW)).toBe(10_000);
  });

  test('null even when a Retry-After was given for the last attempt', () => {
    expect(nextAttemptDelayMs(schedule, 8, '60', MID, NOW)).toBeNull();
  });

  test('jitter is ±10 %', () => {
    expect(nextAttemptDelayMs(schedule, 2, null, LOW, NOW)).toBe(270_000);
    expect(nextAttemptDelayMs(schedule, 2, null, HIGH, NOW)).toBe(330_000);
    expect(nextAttemptDelayMs(schedule, 2, null, () => 0.25, NOW)).toBe(285_000);
    expect(nextAttemptDelayMs(schedule, 1, null, LOW, NOW)).toBe(4_500);
  });

  test('a zero delay stays zero, never negative', () => {
    expect(nextAttemptDelayMs([0, 0, 5], 1, null, LOW, NOW)).toBe(0);
    expect(nextAttemptDelayMs([0, 0, 5], 1, null, HIGH, NOW)).toBe(0);
    expect(nextAttemptDelayMs([0, 5], 1, null, () => -100, NOW)).toBe(0); // a broken random still cannot go negative
  });

  test('Retry-After raises the delay but never lowers it', () => {
    expect(nextAttemptDelayMs(schedule, 1, '120', MID, NOW)).toBe(120_000); // 5 s scheduled, receiver asks 2 min
    expect(nextAttemptDelayMs(schedule, 3, '120', MID, NOW)).toBe(1_800_000); // 30 min scheduled wins over 2 min
    expect(nextAttemptDelayMs(schedule, 1, '0', MID, NOW)).toBe(5_000);
    expect(nextAttemptDelayMs(schedule, 1, 'Tue, 10 Mar 2026 14:40:00 GMT', MID, NOW)).toBe(600_000);
  });

  test('Retry-After is capped at 24 h and garbage is ignored', () => {
    expect(nextAttemptDelayMs(schedule, 1, '999999', MID, NOW)).toBe(86_400_000);
    expect(nextAttemptDelayMs(schedule, 1, 'soon', HIGH, NOW)).toBe(5_500);
    expect(nextAttemptDelayMs(schedule, 1, '-30', MID, NOW)).toBe(5_000);
  });

  test('refuses an attempt number that is not 1-based', () => {
    expect(() => nextAttemptDelayMs(schedule, 0, null, MID, NOW)).toThrow(
      new RangeError('attemptJustFailed is 1-based, got 0'),
    );
    expect(() => nextAttemptDelayMs(schedule, 1.5, null, MID, NOW)).toThrow('attemptJustFailed is 1-based, got 1.5');
  });

  test('defaults random and now', () => {
    const delay = nextAttemptDelayMs(schedule, 2, null)!;
    expect(delay).toBeGreaterThanOrEqual(270_000);
    expect(delay).toBeLessThanOrEqual(330_000);
  });
});

describe('parseRetryAfter', () => {
  test.each<[string | null, number | null]>([
    [null, null],
    ['', null],
    ['   ', null],
    ['0', 0],
    ['120', 120_000],
    [' 30 ', 30_000],
    ['86400', 86_400_000],
    ['86401', 86_400_000], // capped at 24 h
    ['99999999999999999999999', 86_400_000],
    ['-5', null],
    ['1.5', null],
    ['+5', null],
    ['5s', null],
    ['soon', null],
    ['Tuesday 5', null], // Date.parse would accept this
    ['2026-03-10T15:00:00Z', null], // ISO 8601 is not an HTTP-date
    // IMF-fixdate
    ['Tue, 10 Mar 2026 14:31:00 GMT', 60_000],
    ['tue, 10 mar 2026 14:31:00 gmt', 60_000],
    ['Tue, 10 Mar 2026 14:00:00 GMT', 0], // in the past
    ['Wed, 11 Mar 2026 14:30:00 GMT', 86_400_000],
    ['Fri, 20 Mar 2026 14:30:00 GMT', 86_400_000], // capped
    ['Tue, 31 Feb 2026 14:31:00 GMT', null], // impossible date
    ['Tue, 10 Mar 2026 25:00:00 GMT', null],
    ['Tue, 10 Mar 2026 14:31:00 UTC', null],
    // obsolete RFC 850 and asctime forms, which recipients must still accept
    ['Tuesday, 10-Mar-26 14:32:00 GMT', 120_000],
    ['Tue Mar 10 14:33:00 2026', 180_000],
    ['Tue Mar  9 14:30:00 2026', 0],
  ])('%j -> %j', (value, expected) => {
    expect(parseRetryAfter(value, NOW)).toBe(expected);
  });

  test('RFC 850 two-digit years more than 50 years ahead belong to the previous century', () => {
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', NOW)).toBe(0); // 1994, long past
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', new Date('2060-01-01T00:00:00Z'))).toBe(86_400_000); // 2094
  });
});

import {
  autoGranularity,
  bucketStart,
  bucketStarts,
  fillSeries,
  BucketSize,
  MAX_BUCKETS,
  nextBucket,
  resolveRange,
} from '../../subgraphs/shared/src/time-buckets';
import { errorOf } from '../helpers/errors';

const d = (iso: string) => new Date(iso);
const iso = (x: Date) => x.toISOString();
const DAY = 86_400_000;


describe('bucketStart', () => {
  it('HOUR is the top of the hour', () => {
    expect(iso(bucketStart(d('2026-03-12T10:45:31.999Z'), 'HOUR'))).toBe('2026-03-12T10:00:00.000Z');
    expect(iso(bucketStart(d('2026-03-12T10:00:00.000Z'), 'HOUR'))).toBe('2026-03-12T10:00:00.000Z');
  });

  it('DAY is 00:00 UTC, whatever the offset the date was written with', () => {
    expect(iso(bucketStart(d('2026-03-12T23:59:59.999Z'), 'DAY'))).toBe('2026-03-12T00:00:00.000Z');
    // 01:30 in Berlin on the 13th is still the 12th in UTC.
    expect(iso(bucketStart(d('2026-03-13T01:30:00+02:00'), 'DAY'))).toBe('2026-03-12T00:00:00.000Z');
  });

  it('WEEK is Monday 00:00 UTC', () => {
    // 2026-03-12 is a Thursday; its ISO week starts Monday 2026-03-09.
    expect(iso(bucketStart(d('2026-03-12T10:45:00Z'), 'WEEK'))).toBe('2026-03-09T00:00:00.000Z');
    expect(iso(bucketStart(d('2026-03-09T00:00:00Z'), 'WEEK'))).toBe('2026-03-09T00:00:00.000Z');
  });

  it('WEEK takes a Sunday back to the previous Monday, not forward', () => {
    expect(iso(bucketStart(d('2026-03-15T23:59:59Z'), 'WEEK'))).toBe('2026-03-09T00:00:00.000Z');
  });

  it('WEEK crosses month and year boundaries', () => {
    // Sunday 2026-03-01 -> Monday 2026-02-23; Friday 2027-01-01 -> Monday 2026-12-28.
    expect(iso(bucketStart(d('2026-03-01T12:00:00Z'), 'WEEK'))).toBe('2026-02-23T00:00:00.000Z');
    expect(iso(bucketStart(d('2027-01-01T12:00:00Z'), 'WEEK'))).toBe('2026-12-28T00:00:00.000Z');
  });

  it('MONTH is the 1st 00:00 UTC', () => {
    expect(iso(bucketStart(d('2026-03-31T23:59:59Z'), 'MONTH'))).toBe('2026-03-01T00:00:00.000Z');
    expect(iso(bucketStart(d('2024-02-29T12:00:00Z'), 'MONTH'))).toBe('2024-02-01T00:00:00.000Z');
  });
});

describe('nextBucket', () => {
  it.each<[BucketSize, string, string]>([
    ['HOUR', '2026-03-12T23:00:00Z', '2026-03-13T00:00:00.000Z'],
    ['DAY', '2026-01-31T00:00:00Z', '2026-02-01T00:00:00.000Z'],
    ['DAY', '2024-02-28T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['DAY', '2024-02-29T00:00:00Z', '2024-03-01T00:00:00.000Z'],
    ['DAY', '2026-02-28T00:00:00Z', '2026-03-01T00:00:00.000Z'],
    ['DAY', '2026-12-31T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['WEEK', '2026-12-28T00:00:00Z', '2027-01-04T00:00:00.000Z'],
    ['MONTH', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00.000Z'],
    ['MONTH', '2024-02-01T00:00:00Z', '2024-03-01T00:00:00.000Z'],
    ['MONTH', '2026-12-01T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    // Not a bucket start: the bucket after the one containing it (not Jan 31 + 1 month).
    ['MONTH', '2026-01-31T00:00:00Z', '2026-02-01T00:00:00.000Z'],
  ])('%s after %s is %s', (g, start, next) => {
    expect(iso(nextBucket(d(start), g))).toBe(next);
  });
});

describe('autoGranularity', () => {
  const from = d('2026-01-01T00:00:00Z');
  const plus = (ms: number) => new Date(from.getTime() + ms);

  it('is HOUR up to exactly 2 days, DAY just above', () => {
    expect(autoGranularity(from, plus(2 * DAY))).toBe('HOUR');
    expect(autoGranularity(from, plus(2 * DAY + 1))).toBe('DAY');
  });

  it('is DAY up to exactly 90 days, WEEK just above', () => {
    expect(autoGranularity(from, plus(90 * DAY))).toBe('DAY');
    expect(autoGranularity(from, plus(90 * DAY + 1))).toBe('WEEK');
  });

  it('is WEEK up to exactly 366 days, MONTH just above', () => {
    expect(autoGranularity(from, plus(366 * DAY))).toBe('WEEK');
    expect(autoGranularity(from, plus(366 * DAY + 1))).toBe('MONTH');
  });

  it('is HOUR for an empty range', () => {
    expect(autoGranularity(from, from)).toBe('HOUR');
  });
});

describe('bucketStarts', () => {
  it('lists every HOUR from the bucket containing from, to exclusive', () => {
    const starts = bucketStarts(d('2026-03-12T10:30:00Z'), d('2026-03-12T13:00:00Z'), 'HOUR');
    expect(starts.map(iso)).toEqual(['2026-03-12T10:00:00.000Z', '2026-03-12T11:00:00.000Z', '2026-03-12T12:00:00.000Z']);
  });

  it('includes the bucket of a to that is not on a boundary', () => {
    const starts = bucketStarts(d('2026-03-12T10:30:00Z'), d('2026-03-12T13:00:00.001Z'), 'HOUR');
    expect(starts).toHaveLength(4);
    expect(iso(starts[3])).toBe('2026-03-12T13:00:00.000Z');
  });

  it('is the one bucket containing from when from == to', () => {
    const t = d('2026-03-12T10:30:00Z');
    expect(bucketStarts(t, t, 'DAY').map(iso)).toEqual(['2026-03-12T00:00:00.000Z']);
    expect(bucketStarts(t, t, 'WEEK').map(iso)).toEqual(['2026-03-09T00:00:00.000Z']);
  });

  it('lists months of their real lengths across a leap February and a year end', () => {
    const starts = bucketStarts(d('2023-11-15T00:00:00Z'), d('2024-03-02T00:00:00Z'), 'MONTH');
    expect(starts.map(iso)).toEqual([
      '2023-11-01T00:00:00.000Z',
      '2023-12-01T00:00:00.000Z',
      '2024-01-01T00:00:00.000Z',
      '2024-02-01T00:00:00.000Z',
      '2024-03-01T00:00:00.000Z',
    ]);
  });

  it('does not open a month bucket for a to exactly on the 1st', () => {
    expect(bucketStarts(d('2026-01-10T00:00:00Z'), d('2026-03-01T00:00:00Z'), 'MONTH').map(iso)).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-02-01T00:00:00.000Z',
    ]);
  });

  it('lists days through Feb 29 of a leap year', () => {
    const starts = bucketStarts(d('2024-02-27T08:00:00Z'), d('2024-03-02T00:00:00Z'), 'DAY');
    expect(starts.map(iso)).toEqual([
      '2024-02-27T00:00:00.000Z',
      '2024-02-28T00:00:00.000Z',
      '2024-02-29T00:00:00.000Z',
      '2024-03-01T00:00:00.000Z',
    ]);
  });

  it('lists ISO weeks across the year boundary', () => {
    const starts = bucketStarts(d('2026-12-25T00:00:00Z'), d('2027-01-12T00:00:00Z'), 'WEEK');
    expect(starts.map(iso)).toEqual([
      '2026-12-21T00:00:00.000Z',
      '2026-12-28T00:00:00.000Z',
      '2027-01-04T00:00:00.000Z',
      '2027-01-11T00:00:00.000Z',
    ]);
  });

  it('rejects from after to with param from', () => {
    const err = errorOf(() => bucketStarts(d('2026-03-12T00:00:01Z'), d('2026-03-12T00:00:00Z'), 'HOUR'));
    expect(err.message).toBe('from must be before to');
    expect(err.extensions.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.param).toBe('from');
  });

  it('rejects invalid dates', () => {
    expect(errorOf(() => bucketStarts(new Date(NaN), d('2026-03-12T00:00:00Z'), 'HOUR')).extensions.param).toBe('from');
    expect(errorOf(() => bucketStarts(d('2026-03-12T00:00:00Z'), new Date(NaN), 'HOUR')).extensions.param).toBe('to');
  });

  it('accepts exactly 1000 buckets', () => {
    const from = d('2026-01-01T00:00:00Z');
    const starts = bucketStarts(from, new Date(from.getTime() + MAX_BUCKETS * 3_600_000), 'HOUR');
    expect(MAX_BUCKETS).toBe(1000);
    expect(starts).toHaveLength(1000);
    expect(iso(starts[999])).toBe('2026-02-11T15:00:00.000Z');
  });

  it('rejects 1001 buckets with param granularity', () => {
    const from = d('2026-01-01T00:00:00Z');
    const err = errorOf(() => bucketStarts(from, new Date(from.getTime() + 1000 * 3_600_000 + 1), 'HOUR'));
    expect(err.message).toBe(
      'the range holds 1001 buckets of HOUR; at most 1000 are allowed: use a coarser granularity or a shorter range',
    );
    expect(err.extensions.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.param).toBe('granularity');
  });

  it('counts 1000 and 1001 months exactly', () => {
    // 1000 months from Jan 2000 end at the start of May 2083.
    expect(bucketStarts(d('2000-01-01T00:00:00Z'), d('2083-05-01T00:00:00Z'), 'MONTH')).toHaveLength(1000);
    expect(errorOf(() => bucketStarts(d('2000-01-01T00:00:00Z'), d('2083-05-01T00:00:00.001Z'), 'MONTH')).message).toMatch(
      /^the range holds 1001 buckets of MONTH;/,
    );
  });

  it('rejects a 1000-year hourly range quickly, without building it', () => {
    const started = process.hrtime.bigint();
    const err = errorOf(() => bucketStarts(d('2000-01-01T00:00:00Z'), d('3000-01-01T00:00:00Z'), 'HOUR'));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // 365 243 days * 24: counted, not listed.
    expect(err.message).toMatch(/^the range holds 8765832 buckets of HOUR;/);
    expect(ms).toBeLessThan(50);
  });

  it('rejects the widest representable hourly range without running out of memory', () => {
    // ~4.8e9 buckets: building them would exhaust the heap long before the limit check.
    const err = errorOf(() => bucketStarts(new Date(-8.64e15), new Date(8.64e15), 'HOUR'));
    expect(err.message).toMatch(/^the range holds 4800000000 buckets of HOUR;/);
  });
});

describe('resolveRange', () => {
  const now = d('2026-03-12T10:45:00Z');

  it('defaults to the 30 days up to now', () => {
    const r = resolveRange(null, undefined, now);
    expect(iso(r.to)).toBe('2026-03-12T10:45:00.000Z');
    expect(iso(r.from)).toBe('2026-02-10T10:45:00.000Z');
  });

  it('defaults from to 30 days before a given to', () => {
    const r = resolveRange(undefined, d('2026-01-31T00:00:00Z'), now);
    expect(iso(r.from)).toBe('2026-01-01T00:00:00.000Z');
    expect(iso(r.to)).toBe('2026-01-31T00:00:00.000Z');
  });

  it('keeps both when given', () => {
    const r = resolveRange(d('2025-01-01T00:00:00Z'), d('2025-02-01T00:00:00Z'), now);
    expect(iso(r.from)).toBe('2025-01-01T00:00:00.000Z');
    expect(iso(r.to)).toBe('2025-02-01T00:00:00.000Z');
  });

  it('defaults to to now when only from is given', () => {
    const r = resolveRange(d('2026-03-01T00:00:00Z'), null, now);
    expect(iso(r.from)).toBe('2026-03-01T00:00:00.000Z');
    expect(iso(r.to)).toBe('2026-03-12T10:45:00.000Z');
  });
});

describe('fillSeries', () => {
  const starts = bucketStarts(d('2026-03-12T00:00:00Z'), d('2026-03-16T00:00:00Z'), 'DAY');

  it('puts zero in the empty buckets and the values in the others, in order', () => {
    const values = new Map([
      [d('2026-03-13T00:00:00Z').getTime(), 7],
      [d('2026-03-15T00:00:00Z').getTime(), 2],
    ]);
    expect(fillSeries(starts, 'DAY', values, 0).map(({ t, v }) => [iso(t), v])).toEqual([
      ['2026-03-12T00:00:00.000Z', 0],
      ['2026-03-13T00:00:00.000Z', 7],
      ['2026-03-14T00:00:00.000Z', 0],
      ['2026-03-15T00:00:00.000Z', 2],
    ]);
  });

  it('keeps a falsy value that was found instead of replacing it with zero', () => {
    const values = new Map<number, number | null>([[d('2026-03-12T00:00:00Z').getTime(), 0]]);
    expect(fillSeries(starts, 'DAY', values, null).map((p) => p.v)).toEqual([0, null, null, null]);
  });

  it('works with object values', () => {
    const zero = { clicks: 0, events: 0 };
    const values = new Map([[d('2026-03-14T00:00:00Z').getTime(), { clicks: 5, events: 1 }]]);
    expect(fillSeries(starts, 'DAY', values, zero).map((p) => p.v)).toEqual([zero, zero, { clicks: 5, events: 1 }, zero]);
  });

  it('throws on a key that is not a bucket start (a query truncating time differently)', () => {
    const values = new Map([[d('2026-03-13T02:00:00Z').getTime(), 1]]);
    expect(() => fillSeries(starts, 'DAY', values, 0)).toThrow(/is not the start of a DAY bucket/);
  });

  it('ignores aligned keys outside the range', () => {
    const values = new Map([[d('2026-03-20T00:00:00Z').getTime(), 9]]);
    expect(fillSeries(starts, 'DAY', values, 0).map((p) => p.v)).toEqual([0, 0, 0, 0]);
  });
});

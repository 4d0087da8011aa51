import { badInput } from './errors';

/**
 * UTC time-series buckets for the referral graph (FonProxy: hour / day / week / month /
 * auto). Everything is UTC so that every tenant, subgraph and database agrees on where
 * a bucket starts; weeks are ISO weeks (Monday first).
 */
export type BucketSize = 'HOUR' | 'DAY' | 'WEEK' | 'MONTH';

/** Enough for any chart; more would only be a slow query and an unreadable graph. */
export const MAX_BUCKETS = 1000;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;
const DEFAULT_RANGE_MS = 30 * DAY_MS;

/** The finest granularity that keeps a typical chart between ~48 and a few hundred points. */
export function autoGranularity(from: Date, to: Date): BucketSize {
  const span = to.getTime() - from.getTime();
  if (span <= 2 * DAY_MS) return 'HOUR';
  if (span <= 90 * DAY_MS) return 'DAY';
  if (span <= 366 * DAY_MS) return 'WEEK';
  return 'MONTH';
}

export function bucketStart(d: Date, g: BucketSize): Date {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const day = d.getUTCDate();
  switch (g) {
    case 'HOUR':
      return new Date(Date.UTC(y, m, day, d.getUTCHours()));
    case 'DAY':
      return new Date(Date.UTC(y, m, day));
    case 'WEEK':
      // getUTCDay is 0 on Sunday; ISO weeks start on Monday, so Sunday goes back 6 days.
      return new Date(Date.UTC(y, m, day - ((d.getUTCDay() + 6) % 7)));
    case 'MONTH':
      return new Date(Date.UTC(y, m, 1));
  }
}

/** The start of the bucket after the one containing `start`. */
export function nextBucket(start: Date, g: BucketSize): Date {
  const s = bucketStart(start, g);
  switch (g) {
    case 'HOUR':
      return new Date(s.getTime() + HOUR_MS);
    case 'DAY':
      return new Date(s.getTime() + DAY_MS);
    case 'WEEK':
      return new Date(s.getTime() + WEEK_MS);
    case 'MONTH':
      // Date.UTC rolls month 12 over into January of the next year.
      return new Date(Date.UTC(s.getUTCFullYear(), s.getUTCMonth() + 1, 1));
  }
}

/** How many buckets bucketStarts would return, without building them. */
function bucketCount(first: Date, to: Date, g: BucketSize): number {
  const span = to.getTime() - first.getTime();
  switch (g) {
    case 'HOUR':
      return Math.ceil(span / HOUR_MS);
    case 'DAY':
      return Math.ceil(span / DAY_MS);
    case 'WEEK':
      return Math.ceil(span / WEEK_MS);
    case 'MONTH': {
      const months = (to.getUTCFullYear() - first.getUTCFullYear()) * 12 + to.getUTCMonth() - first.getUTCMonth();
      // A `to` exactly on a month start does not open that month's bucket (to is exclusive).
      return bucketStart(to, 'MONTH').getTime() === to.getTime() ? months : months + 1;
    }
  }
}

/**
 * Every bucket start from the one containing `from` while the start is before `to`
 * (exclusive). An empty range (from == to) is the one bucket containing `from`, so a
 * chart always has a point to draw.
 */
export function bucketStarts(from: Date, to: Date, g: BucketSize): Date[] {
  if (Number.isNaN(from.getTime())) throw badInput('from is not a valid date', 'from');
  if (Number.isNaN(to.getTime())) throw badInput('to is not a valid date', 'to');
  if (from.getTime() > to.getTime()) throw badInput('from must be before to', 'from');
  const first = bucketStart(from, g);
  if (from.getTime() === to.getTime()) return [first];
  // Counted before building: a 100-year hourly range must fail fast, not fill memory.
  const count = bucketCount(first, to, g);
  if (count > MAX_BUCKETS) {
    throw badInput(
      `the range holds ${count} buckets of ${g}; at most ${MAX_BUCKETS} are allowed: use a coarser granularity or a shorter range`,
      'granularity',
    );
  }
  const out: Date[] = [];
  for (let s = first; s.getTime() < to.getTime(); s = nextBucket(s, g)) out.push(s);
  return out;
}

/** The range a query means when it leaves either end open: the 30 days up to now. */
export function resolveRange(
  from: Date | null | undefined,
  to: Date | null | undefined,
  now: Date,
): { from: Date; to: Date } {
  const end = to ?? now;
  return { from: from ?? new Date(end.getTime() - DEFAULT_RANGE_MS), to: end };
}

/**
 * One point per bucket, with `zero` where the query found nothing: a chart must show the
 * empty hours, not join its neighbours.
 *
 * A key that is not a bucket start of `g` means the query truncated time differently (a
 * local time zone, Sunday weeks): its value would silently vanish, so it is an error.
 * Aligned keys outside `starts` are ignored.
 */
export function fillSeries<V>(starts: Date[], g: BucketSize, values: Map<number, V>, zero: V): { t: Date; v: V }[] {
  for (const key of values.keys()) {
    if (bucketStart(new Date(key), g).getTime() !== key) {
      throw new Error(`fillSeries: key ${key} is not the start of a ${g} bucket`);
    }
  }
  return starts.map((t) => {
    const k = t.getTime();
    return { t, v: values.has(k) ? (values.get(k) as V) : zero };
  });
}

import { DataSource } from 'typeorm';
import type { BucketSize } from './time-buckets';

/**
 * SQL that truncates a timestamp column to its UTC bucket start, as text the caller
 * parses with `parseBucket`, so series are grouped by the database (one row per
 * bucket) on both drivers. Weeks start on Monday (ISO), as in time-buckets.ts.
 */
export function bucketSql(ds: DataSource, column: string, g: BucketSize): string {
  if (ds.options.type === 'postgres') {
    const unit = { HOUR: 'hour', DAY: 'day', WEEK: 'week', MONTH: 'month' }[g];
    return `to_char(date_trunc('${unit}', ${column} AT TIME ZONE 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS')`;
  }
  // SQLite keeps TypeORM's 'YYYY-MM-DD HH:MM:SS.SSS' (UTC) text.
  switch (g) {
    case 'HOUR':
      return `(substr(${column}, 1, 10) || 'T' || substr(${column}, 12, 2) || ':00:00')`;
    case 'DAY':
      return `(substr(${column}, 1, 10) || 'T00:00:00')`;
    case 'WEEK':
      return `(date(substr(${column}, 1, 10), '-6 days', 'weekday 1') || 'T00:00:00')`;
    case 'MONTH':
      return `(substr(${column}, 1, 7) || '-01T00:00:00')`;
  }
}

/** The bucket start a `bucketSql` row names, as epoch milliseconds. */
export function parseBucket(text: string): number {
  return Date.parse(`${text}Z`);
}

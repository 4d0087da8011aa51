import { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { dateParam } from './data-source';
import { bucketSql, parseBucket } from './time-bucket-sql';
import { BucketSize, bucketStarts, fillSeries } from './time-buckets';

/**
 * A count series of the referral graph: rows of `qb` (already filtered by tenant and
 * partner) counted per UTC bucket of `column` by the database, empty buckets as 0.
 */
export async function countSeries<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>,
  column: string,
  range: { from: Date | string; to: Date | string; granularity: string },
): Promise<{ t: Date; v: number }[]> {
  const g = range.granularity as BucketSize;
  const from = new Date(range.from);
  const to = new Date(range.to);
  const starts = bucketStarts(from, to, g);
  const ds = qb.connection;
  const rows = await qb
    .select(bucketSql(ds, column, g), 'bucket')
    .addSelect('COUNT(*)', 'n')
    .andWhere(`${column} >= :seriesFrom AND ${column} < :seriesTo`, { seriesFrom: dateParam(ds, from), seriesTo: dateParam(ds, to) })
    .groupBy('bucket')
    .getRawMany<{ bucket: string; n: string | number }>();
  return fillSeries(starts, g, new Map(rows.map((r) => [parseBucket(r.bucket), Number(r.n)])), 0);
}

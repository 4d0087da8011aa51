import DataLoader from 'dataloader';
import { DataSource, In, ObjectLiteral } from 'typeorm';

/**
 * A per-request loader of a tenant's rows by id: one `IN (...)` query for every id a
 * request asks for, results in key order, null for an id that is missing (or belongs
 * to another tenant).
 */
export function byIdLoader<T extends ObjectLiteral & { id: string; tenantId: string }>(ds: DataSource, entity: new () => T, tenantId: string) {
  return new DataLoader<string, T | null>(async (ids) => {
    const rows = await ds.getRepository(entity).findBy({ tenantId, id: In([...ids]) } as never);
    const map = new Map(rows.map((r) => [r.id, r]));
    return ids.map((id) => map.get(id) ?? null);
  });
}

/**
 * A per-request loader of counts whose keys fall into groups that each cost one
 * `GROUP BY` query (a date range; a range, event type and flag...): `count` runs the
 * query for one group's members and returns the count by member id; an id it leaves
 * out counts 0.
 */
export function groupedCountLoader<K>(opts: { id: (k: K) => string; group: (k: K) => string; count: (members: K[]) => Promise<Map<string, number>> }) {
  const cacheKey = (k: K) => `${opts.id(k)}|${opts.group(k)}`;
  return new DataLoader<K, number, string>(
    async (keys) => {
      const groups = new Map<string, K[]>();
      for (const k of keys) {
        const g = opts.group(k);
        const members = groups.get(g);
        if (members) members.push(k);
        else groups.set(g, [k]);
      }
      const counts = new Map<string, number>();
      for (const [g, members] of groups) for (const [id, n] of await opts.count(members)) counts.set(`${id}|${g}`, n);
      return keys.map((k) => counts.get(cacheKey(k)) ?? 0);
    },
    { cacheKeyFn: cacheKey },
  );
}

/** The group of a key with an optional date range: keys with the same range share a query. */
export function rangeGroup(k: { from?: Date | null; to?: Date | null }): string {
  return `${k.from?.toISOString() ?? ''}|${k.to?.toISOString() ?? ''}`;
}

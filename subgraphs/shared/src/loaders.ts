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

import { EntityManager, EntityTarget, FindOptionsWhere } from 'typeorm';

/**
 * Whether a fact that happened at `occurredAt` is older than what a read-model row already holds (its updatedAt is
 * the time of the fact that wrote it): facts of one entity can arrive out of order (several relays) or again (a
 * relay that died before marking, an inbox row gone, a republish after Redis lost data), and an older one must never
 * overwrite a newer state.
 */
export async function olderThanStored<T extends { updatedAt: Date }>(m: EntityManager, entity: EntityTarget<T>, where: FindOptionsWhere<T>, occurredAt: Date): Promise<boolean> {
  return olderThanStoredAt(m, entity, where, 'updatedAt', occurredAt);
}

/**
 * `olderThanStored` for a row whose fact time is kept in another property (a row that facts update only in part,
 * beside fields the subgraph writes itself). A row without a time yet (null) takes any fact.
 */
export async function olderThanStoredAt<T extends object, K extends keyof T & string>(m: EntityManager, entity: EntityTarget<T>, where: FindOptionsWhere<T>, property: K, occurredAt: Date): Promise<boolean> {
  const stored = await m.getRepository(entity).findOne({ select: { [property]: true } as never, where });
  const at = stored?.[property] as Date | string | null | undefined;
  return at != null && new Date(at).getTime() > occurredAt.getTime();
}

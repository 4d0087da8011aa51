import { EntityManager, EntityTarget, FindOptionsWhere } from 'typeorm';

/**
 * Whether a fact that happened at `occurredAt` is older than what a read-model row already holds (its updatedAt is
 * the time of the fact that wrote it): facts of one entity can arrive out of order (several relays) or again (a
 * relay that died before marking, an inbox row gone), and an older one must never overwrite a newer state.
 */
export async function olderThanStored<T extends { updatedAt: Date }>(m: EntityManager, entity: EntityTarget<T>, where: FindOptionsWhere<T>, occurredAt: Date): Promise<boolean> {
  const stored = await m.getRepository(entity).findOne({ select: { updatedAt: true } as never, where });
  return !!stored && new Date(stored.updatedAt).getTime() > occurredAt.getTime();
}

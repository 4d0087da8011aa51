import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { BaseContext, Principal } from '../../shared/src';
import { Partner } from './entities/partner.entity';

export interface LinksContext extends BaseContext {
  dataSource: DataSource;
  loaders: ReturnType<typeof createLoaders>;
}

/** Per-request loaders: one query per entity type however many ids a request asks for. */
export function createLoaders(ds: DataSource, principal: Principal) {
  return {
    partner: new DataLoader<string, Partner | null>(async (ids) => {
      const rows = await ds.getRepository(Partner).findBy({ tenantId: principal.tenantId, id: In([...ids]) });
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}

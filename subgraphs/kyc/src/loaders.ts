import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { BaseContext, Principal } from '../../shared/src';
import { ReferralCode } from './entities/referral-code.entity';

export interface KycContext extends BaseContext {
  dataSource: DataSource;
  loaders: ReturnType<typeof createLoaders>;
}

export function createLoaders(ds: DataSource, principal: Principal) {
  return {
    referralCode: new DataLoader<string, ReferralCode | null>(async (ids) => {
      const rows = await ds.getRepository(ReferralCode).findBy({ tenantId: principal.tenantId, id: In([...ids]) });
      const map = new Map(rows.map((r) => [r.id, r]));
      return ids.map((id) => map.get(id) ?? null);
    }),
  };
}

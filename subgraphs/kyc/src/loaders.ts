import DataLoader from 'dataloader';
import { DataSource, In } from 'typeorm';
import { BaseContext, byIdLoader, Principal } from '../../shared/src';
import { KycApplication, PartnerRef } from './entities/kyc-application.entity';
import { ReferralCode } from './entities/referral-code.entity';

export interface KycContext extends BaseContext {
  dataSource: DataSource;
  loaders: ReturnType<typeof createLoaders>;
}

export function createLoaders(ds: DataSource, principal: Principal) {
  const tenantId = principal.tenantId;
  return {
    referralCode: byIdLoader(ds, ReferralCode, tenantId),
    application: byIdLoader(ds, KycApplication, tenantId),
    /** userId -> partner id, for codes owned by a partner (its externalId). */
    partnerByExternalId: new DataLoader<string, string | null>(async (userIds) => {
      const rows = await ds.getRepository(PartnerRef).findBy({ tenantId, externalId: In([...userIds]) });
      const map = new Map(rows.map((r) => [r.externalId, r.partnerId]));
      return userIds.map((u) => map.get(u) ?? null);
    }),
  };
}

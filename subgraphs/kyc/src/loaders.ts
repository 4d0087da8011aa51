import { DataSource } from 'typeorm';
import { BaseContext, byIdLoader, Principal } from '../../shared/src';
import { ReferralCode } from './entities/referral-code.entity';

export interface KycContext extends BaseContext {
  dataSource: DataSource;
  loaders: ReturnType<typeof createLoaders>;
}

export function createLoaders(ds: DataSource, principal: Principal) {
  return {
    referralCode: byIdLoader(ds, ReferralCode, principal.tenantId),
  };
}

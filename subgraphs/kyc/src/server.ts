import { RunningService, SharedInfra, SubgraphRuntime } from '../../shared/src';
import { KycConfig } from './config';
import { KycApplication, PartnerRef } from './entities/kyc-application.entity';
import { ReferralCode } from './entities/referral-code.entity';
import { startPartnerConsumer } from './consumers/partners';
import { createLoaders, KycContext } from './loaders';
import { migrations } from './migrations';
import { buildKycSchema } from './schema';

export const entities = [ReferralCode, KycApplication, PartnerRef];

export async function start(config: KycConfig, shared: SharedInfra = {}): Promise<RunningService> {
  const runtime = await SubgraphRuntime.open('kyc', config, entities, migrations, shared);
  startPartnerConsumer(runtime);
  const schema = await buildKycSchema(runtime.outbox);
  return runtime.serve<KycContext>(schema, config.port, (principal) => ({
    principal,
    dataSource: runtime.dataSource,
    loaders: createLoaders(runtime.dataSource, principal),
  }));
}

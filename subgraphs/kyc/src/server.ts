import { RunningService, SharedInfra, SubgraphRuntime } from '../../shared/src';
import { KycConfig } from './config';
import { KycApplication, PartnerRef } from './entities/kyc-application.entity';
import { ReferralCode } from './entities/referral-code.entity';
import { startPartnerConsumer } from './consumers/partners';
import { LinksCodeNamespace } from './external/links-code-namespace';
import { createLoaders, KycContext } from './loaders';
import { migrations } from './migrations';
import { buildKycSchema } from './schema';
import { startCodeNamespaceSync } from './services/code-namespace-sync';

export const entities = [ReferralCode, KycApplication, PartnerRef];

export async function start(config: KycConfig, shared: SharedInfra = {}): Promise<RunningService> {
  const runtime = await SubgraphRuntime.open('kyc', config, entities, migrations, shared);
  startPartnerConsumer(runtime);
  // Partner and KYC codes share one namespace per tenant, kept by links.
  const namespace = new LinksCodeNamespace(config.linksUrl, config.principalSecrets[0]);
  const schema = await buildKycSchema(runtime.outbox, namespace);
  const service = await runtime.serve<KycContext>(schema, config.port, (principal) => ({
    principal,
    dataSource: runtime.dataSource,
    loaders: createLoaders(runtime.dataSource, principal),
  }));
  startCodeNamespaceSync(runtime, namespace);
  return service;
}

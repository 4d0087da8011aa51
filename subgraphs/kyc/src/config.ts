import { CommonSubgraphConfig, EnvReader, readCommonSubgraphConfig } from '../../shared/src';

export interface KycConfig extends CommonSubgraphConfig {
  port: number;
  /**
   * The links subgraph's /graphql URL (the gateway's LINKS_URL). Links keeps the tenant's one
   * namespace of referral codes: kyc reserves each new KYC code there before storing it.
   */
  linksUrl: string;
}

export function readKycConfig(env: EnvReader, options = { standalone: true }): KycConfig {
  const common = readCommonSubgraphConfig(env, options);
  if (options.standalone && common.nodeEnv === 'production' && !env.optional('LINKS_URL')) {
    env.problems.push("LINKS_URL is required when NODE_ENV=production (the links subgraph's /graphql URL: KYC referral codes are reserved there)");
  }
  const linksUrl = env.url('LINKS_URL', ['http:', 'https:'], 'http://localhost:4001/graphql') ?? '';
  return Object.freeze({ ...common, port: env.port('KYC_PORT', 4003), linksUrl });
}

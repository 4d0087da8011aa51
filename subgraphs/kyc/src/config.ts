import { CommonSubgraphConfig, EnvReader, readCommonSubgraphConfig } from '../../shared/src';

export interface KycConfig extends CommonSubgraphConfig {
  port: number;
}

export function readKycConfig(env: EnvReader, options = { standalone: true }): KycConfig {
  return Object.freeze({ ...readCommonSubgraphConfig(env, options), port: env.port('KYC_PORT', 4003) });
}

import { CommonSubgraphConfig, EnvReader, readCommonSubgraphConfig } from '../../shared/src';

export interface LinksConfig extends CommonSubgraphConfig {
  port: number;
}

export function readLinksConfig(env: EnvReader, options = { standalone: true }): LinksConfig {
  return Object.freeze({ ...readCommonSubgraphConfig(env, options), port: env.port('LINKS_PORT', 4001) });
}

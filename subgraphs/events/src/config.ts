import { CommonSubgraphConfig, EnvReader, readCommonSubgraphConfig, readSharedSecrets, SharedSecrets } from '../../shared/src';

export interface EventsConfig extends CommonSubgraphConfig, SharedSecrets {
  port: number;
}

export function readEventsConfig(env: EnvReader, options = { standalone: true }): EventsConfig {
  return Object.freeze({ ...readCommonSubgraphConfig(env, options), ...readSharedSecrets(env, options), port: env.port('EVENTS_PORT', 4002) });
}

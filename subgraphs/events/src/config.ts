import { CommonSubgraphConfig, EnvReader, readCommonSubgraphConfig } from '../../shared/src';

export interface EventsConfig extends CommonSubgraphConfig {
  port: number;
}

export function readEventsConfig(env: EnvReader, options = { standalone: true }): EventsConfig {
  return Object.freeze({ ...readCommonSubgraphConfig(env, options), port: env.port('EVENTS_PORT', 4002) });
}

import { CommonSubgraphConfig, EnvReader, readCommonSubgraphConfig, readSharedSecrets, SharedSecrets } from '../../shared/src';

export interface EventsConfig extends CommonSubgraphConfig, SharedSecrets {
  port: number;
  /** Live messages buffered per subscriber before a too-slow one is cut off. */
  subscriberBuffer: number;
}

export function readEventsConfig(env: EnvReader, options = { standalone: true }): EventsConfig {
  return Object.freeze({ ...readCommonSubgraphConfig(env, options), ...readSharedSecrets(env, options), port: env.port('EVENTS_PORT', 4002), subscriberBuffer: env.int('SUBSCRIBER_BUFFER', 1000, 10, 100_000) });
}

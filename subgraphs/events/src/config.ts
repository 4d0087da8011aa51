import { parseRetrySchedule } from './domain/retry-schedule';
import { CommonSubgraphConfig, EnvReader, readCommonSubgraphConfig, readFxRates, readSharedSecrets, SharedSecrets } from '../../shared/src';

export interface EventsConfig extends CommonSubgraphConfig, SharedSecrets {
  port: number;
  /** Live messages buffered per subscriber before a too-slow one is cut off. */
  subscriberBuffer: number;
  /** How long trackEvent waits, once, for a referral code the read model does not know yet (ATTRIBUTION_WAIT_MS). */
  attributionWaitMs: number;
  /** After how long a PENDING event whose code never arrived is given up (ATTRIBUTION_PENDING_HOURS). */
  attributionPendingHours: number;
  /**
   * FX_RATES (readFxRates, as commissions reads it): the undated fallback after the tenant's rate table, so
   * isConversion compares a CPA minAmount with the amount commissions pays on.
   */
  fxRates: string;
  postbacks: {
    /** http:// and private or loopback targets, for local development and tests only. */
    allowInsecure: boolean;
    /** Seconds before each attempt after the first failure. */
    retrySchedule: number[];
    concurrency: number;
    pollMs: number;
    timeoutMs: number;
  };
}

export function readEventsConfig(env: EnvReader, options = { standalone: true }): EventsConfig {
  return Object.freeze({ ...readCommonSubgraphConfig(env, options), ...readSharedSecrets(env, options), port: env.port('EVENTS_PORT', 4002), subscriberBuffer: env.int('SUBSCRIBER_BUFFER', 1000, 10, 100_000), attributionWaitMs: env.int('ATTRIBUTION_WAIT_MS', 2000, 0, 30_000), attributionPendingHours: env.int('ATTRIBUTION_PENDING_HOURS', 168, 1, 8760), fxRates: readFxRates(env), postbacks: readPostbackConfig(env) });
}

function readPostbackConfig(env: EnvReader): EventsConfig['postbacks'] {
  let retrySchedule: number[] = [];
  const text = env.optional('POSTBACK_RETRY_SCHEDULE');
  try {
    retrySchedule = parseRetrySchedule(text);
  } catch (err) {
    env.problems.push(`POSTBACK_RETRY_SCHEDULE must be comma-separated seconds such as 0,5,300: ${(err as Error).message}`);
  }
  return {
    allowInsecure: env.bool('POSTBACKS_ALLOW_INSECURE', false),
    retrySchedule,
    concurrency: env.int('POSTBACK_CONCURRENCY', 20, 1, 1000),
    pollMs: env.int('POSTBACK_POLL_MS', 500, 10, 60_000),
    timeoutMs: env.int('POSTBACK_TIMEOUT_MS', 10_000, 100, 60_000),
  };
}

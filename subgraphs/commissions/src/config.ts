import { CommonSubgraphConfig, EnvReader, isCurrency, readCommonSubgraphConfig, readFxRates } from '../../shared/src';

export interface CommissionsConfig extends CommonSubgraphConfig {
  port: number;
  /** The currency of Partner.earnings when none is asked for and the partner has none yet. */
  defaultCurrency: string;
  /** FX_RATES (readFxRates, as events reads it): rates for paying in a plan currency other than the event's. */
  fxRates: string;
  /** How often PENDING commissions past their hold are approved; 0 turns the schedule off. */
  approvalIntervalMs: number;
  /** Live commission changes buffered per subscriber before a too-slow one is cut off (SUBSCRIBER_BUFFER, as events). */
  subscriberBuffer: number;
}

export function readCommissionsConfig(env: EnvReader, options = { standalone: true }): CommissionsConfig {
  const defaultCurrency = env.string('DEFAULT_CURRENCY', 'USD');
  if (!isCurrency(defaultCurrency)) env.problems.push(`DEFAULT_CURRENCY must be an ISO 4217 code such as USD; got "${defaultCurrency}"`);
  const fxRates = readFxRates(env);
  return Object.freeze({
    ...readCommonSubgraphConfig(env, options),
    port: env.port('COMMISSIONS_PORT', 4004),
    defaultCurrency,
    fxRates,
    approvalIntervalMs: env.int('COMMISSION_APPROVAL_INTERVAL_MS', 60_000, 0, 86_400_000),
    subscriberBuffer: env.int('SUBSCRIBER_BUFFER', 1000, 10, 100_000),
  });
}

import { CommonSubgraphConfig, EnvReader, isCurrency, readCommonSubgraphConfig } from '../../shared/src';
import { parseFxRates } from './domain/fx';

export interface CommissionsConfig extends CommonSubgraphConfig {
  port: number;
  /** The currency of Partner.earnings when none is asked for and the partner has none yet. */
  defaultCurrency: string;
  /** Exchange rates for paying in a plan currency other than the event's: "EUR:USD=1.085,GBP:USD=1.27". */
  fxRates: string;
  /** How often PENDING commissions past their hold are approved; 0 turns the schedule off. */
  approvalIntervalMs: number;
  /** Live commission changes buffered per subscriber before a too-slow one is cut off (SUBSCRIBER_BUFFER, as events). */
  subscriberBuffer: number;
}

export function readCommissionsConfig(env: EnvReader, options = { standalone: true }): CommissionsConfig {
  const defaultCurrency = env.string('DEFAULT_CURRENCY', 'USD');
  if (!isCurrency(defaultCurrency)) env.problems.push(`DEFAULT_CURRENCY must be an ISO 4217 code such as USD; got "${defaultCurrency}"`);
  const fxRates = env.string('FX_RATES', '');
  try {
    parseFxRates(fxRates);
  } catch (err) {
    env.problems.push(`FX_RATES must be comma-separated FROM:TO=rate entries such as EUR:USD=1.085: ${(err as Error).message}`);
  }
  return Object.freeze({
    ...readCommonSubgraphConfig(env, options),
    port: env.port('COMMISSIONS_PORT', 4004),
    defaultCurrency,
    fxRates,
    approvalIntervalMs: env.int('COMMISSION_APPROVAL_INTERVAL_MS', 60_000, 0, 86_400_000),
    subscriberBuffer: env.int('SUBSCRIBER_BUFFER', 1000, 10, 100_000),
  });
}

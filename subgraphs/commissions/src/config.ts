import { CommonSubgraphConfig, EnvReader, isCurrency, readCommonSubgraphConfig } from '../../shared/src';

export interface CommissionsConfig extends CommonSubgraphConfig {
  port: number;
  /** The currency of Partner.earnings when none is asked for and the partner has none yet. */
  defaultCurrency: string;
}

export function readCommissionsConfig(env: EnvReader, options = { standalone: true }): CommissionsConfig {
  const defaultCurrency = env.string('DEFAULT_CURRENCY', 'USD');
  if (!isCurrency(defaultCurrency)) env.problems.push(`DEFAULT_CURRENCY must be an ISO 4217 code such as USD; got "${defaultCurrency}"`);
  return Object.freeze({ ...readCommonSubgraphConfig(env, options), port: env.port('COMMISSIONS_PORT', 4004), defaultCurrency });
}

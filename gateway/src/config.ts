import path from 'node:path';
import { DEFAULT_MAX_BODY_SIZE, EnvReader, LogLevel, readTrustedProxies } from '../../subgraphs/shared/src';
import { CorsOrigins, LOCAL_DEV_ORIGINS, parseCorsOrigins } from './http/cors';
import { MAX_BULK_RECORDS } from '../../subgraphs/events/src/domain/forex';

export const SUBGRAPHS = ['links', 'events', 'kyc', 'commissions'] as const;
export type SubgraphName = (typeof SUBGRAPHS)[number];
export const DEFAULT_PORTS: Record<SubgraphName, number> = { links: 4001, events: 4002, kyc: 4003, commissions: 4004 };

export interface GatewayConfig {
  host: string;
  port: number;
  nodeEnv: string;
  production: boolean;
  logLevel: LogLevel;
  databaseUrl?: string;
  dataDir: string;
  dbPoolSize: number;
  redisUrl?: string;
  principalSecrets: string[];
  subgraphUrls: Record<SubgraphName, string>;
  supergraphPath: string;
  introspection: boolean;
  /** Largest accepted request body. */
  maxBodyBytes: string;
  /** How long a subgraph has to answer one fetch. */
  subgraphTimeoutMs: number;
  /** Signs OAuth access and partner tokens; derived from PRINCIPAL_SECRET when unset. */
  tokenSecret?: string;
  tokenTtlSeconds: number;
  /** How long a looked-up key or client is trusted before the database is asked again (revocation delay). */
  credentialCacheMs: number;
  /** Requests (operations) a minute per credential. */
  rateLimitPerMinute: number;
  /** Bulk-mutation records a minute per credential, a budget of their own. */
  rateLimitRecordsPerMinute: number;
  /**
   * Failed attempts a minute per OAuth client_id, per partner-token requester, and per
   * client address for credentials that do not exist (limits/auth-throttle.ts).
   */
  authFailuresPerMinute: number;
  /** Load balancers whose X-Forwarded-For names the client address; none by default (the socket address). */
  trustedProxies: string[];
  maxQueryDepth: number;
  maxAliases: number;
  maxQueryCost: number;
  maxBatchSize: number;
  redisKeyPrefix: string;
  /** Live subscriptions: per connection, and open connections per tenant. */
  wsMaxSubscriptionsPerConnection: number;
  wsMaxConnectionsPerTenant: number;
  /** Browser origins allowed by CORS on /graphql and /r/<slug>: `*`, exact origins, `scheme://host:*`; empty = none. */
  corsOrigins: CorsOrigins;
}

const PACKAGE_ROOT = path.resolve(__dirname, '..', '..', ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []));

export function readGatewayConfig(env: EnvReader, options = { standalone: true }): GatewayConfig {
  const nodeEnv = env.string('NODE_ENV', 'development');
  const production = nodeEnv === 'production';
  const secret = options.standalone
    ? env.required('PRINCIPAL_SECRET', 'the secret used to sign principals for the subgraphs (at least 32 characters)')
    : env.optional('PRINCIPAL_SECRET') ?? '';
  if (secret && secret.length < 32) env.problems.push('PRINCIPAL_SECRET must be at least 32 characters');
  const previous = env.optional('PRINCIPAL_SECRET_PREVIOUS');
  const subgraphUrls = {} as Record<SubgraphName, string>;
  for (const name of SUBGRAPHS) {
    const variable = `${name.toUpperCase()}_URL`;
    if (options.standalone && production && !env.optional(variable)) env.problems.push(`${variable} is required when NODE_ENV=production (the ${name} subgraph's /graphql URL)`);
    subgraphUrls[name] = env.url(variable, ['http:', 'https:'], `http://localhost:${DEFAULT_PORTS[name]}/graphql`) ?? '';
  }
  const databaseUrl = env.url('DATABASE_URL', ['postgres:', 'postgresql:']);
  if (options.standalone && production && !databaseUrl) env.problems.push('DATABASE_URL is required when NODE_ENV=production (PostgreSQL)');
  const corsValue = env.optional('CORS_ORIGINS');
  const cors = corsValue === undefined ? { origins: !options.standalone && !production ? LOCAL_DEV_ORIGINS : [] } : parseCorsOrigins(corsValue);
  if ('problem' in cors) env.problems.push(cors.problem);
  return Object.freeze({
    host: env.string('HOST', '0.0.0.0'),
    port: env.port('PORT', 4000),
    nodeEnv,
    production,
    logLevel: env.oneOf('LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    databaseUrl,
    dataDir: env.string('DATA_DIR', './data'),
    dbPoolSize: env.int('DB_POOL_SIZE', 10, 1, 500),
    redisUrl: env.url('REDIS_URL', ['redis:', 'rediss:']),
    principalSecrets: [secret, previous].filter((s): s is string => !!s),
    subgraphUrls,
    supergraphPath: path.resolve(env.string('SUPERGRAPH_PATH', path.join(PACKAGE_ROOT, 'schema', 'supergraph.graphql'))),
    introspection: env.bool('INTROSPECTION', !production),
    // Fits one full bulk call of maximal records (subgraphs/shared/src/body-limits.ts).
    maxBodyBytes: env.string('MAX_BODY_SIZE', DEFAULT_MAX_BODY_SIZE),
    subgraphTimeoutMs: env.int('SUBGRAPH_TIMEOUT_MS', 30_000, 100, 600_000),
    tokenSecret: env.optional('TOKEN_SECRET'),
    tokenTtlSeconds: env.int('OAUTH_TOKEN_TTL_SECONDS', 3600, 1, 86_400),
    credentialCacheMs: env.int('CREDENTIAL_CACHE_MS', 30_000, 0, 3_600_000),
    rateLimitPerMinute: env.int('RATE_LIMIT_PER_MINUTE', 1000, 1, 10_000_000),
    // At least one full bulk call: a smaller budget would refuse a valid batch for ever.
    rateLimitRecordsPerMinute: env.int('RATE_LIMIT_RECORDS_PER_MINUTE', 100_000, MAX_BULK_RECORDS, 1_000_000_000),
    authFailuresPerMinute: env.int('AUTH_FAILURES_PER_MINUTE', 30, 1, 1_000_000),
    trustedProxies: readTrustedProxies(env, ''),
    maxQueryDepth: env.int('MAX_QUERY_DEPTH', 12, 2, 100),
    maxAliases: env.int('MAX_ALIASES', 30, 0, 10_000),
    maxQueryCost: env.int('MAX_QUERY_COST', 20_000, 10, 10_000_000),
    maxBatchSize: env.int('MAX_BATCH_SIZE', 20, 1, 1000),
    redisKeyPrefix: env.string('REDIS_KEY_PREFIX', 'rgw:'),
    wsMaxSubscriptionsPerConnection: env.int('WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', 25, 1, 10_000),
    wsMaxConnectionsPerTenant: env.int('WS_MAX_CONNECTIONS_PER_TENANT', 1000, 1, 1_000_000),
    corsOrigins: Object.freeze('origins' in cors ? [...cors.origins] : []),
  });
}

import fs from 'node:fs';
import http from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import Redis from 'ioredis';
import {
  closeServer,
  configureLogger,
  formatError,
  listen,
  logger,
  openDataSource,
  readinessHandler,
  RunningService,
  signingKey,
  SubgraphDataSource,
  urlFor,
} from '../../subgraphs/shared/src';
import { createHash, randomUUID } from 'node:crypto';
import { authenticate, authenticateCredential } from './auth/authenticate';
import { TokenService } from './auth/tokens';
import { oauthRoutes } from './http/oauth';
import { OAuthClient } from './db/oauth-client.entity';
import { KeyStore } from './auth/key-store';
import { GatewayContext, PrincipalForwardingDataSource, PrincipalSigner } from './auth/principal-forwarding';
import { GatewayConfig, SUBGRAPHS, SubgraphName } from './config';
import { ApiKey } from './db/api-key.entity';
import { Tenant } from './db/tenant.entity';
import { migrations } from './migrations';
import { register } from 'prom-client';
import { SubscriptionPlanner } from './subscriptions/planner';
import { serveSubscriptions } from './subscriptions/server';
import { UpstreamSubscriptions } from './subscriptions/upstream';
import { clickRedirectProxy } from './http/redirect-proxy';
import { corsMiddleware } from './http/cors';
import { scalarInputsPlugin } from './scalar-inputs';
import { subgraphFetcher } from './http/subgraph-fetcher';
import { DocumentLimits, documentLimitsPlugin } from './limits/document-limits';
import { BlockedAddresses, MemoryRateLimiter, RateLimiter, RedisRateLimiter } from './limits/rate-limiter';
import { FallbackRateLimiter } from './limits/fallback-limiter';
import { relaxServiceBoundaries } from './degrade/nullable-boundaries';
import { FAIL_FAST_REDIS } from '../../subgraphs/shared/src/degraded';
import { credentialBudgets, RequestBudgets, rateLimitRefusal, requestUnits, unfitRequest } from './limits/request-cost';
import { GraphQLError } from 'graphql';

export interface RunningGateway extends RunningService {
  keys: KeyStore;
  tokens: TokenService;
}

export function openGatewayDatabase(config: Pick<GatewayConfig, 'databaseUrl' | 'dataDir' | 'dbPoolSize'>): Promise<SubgraphDataSource> {
  return openDataSource('gateway', { databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize }, [Tenant, ApiKey, OAuthClient], migrations);
}

function readSupergraph(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`gateway: cannot read the supergraph at ${file} (run npm run schema): ${(err as Error).message}`);
  }
}

/** The gateway: authenticates callers and serves the federated graph from the static supergraph. */
export async function start(config: GatewayConfig): Promise<RunningGateway> {
  configureLogger(config.logLevel);
  const log = logger('gateway');
  if (!config.principalSecrets.length) throw new Error('gateway: PRINCIPAL_SECRET is required');
  // Served with the fields a down subgraph would answer nullable (degrade/nullable-boundaries.ts).
  const supergraphSdl = relaxServiceBoundaries(readSupergraph(config.supergraphPath)).sdl;
  const { dataSource } = await openGatewayDatabase(config);
  const keys = new KeyStore(dataSource, config.credentialCacheMs);
  const tokens = new TokenService(
    dataSource,
    keys,
    config.tokenSecret ?? createHash('sha256').update(`oauth-tokens:${config.principalSecrets[0]}`).digest('hex'),
    config.tokenTtlSeconds,
  );
  // Redis holds the limits the replicas share; without it they are counted per process
  // (FallbackRateLimiter), and a command fails at once instead of waiting for Redis.
  const redis = config.redisUrl ? new Redis(config.redisUrl, { ...FAIL_FAST_REDIS, lazyConnect: true }) : null;
  redis?.on('error', () => undefined);
  await redis?.connect().catch(() => undefined);
  const signer = new PrincipalSigner(signingKey(config.principalSecrets[0]));

  const dataSources: Record<string, PrincipalForwardingDataSource> = {};
  const fetcher = subgraphFetcher({ timeoutMs: config.subgraphTimeoutMs });
  const gateway = new ApolloGateway({
    supergraphSdl,
    buildService: ({ name, url }) => (dataSources[name] = new PrincipalForwardingDataSource({ url: config.subgraphUrls[name as SubgraphName] ?? url, fetcher, serviceName: name })),
  });

  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  httpServer.keepAliveTimeout = 65_000;

  const documentLimits: DocumentLimits = { maxDepth: config.maxQueryDepth, maxAliases: config.maxAliases, maxCost: config.maxQueryCost };
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    allowBatchedHttpRequests: true,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    // Signals are ours (runMain): Apollo must not stop itself or re-raise SIGTERM.
    stopOnTerminationSignals: false,
    formatError: formatError('gateway'),
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), documentLimitsPlugin(documentLimits), scalarInputsPlugin(), ...(config.production ? [ApolloServerPluginLandingPageDisabled()] : [])],
  });
  try {
    await apollo.start();
  } catch (err) {
    await dataSource.destroy();
    throw new Error(`gateway: cannot load the supergraph ${config.supergraphPath}: ${(err as Error).message}`);
  }

  const subscriptions = serveSubscriptions({
    httpServer,
    authenticate: (credential: string) => authenticateCredential(credential, keys, tokens),
    signer,
    planner: new SubscriptionPlanner(supergraphSdl),
    dataSources,
    subgraphUrls: config.subgraphUrls,
    upstream: new UpstreamSubscriptions(config.principalSecrets[0]),
    limits: { perConnection: config.wsMaxSubscriptionsPerConnection, perTenantConnections: config.wsMaxConnectionsPerTenant, document: documentLimits },
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: 'gateway' });
  });
  app.get('/metrics', async (_req, res) => {
    res.set('content-type', register.contentType).send(await register.metrics());
  });
  // 503 only without the gateway's own database; Redis and the subgraphs degrade (README, "What degrades").
  const degradable: Record<string, () => Promise<unknown>> = {};
  if (redis) degradable.redis = () => redis.ping();
  for (const name of SUBGRAPHS) degradable[`subgraph:${name}`] = () => subgraphReady(config.subgraphUrls[name]);
  app.get('/readyz', readinessHandler('gateway', { database: () => dataSource.query('SELECT 1') }, degradable, SUBGRAPH_READY_TIMEOUT_MS));
  // Browser apps on the origins of CORS_ORIGINS may call the graph and the click redirect; /oauth never.
  app.use('/graphql', corsMiddleware(config.corsOrigins, ['GET', 'POST', 'OPTIONS']));
  app.use('/r', corsMiddleware(config.corsOrigins, ['GET', 'HEAD', 'OPTIONS']));
  const redirects = clickRedirectProxy(config.subgraphUrls.links);
  app.all('/r/:slug', redirects);
  app.use(oauthRoutes({ keys, tokens, signer, linksUrl: config.subgraphUrls.links }));
  const limiter: RateLimiter = redis ? new FallbackRateLimiter(new RedisRateLimiter(redis, config.redisKeyPrefix)) : new MemoryRateLimiter();
  const blocked = new BlockedAddresses();
  const budgets: RequestBudgets = { requestsPerMinute: config.rateLimitPerMinute, recordsPerMinute: config.rateLimitRecordsPerMinute };
  const blockedError = (retryAfter: number) =>
    rateLimited(retryAfter, `too many failed authentication attempts from this address (AUTH_FAILURES_PER_MINUTE ${config.authFailuresPerMinute}); retry after ${retryAfter} s`);
  app.use(
    '/graphql',
    express.json({ limit: config.maxBodyBytes }),
    (req: express.Request, res: express.Response, next: express.NextFunction) => {
      if (Array.isArray(req.body) && req.body.length > config.maxBatchSize) {
        res.status(400).json({ errors: [{ message: `a batch may hold at most ${config.maxBatchSize} operations (MAX_BATCH_SIZE); got ${req.body.length}`, extensions: { code: 'BAD_REQUEST', limit: 'MAX_BATCH_SIZE' } }] });
        return;
      }
      next();
    },
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const ip = req.socket.remoteAddress ?? 'unknown';
        const wait = blocked.retryAfter(ip);
        if (wait > 0) throw blockedError(wait);
        let principal;
        try {
          principal = await authenticate(req.headers, keys, tokens);
        } catch (err) {
          const failed = await limiter.hit(`authfail:${ip}`, 1, config.authFailuresPerMinute);
          if (!failed.allowed) {
            blocked.block(ip, failed.retryAfter);
            throw blockedError(failed.retryAfter);
          }
          throw err;
        }
        // A batch over the bulk limit, or more than a minute's budget, is a 400 that charges nothing.
        const units = requestUnits(req.body);
        const unfit = unfitRequest(units, budgets);
        if (unfit) throw unfit;
        // One round trip: the address's failures (shared by every replica) and the credential's
        // request and record budgets; a refused request is not counted.
        const hit = await limiter.admit(`authfail:${ip}`, config.authFailuresPerMinute, credentialBudgets(`cred:${principal.credentialId ?? principal.tenantId}`, units, budgets));
        if (hit.guarded) {
          blocked.block(ip, hit.retryAfter);
          throw blockedError(hit.retryAfter);
        }
        if (!hit.allowed) {
          const refusal = rateLimitRefusal(hit, units, budgets);
          throw rateLimited(hit.retryAfter, refusal.message, refusal.limit);
        }
        return { principal, principalToken: () => signer.token(principal), batchKey: randomUUID() };
      },
    }),
  );

  // A body over MAX_BODY_SIZE (or not JSON) is a 400 that names the limit, not an HTML page.
  app.use((err: Error & { type?: string; status?: number }, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (err.type === 'entity.too.large') {
      res.status(400).json({ errors: [{ message: `the request body is over MAX_BODY_SIZE (${config.maxBodyBytes})`, extensions: { code: 'BAD_REQUEST', limit: 'MAX_BODY_SIZE' } }] });
    } else if (err.type === 'entity.parse.failed') {
      res.status(400).json({ errors: [{ message: 'the request body is not valid JSON', extensions: { code: 'BAD_REQUEST' } }] });
    } else next(err);
  });

  let port: number;
  try {
    port = await listen(httpServer, config.port, config.host, 'gateway');
  } catch (err) {
    await subscriptions.dispose().catch(() => undefined);
    await apollo.stop().catch(() => undefined);
    await dataSource.destroy().catch(() => undefined);
    throw err;
  }
  const url = urlFor(config.host, port, '/graphql');
  log.info({ url }, 'gateway listening');

  let stopping: Promise<void> | null = null;
  return {
    name: 'gateway',
    url,
    port,
    keys,
    tokens,
    stop() {
      stopping ??= (async () => {
        await subscriptions.dispose();
        await apollo.stop().catch((err) => log.warn({ err: (err as Error).message }, 'apollo stop failed'));
        await closeServer(httpServer);
        redirects.close();
        fetcher.close();
        await dataSource.destroy().catch(() => undefined);
        redis?.disconnect();
        log.info('gateway stopped');
      })();
      return stopping;
    },
  };
}

/** A subgraph's /readyz answers within about 1 s (its Redis check's limit); the gateway waits for it longer. */
const SUBGRAPH_READY_TIMEOUT_MS = 2500;

/** A subgraph is ready when its own /readyz says so (its database reachable; Redis may be degraded). */
async function subgraphReady(graphqlUrl: string): Promise<void> {
  const readyUrl = new URL(graphqlUrl);
  readyUrl.pathname = '/readyz';
  let res: Response;
  try {
    res = await fetch(readyUrl, { signal: AbortSignal.timeout(SUBGRAPH_READY_TIMEOUT_MS - 100) });
  } catch (err) {
    throw new Error(`unreachable at ${readyUrl.origin}: ${(err as Error).message}`);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { checks?: Record<string, string> };
    const down = Object.entries(body.checks ?? {}).filter(([, v]) => v !== 'ok').map(([k, v]) => `${k} ${v}`);
    throw new Error(`not ready (HTTP ${res.status}${down.length ? ': ' + down.join('; ') : ''})`);
  }
}

function rateLimited(retryAfter: number, message: string, limit?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'RATE_LIMITED', ...(limit ? { limit } : {}), retryAfter, http: { status: 429, headers: new Map([['retry-after', String(retryAfter)]]) } },
  });
}

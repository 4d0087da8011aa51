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
import { checkCredential, identify } from './auth/authenticate';
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
import { CSRF_PREFLIGHT_HEADERS } from './http/csrf';
import { inputChecker, scalarInputsPlugin } from './scalar-inputs';
import { operationChecksPlugin, preParseError } from './operation-checks';
import { subgraphFetcher } from './http/subgraph-fetcher';
import { DocumentLimits, documentLimitsPlugin } from './limits/document-limits';
import { MemoryRateLimiter, RateLimiter, RedisRateLimiter } from './limits/rate-limiter';
import { addressOf, AuthThrottle, NO_GUARD } from './limits/auth-throttle';
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
    csrfPrevention: { requestHeaders: CSRF_PREFLIGHT_HEADERS },
    introspection: config.introspection,
    includeStacktraceInErrorResponses: false,
    // Signals are ours (runMain): Apollo must not stop itself or re-raise SIGTERM.
    stopOnTerminationSignals: false,
    formatError: formatError('gateway'),
    plugins: [ApolloServerPluginDrainHttpServer({ httpServer }), operationChecksPlugin(), documentLimitsPlugin(documentLimits), scalarInputsPlugin(), ...(config.production ? [ApolloServerPluginLandingPageDisabled()] : [])],
  });
  try {
    await apollo.start();
  } catch (err) {
    await dataSource.destroy();
    throw new Error(`gateway: cannot load the supergraph ${config.supergraphPath}: ${(err as Error).message}`);
  }

  const limiter: RateLimiter = redis ? new FallbackRateLimiter(new RedisRateLimiter(redis, config.redisKeyPrefix)) : new MemoryRateLimiter();
  const throttle = new AuthThrottle(limiter, config.authFailuresPerMinute);
  const subscriptions = serveSubscriptions({
    httpServer,
    checkCredential: (credential: string) => checkCredential(credential, keys, tokens),
    // A credential that does not exist counts against the address; the answer is 4429 once it is over.
    unknownCredential: (request) => throttle.failed(addressOf(request, config.trustedProxies), 'websocket'),
    signer,
    planner: new SubscriptionPlanner(supergraphSdl),
    dataSources,
    subgraphUrls: config.subgraphUrls,
    upstream: new UpstreamSubscriptions(config.principalSecrets[0]),
    limits: { perConnection: config.wsMaxSubscriptionsPerConnection, perTenantConnections: config.wsMaxConnectionsPerTenant, document: documentLimits },
    checkInputs: inputChecker(),
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
  const budgets: RequestBudgets = { requestsPerMinute: config.rateLimitPerMinute, recordsPerMinute: config.rateLimitRecordsPerMinute };
  app.use(oauthRoutes({ keys, tokens, signer, linksUrl: config.subgraphUrls.links, throttle, limiter, budgets, trustedProxies: config.trustedProxies }));
  const blockedError = (retryAfter: number) =>
    rateLimited(
      retryAfter,
      `too many unknown credentials from this address (AUTH_FAILURES_PER_MINUTE ${config.authFailuresPerMinute}); retry after ${retryAfter} s (valid credentials are not affected)`,
      'AUTH_FAILURES_PER_MINUTE',
    );
  app.use(
    '/graphql',
    express.json({ limit: config.maxBodyBytes }),
    (req: express.Request, res: express.Response, next: express.NextFunction) => {
      if (Array.isArray(req.body) && req.body.length > config.maxBatchSize) {
        res.status(400).json({ errors: [{ message: `a batch may hold at most ${config.maxBatchSize} operations (MAX_BATCH_SIZE); got ${req.body.length}`, extensions: { code: 'BAD_REQUEST', limit: 'MAX_BATCH_SIZE' } }] });
        return;
      }
      // Before Apollo parses (recursively) and before credentials are checked: a cheap loop.
      // @defer too: GraphQL validation would call it an unknown directive, not say what to do.
      const sources = [req.query?.query, ...(Array.isArray(req.body) ? req.body : [req.body]).map((op) => (op as { query?: unknown } | undefined)?.query)];
      for (const source of sources) {
        const refused = typeof source === 'string' ? preParseError(source) : null;
        if (refused) {
          res.status(400).json({ errors: [{ message: refused.message, extensions: refused.extensions }] });
          return;
        }
      }
      next();
    },
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        const who = await identify(req.headers, keys, tokens);
        if ('refusal' in who) {
          // Only a credential that does not exist is a guess: it counts against the address
          // (through TRUSTED_PROXIES), and an address over the limit gets 429 for such
          // guesses; a valid key from the same address is served all the same.
          const wait = who.unknown ? await throttle.failed(addressOf(req, config.trustedProxies), 'graphql') : 0;
          throw wait ? blockedError(wait) : who.refusal;
        }
        const { principal } = who;
        // A batch over the bulk limit, or more than a minute's budget, is a 400 that charges nothing.
        const units = requestUnits(req.body);
        const unfit = unfitRequest(units, budgets);
        if (unfit) throw unfit;
        // The credential's request and record budgets (shared by every replica); a refused
        // request is not counted. No guard: others' failures never hold back a valid credential.
        const hit = await limiter.admit(NO_GUARD.key, NO_GUARD.limit, credentialBudgets(`cred:${principal.credentialId ?? principal.tenantId}`, units, budgets));
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
  // Anything else that escaped a route is answered as JSON without internals, never Express's HTML page.
  app.use((err: Error & { status?: number }, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) log.error({ err: err.message, path: req.path }, 'unhandled error in an HTTP route');
    const message = status === 500 ? 'internal server error' : 'the request is malformed';
    if (req.path.startsWith('/oauth/')) res.status(status).set('cache-control', 'no-store').json({ error: status === 500 ? 'server_error' : 'invalid_request', error_description: message });
    else res.status(status).json({ errors: [{ message, extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST' } }] });
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

import http from 'node:http';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { GraphQLError, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { register } from 'prom-client';
import { closeServer, listen, urlFor } from './http-server';
import { logger } from './logger';
import { Principal, PRINCIPAL_HEADER, ReplayGuard, SigningKey, verifyPrincipal, verifyPrincipalToken } from './principal';

export interface RunningService {
  name: string;
  url: string;
  port: number;
  stop(): Promise<void>;
}

export interface SubgraphServerOptions<C> {
  name: string;
  host: string;
  port: number;
  schema: GraphQLSchema;
  signingKeys: SigningKey[];
  /** Builds the per-request context (fresh DataLoaders) for a verified principal. */
  context: (principal: Principal) => C | Promise<C>;
  /** Rejects with a short reason when a dependency (database, bus) is unreachable. */
  readiness: Record<string, () => Promise<unknown>>;
  /** Closes what the subgraph opened (relay, consumers, data source, bus), after HTTP has drained. */
  close: () => Promise<void>;
  production: boolean;
  /** Refuses principal tokens used before (replays). */
  replayGuard: ReplayGuard;
  /** Extra HTTP routes outside the graph (the links subgraph's click redirect). */
  routes?: (app: express.Express) => void;
  /** Serve graphql-ws on /graphql too (the events subgraph's live conversions). */
  subscriptions?: boolean;
}

/**
 * Errors that are not GraphQLErrors (a failed SQL statement, a bug) reach clients as
 * INTERNAL_SERVER_ERROR without their message: no stack traces or SQL leave the service.
 */
export function formatError(name: string) {
  const log = logger(name);
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof GraphQLError || formatted.extensions?.code !== 'INTERNAL_SERVER_ERROR') return formatted;
    log.error({ err: original instanceof Error ? { message: original.message, stack: original.stack } : original, path: formatted.path }, 'unexpected error');
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

export async function readinessReport(checks: Record<string, () => Promise<unknown>>): Promise<{ ok: boolean; checks: Record<string, string> }> {
  const entries = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      try {
        await withTimeout(check(), 2000, `${name} did not answer within 2 s`);
        return [name, 'ok'] as const;
      } catch (err) {
        return [name, `down: ${(err as Error).message}`] as const;
      }
    }),
  );
  return { ok: entries.every(([, v]) => v === 'ok'), checks: Object.fromEntries(entries) };
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}

/** One subgraph over HTTP: POST /graphql (signed principal required), GET /healthz, GET /readyz. */
export async function startSubgraphServer<C extends object>(opts: SubgraphServerOptions<C>): Promise<RunningService> {
  const log = logger(opts.name);
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  httpServer.keepAliveTimeout = 65_000;

  // No inline tracing: there is no Apollo Studio here, and it costs time on every request.
  const plugins: ApolloServerPlugin[] = [ApolloServerPluginDrainHttpServer({ httpServer }), ApolloServerPluginInlineTraceDisabled()];
  const apollo = new ApolloServer<C>({
    schema: opts.schema,
    plugins,
    introspection: !opts.production,
    includeStacktraceInErrorResponses: false,
    // The gateway sends the fetches of one query that leave together for this subgraph as
    // one batch (one principal, one context: the operations share their loaders).
    allowBatchedHttpRequests: true,
    // Signals are ours (runMain): Apollo must not stop itself or re-raise SIGTERM.
    stopOnTerminationSignals: false,
    formatError: formatError(opts.name),
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service: opts.name });
  });
  // Prometheus: this process's figures (SQL statements per database, ...). Only the
  // gateway is public; a subgraph's port is internal, like this endpoint.
  app.get('/metrics', async (_req, res) => {
    res.set('content-type', register.contentType).send(await register.metrics());
  });
  app.get('/readyz', async (_req, res) => {
    const report = await readinessReport(opts.readiness);
    res.status(report.ok ? 200 : 503).json({ status: report.ok ? 'ready' : 'not ready', service: opts.name, ...report });
  });

  opts.routes?.(app);

  const principals = new WeakMap<express.Request, Principal>();
  app.use('/graphql', async (req, res, next) => {
    const verified = await verifyPrincipalToken(req.header(PRINCIPAL_HEADER), opts.signingKeys);
    const principal = verified && (!verified.jti || (await opts.replayGuard.firstUse(verified.jti, verified.expiresAt))) ? verified.principal : null;
    if (!principal) {
      res.status(401).json({
        errors: [
          {
            message: `${opts.name} only answers requests forwarded by the gateway with a valid, unused signed principal (${PRINCIPAL_HEADER})`,
            extensions: { code: 'UNAUTHENTICATED' },
          },
        ],
      });
      return;
    }
    principals.set(req, principal);
    next();
  });
  app.use(
    '/graphql',
    express.json({ limit: '10mb' }),
    expressMiddleware(apollo, { context: async ({ req }) => opts.context(principals.get(req)!) }),
  );

  const ws = opts.subscriptions ? serveSubscriptions(httpServer, opts) : null;

  let port: number;
  try {
    port = await listen(httpServer, opts.port, opts.host, opts.name);
  } catch (err) {
    await apollo.stop().catch(() => undefined);
    throw err;
  }
  const url = urlFor(opts.host, port, '/graphql');
  log.info({ url }, 'subgraph listening');

  let stopping: Promise<void> | null = null;
  return {
    name: opts.name,
    url,
    port,
    stop() {
      stopping ??= (async () => {
        // Subscribers get 1001 (going away) and reconnect elsewhere, resuming with their cursor.
        await ws?.dispose();
        await apollo.stop().catch((err) => log.warn({ err: (err as Error).message }, 'apollo stop failed'));
        await closeServer(httpServer);
        await opts.close();
        log.info('subgraph stopped');
      })();
      return stopping;
    },
  };
}

/**
 * graphql-ws for a subgraph. Only the gateway connects: the connection carries a signed
 * principal, and so does every subscription (in `extensions.principal`), because one
 * upstream connection multiplexes the subscriptions of many callers.
 */
function serveSubscriptions<C extends object>(httpServer: http.Server, opts: SubgraphServerOptions<C>) {
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
  const principals = new WeakMap<object, Map<string, Principal>>();
  const cleanup = useServer(
    {
      schema: opts.schema,
      onConnect: async (ctx) => !!(await verifyPrincipal(ctx.connectionParams?.principal as string | undefined, opts.signingKeys)),
      onSubscribe: async (ctx, id, payload) => {
        const principal = await verifyPrincipal(payload.extensions?.principal as string | undefined, opts.signingKeys);
        if (!principal) return [new GraphQLError('a subscription needs a principal signed by the gateway', { extensions: { code: 'UNAUTHENTICATED' } })];
        if (!principals.has(ctx)) principals.set(ctx, new Map());
        principals.get(ctx)!.set(id, principal);
      },
      context: (ctx, id) => opts.context(principals.get(ctx)!.get(id)!),
      onComplete: (ctx, id) => {
        principals.get(ctx)?.delete(id);
      },
      isProd: opts.production,
    },
    wss,
  );
  return {
    async dispose() {
      await cleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

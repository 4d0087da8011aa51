import http from 'node:http';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocket, WebSocketServer } from 'ws';
import { GraphQLError, GraphQLFormattedError, GraphQLSchema } from 'graphql';
import { register } from 'prom-client';
import { SUBGRAPH_MAX_BODY_SIZE } from './body-limits';
import { closeServer, listen, urlFor } from './http-server';
import { logger } from './logger';
import { acceptPrincipalToken, Principal, PRINCIPAL_HEADER, ReplayGuard, SigningKey } from './principal';

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
  /** Rejects with a short reason when the service's own database is unreachable: /readyz answers 503. */
  readiness: Record<string, () => Promise<unknown>>;
  /** Dependencies the service degrades without (Redis): /readyz stays 200 and names them in `degraded`. */
  degradable?: Record<string, () => Promise<unknown>>;
  /** Closes what the subgraph opened (relay, consumers, data source, bus), after HTTP has drained. */
  close: () => Promise<void>;
  production: boolean;
  /** Refuses principal tokens used before (replays). */
  replayGuard: ReplayGuard;
  /** Extra HTTP routes outside the graph (the links subgraph's click redirect). */
  routes?: (app: express.Express) => void;
  /** Serve graphql-ws on /graphql too (events' live conversions, commissions' change log). */
  subscriptions?: boolean;
}

/** The error extensions clients see; anything else (an upstream response, a stack, serviceName) stays inside. */
export const PUBLIC_ERROR_EXTENSIONS = ['code', 'param', 'reason', 'limit', 'retryAfter', 'service'] as const;

/**
 * What leaves a service (the gateway and each subgraph) as an error:
 *  - errors that are not GraphQLErrors (a failed SQL statement, a bug, a subgraph fetch that
 *    failed) are INTERNAL_SERVER_ERROR without their message;
 *  - a subgraph's HTTP refusal as @apollo/gateway reports it ("400: Bad Request" carrying
 *    the subgraph's URL and response) is BAD_USER_INPUT with the subgraph's own message
 *    when it was a 400, INTERNAL_SERVER_ERROR otherwise;
 *  - only PUBLIC_ERROR_EXTENSIONS are kept.
 * So no URL of a subgraph, upstream response, stack trace or SQL reaches a client.
 */
export function formatError(name: string) {
  const log = logger(name);
  const internal = (formatted: GraphQLFormattedError): GraphQLFormattedError => ({
    message: 'Internal server error',
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const upstream = upstreamRefusal(formatted.extensions?.response);
    if (upstream) {
      log.warn({ status: upstream.status, url: upstream.url, upstream: upstream.message, path: formatted.path }, 'a subgraph refused a fetch');
      if (upstream.status !== 400 || !upstream.message) return internal(formatted);
      return {
        message: upstream.message,
        ...(formatted.path ? { path: formatted.path } : {}),
        extensions: { code: 'BAD_USER_INPUT', ...(upstream.param ? { param: upstream.param } : {}) },
      };
    }
    const original = unwrapResolverError(error);
    const ours = original instanceof GraphQLError && !(original.originalError && !(original.originalError instanceof GraphQLError));
    if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR' && !ours) {
      log.error({ err: original instanceof Error ? { message: original.message, stack: original.stack } : original, path: formatted.path }, 'unexpected error');
      return internal(formatted);
    }
    const extensions: Record<string, unknown> = {};
    for (const key of PUBLIC_ERROR_EXTENSIONS) if (formatted.extensions?.[key] !== undefined) extensions[key] = formatted.extensions[key];
    if (extensions.param === undefined) {
      const param = variableParam(formatted.message);
      if (param) extensions.param = param;
    }
    return { ...formatted, extensions };
  };
}

/**
 * Where a variable value graphql-js refused is (`Variable "$input" got invalid value true at
 * "input.rules[0].kind"; ...`, `Variable "$id" of required type "ID!" was not provided.`), as
 * a param: the path from the variable, `input.rules.0.kind`. Its message says it, but a
 * client acts on `param`.
 */
export function variableParam(message: string): string | undefined {
  const m = /^Variable "\$(\w+)" (?:got invalid value .*? at "([^"]+)";|got invalid value|of required type)/s.exec(message);
  if (!m) return undefined;
  return (m[2] ?? m[1]).replace(/\[(\d+)\]/g, '.$1');
}

/**
 * The refusal in an error @apollo/gateway made of a subgraph's non-2xx answer
 * (`extensions.response: { url, status, body }`), with the first GraphQL error message of
 * its body when that says nothing of URLs.
 */
function upstreamRefusal(response: unknown): { status: number; url?: string; message?: string; param?: string } | null {
  if (!response || typeof response !== 'object') return null;
  const { status, url, body } = response as { status?: unknown; url?: unknown; body?: unknown };
  if (typeof status !== 'number') return null;
  const first = body && typeof body === 'object' && Array.isArray((body as { errors?: unknown }).errors) ? ((body as { errors: unknown[] }).errors[0] as { message?: unknown; extensions?: { param?: unknown } } | undefined) : undefined;
  const message = typeof first?.message === 'string' && first.message && !/[a-z][a-z0-9+.-]*:\/\//i.test(first.message) ? first.message : undefined;
  const param = typeof first?.extensions?.param === 'string' ? first.extensions.param : undefined;
  return { status, url: typeof url === 'string' ? url : undefined, message, param };
}

/**
 * Readiness: `required` checks (the service's own database) decide the status; a failed
 * `degradable` check (Redis, another service) leaves the service ready and is named in
 * `degraded`, because the service keeps answering without it (README, "What degrades").
 */
export async function readinessReport(
  required: Record<string, () => Promise<unknown>>,
  degradable: Record<string, () => Promise<unknown>> = {},
  /** A subgraph's /readyz answers within 1 s (its degradable checks' limit), so the gateway, which asks it, waits longer. */
  degradableTimeoutMs = 1000,
): Promise<{ ok: boolean; checks: Record<string, string>; degraded: string[] }> {
  const run = (checks: Record<string, () => Promise<unknown>>, ms: number) =>
    Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), ms, `${name} did not answer within ${ms / 1000} s`);
          return [name, 'ok'] as const;
        } catch (err) {
          return [name, `down: ${(err as Error).message}`] as const;
        }
      }),
    );
  const [own, others] = await Promise.all([run(required, 2000), run(degradable, degradableTimeoutMs)]);
  return {
    ok: own.every(([, v]) => v === 'ok'),
    checks: Object.fromEntries([...own, ...others]),
    degraded: others.filter(([, v]) => v !== 'ok').map(([name]) => name),
  };
}

/** GET /readyz: 503 only when a required check fails; otherwise 200, `degraded` naming what is away. */
export function readinessHandler(service: string, required: Record<string, () => Promise<unknown>>, degradable: Record<string, () => Promise<unknown>> = {}, degradableTimeoutMs?: number) {
  return async (_req: express.Request, res: express.Response) => {
    const report = await readinessReport(required, degradable, degradableTimeoutMs);
    const status = !report.ok ? 'not ready' : report.degraded.length ? 'degraded' : 'ready';
    res.status(report.ok ? 200 : 503).json({ status, service, ...report });
  };
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
  app.get('/readyz', readinessHandler(opts.name, opts.readiness, opts.degradable));

  opts.routes?.(app);

  const principals = new WeakMap<express.Request, Principal>();
  app.use('/graphql', async (req, res, next) => {
    const principal = (await acceptPrincipalToken(req.header(PRINCIPAL_HEADER), opts.signingKeys, opts.replayGuard))?.principal;
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
    express.json({ limit: SUBGRAPH_MAX_BODY_SIZE }),
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

/** setTimeout's longest delay; a later deadline is re-checked when this one fires. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * graphql-ws for a subgraph. Only the gateway connects, with signed principals that are
 * single-use here exactly as on HTTP (the same replay guard: a token seen on either is
 * refused on both), so one captured from the gateway's traffic opens nothing:
 *  - `connection_init` carries one (`connectionParams.principal`); the connection lives
 *    until it expires. The gateway renews it before then with a fresh one in a `ping`
 *    payload (`{ principal }`, same tenant and partner); a connection not renewed in time
 *    is closed with 4401, ending its subscriptions.
 *  - every `subscribe` carries its own (`extensions.principal`), for the caller it serves:
 *    one upstream connection multiplexes the subscriptions of many callers.
 */
function serveSubscriptions<C extends object>(httpServer: http.Server, opts: SubgraphServerOptions<C>) {
  const log = logger(opts.name);
  const wss = new WebSocketServer({ server: httpServer, path: '/graphql' });
  interface Connection {
    principal: Principal;
    expiresAt: number;
    timer?: NodeJS.Timeout;
  }
  const connections = new WeakMap<object, Connection>();
  const principals = new WeakMap<object, Map<string, Principal>>();
  const accept = (token: unknown) => acceptPrincipalToken(token, opts.signingKeys, opts.replayGuard);
  const refuse = (socket: WebSocket, why: string) => socket.close(4401, `Unauthorized: ${why}`);
  /** Closes the connection when its principal lapses; renewal moves the deadline. */
  const expireAt = (socket: WebSocket, conn: Connection, expiresAt: number) => {
    clearTimeout(conn.timer);
    conn.expiresAt = expiresAt;
    const check = () => {
      const left = conn.expiresAt - Date.now();
      if (left > 0) conn.timer = setTimeout(check, Math.min(left, MAX_TIMER_MS));
      else {
        log.info('closing a WebSocket whose principal expired unrenewed');
        refuse(socket, 'the connection principal expired and was not renewed');
      }
    };
    check();
  };
  const cleanup = useServer<Record<string, unknown>>(
    {
      schema: opts.schema,
      onConnect: async (ctx) => {
        const verified = await accept(ctx.connectionParams?.principal);
        if (!verified) {
          refuse(ctx.extra.socket, 'connection_init needs a valid, unused principal signed by the gateway (connectionParams.principal)');
          return false;
        }
        const conn: Connection = { principal: verified.principal, expiresAt: verified.expiresAt };
        connections.set(ctx, conn);
        expireAt(ctx.extra.socket, conn, verified.expiresAt);
        return true;
      },
      onPing: async (ctx, payload) => {
        const conn = connections.get(ctx);
        // A plain keep-alive ping renews nothing.
        if (!conn || payload?.principal === undefined) return;
        const verified = await accept(payload.principal);
        if (!verified || verified.principal.tenantId !== conn.principal.tenantId || verified.principal.partnerId !== conn.principal.partnerId) {
          log.warn('a WebSocket renewal carried an invalid, used or foreign principal: closing the connection');
          refuse(ctx.extra.socket, 'the renewal needs a valid, unused principal for the same caller');
          return;
        }
        expireAt(ctx.extra.socket, conn, Math.max(conn.expiresAt, verified.expiresAt));
      },
      onSubscribe: async (ctx, id, payload) => {
        const conn = connections.get(ctx);
        if (!conn || conn.expiresAt <= Date.now()) {
          refuse(ctx.extra.socket, 'the connection principal expired and was not renewed');
          return [new GraphQLError('the connection principal expired', { extensions: { code: 'UNAUTHENTICATED' } })];
        }
        const verified = await accept(payload.extensions?.principal);
        if (!verified) return [new GraphQLError('a subscription needs its own valid, unused principal signed by the gateway (extensions.principal)', { extensions: { code: 'UNAUTHENTICATED' } })];
        if (!principals.has(ctx)) principals.set(ctx, new Map());
        principals.get(ctx)!.set(id, verified.principal);
      },
      context: (ctx, id) => opts.context(principals.get(ctx)!.get(id)!),
      onComplete: (ctx, id) => {
        principals.get(ctx)?.delete(id);
      },
      onClose: (ctx) => {
        clearTimeout(connections.get(ctx)?.timer);
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

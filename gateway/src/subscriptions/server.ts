import http from 'node:http';
import { buildOperationContext, executeQueryPlan, GraphQLDataSource, ServiceMap } from '@apollo/gateway';
import { FetchNode, QueryPlan, SubscriptionNode } from '@apollo/query-planner';
import { DocumentNode, ExecutionArgs, ExecutionResult, getOperationAST, GraphQLError, GraphQLFormattedError, GraphQLSchema, OperationDefinitionNode, parse, print, validate } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { Counter, Gauge } from 'prom-client';
import { WebSocketServer } from 'ws';
import { formatError, logger, Principal } from '../../../subgraphs/shared/src';
import { CredentialCheck } from '../auth/key-store';
import { GatewayContext, PrincipalSigner } from '../auth/principal-forwarding';
import { DocumentLimits, documentLimitErrors } from '../limits/document-limits';
import { preParseError, unresolvedOperation } from '../operation-checks';
import { SubscriptionPlanner } from './planner';
import { UpstreamSubscriptions } from './upstream';
import { refuseLegacyClients } from './legacy-protocol';

export interface SubscriptionLimits {
  perConnection: number;
  perTenantConnections: number;
  /** The HTTP endpoint's depth, alias and cost limits, applied to every subscription too. */
  document: DocumentLimits;
}

export const metrics = {
  connections: new Gauge({ name: 'gateway_ws_connections', help: 'Open graphql-ws connections' }),
  subscriptions: new Gauge({ name: 'gateway_ws_subscriptions', help: 'Active subscriptions' }),
  delivered: new Counter({ name: 'gateway_ws_messages_delivered_total', help: 'Subscription messages sent to clients' }),
};

/** A connection needs one of them: events:read (conversionRecorded) or commissions:read (commissionChanged). */
const LIVE_SCOPES = ['events:read', 'commissions:read'] as const;

interface ConnectionState {
  principal?: Principal;
  active: number;
}

function credentialOf(params: Record<string, unknown> | undefined, upgrade: http.IncomingMessage): string | null {
  const p = params ?? {};
  for (const k of ['apiKey', 'x-api-key', 'X-API-Key', 'token']) if (typeof p[k] === 'string' && p[k]) return p[k] as string;
  const auth = (p.authorization ?? p.Authorization ?? upgrade.headers.authorization) as string | undefined;
  const m = auth ? /^Bearer\s+(.+)$/i.exec(auth.trim()) : null;
  if (m) return m[1];
  const header = upgrade.headers['x-api-key'];
  return typeof header === 'string' && header ? header : null;
}

/**
 * graphql-ws on the gateway's /graphql. A subscription's primary field runs on the owning
 * subgraph over one multiplexed upstream connection; for each event the rest of the plan
 * (fields of other subgraphs) runs through @apollo/gateway's executor, with the primary
 * fetch answered locally by the event itself.
 */
export function serveSubscriptions(opts: {
  httpServer: http.Server;
  checkCredential: (credential: string) => Promise<CredentialCheck>;
  /** Counts a credential that does not exist against the upgrade's address: seconds to wait when over the limit, else 0. */
  unknownCredential: (request: http.IncomingMessage) => Promise<number>;
  signer: PrincipalSigner;
  planner: SubscriptionPlanner;
  dataSources: Record<string, GraphQLDataSource<GatewayContext>>;
  subgraphUrls: Record<string, string>;
  upstream: UpstreamSubscriptions;
  limits: SubscriptionLimits;
  /** The HTTP endpoint's argument checks (custom scalars, no NUL character); throws BAD_USER_INPUT. */
  checkInputs?: (schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>) => void;
}) {
  const log = logger('gateway.subscriptions');
  const format = formatError('gateway');
  const restResults = new RestResults();
  const wss = new WebSocketServer({ server: opts.httpServer, path: '/graphql' });
  const perTenant = new Map<string, number>();
  const states = new WeakMap<object, ConnectionState>();
  const stateOf = (ctx: object) => {
    let s = states.get(ctx);
    if (!s) states.set(ctx, (s = { active: 0 }));
    return s;
  };

  const cleanup = useServer<Record<string, unknown>, { request: http.IncomingMessage }>(
    {
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        const credential = credentialOf(ctx.connectionParams, ctx.extra.request);
        const check = credential ? await opts.checkCredential(credential) : null;
        if (check?.status !== 'valid') {
          // Guessed credentials from an address over AUTH_FAILURES_PER_MINUTE: 4429, the
          // WebSocket form of HTTP 429 (close reasons are short; the wait is in seconds).
          const wait = check?.status === 'unknown' ? await opts.unknownCredential(ctx.extra.request) : 0;
          if (wait) socket.close(4429, `Too many failed authentication attempts from this address; retry after ${wait} s`);
          else socket.close(4401, credential ? 'Unauthorized: the API key is unknown, revoked or expired' : 'Unauthorized: send connectionParams { apiKey } or { authorization: "Bearer <key>" }');
          return false;
        }
        const { principal } = check;
        // Each subscription's own scope is checked by the subgraph that owns its field.
        if (!LIVE_SCOPES.some((scope) => principal.scopes.includes(scope))) {
          socket.close(4403, `Forbidden: live streams need the scope ${LIVE_SCOPES.join(' or ')}`);
          return false;
        }
        const open = perTenant.get(principal.tenantId) ?? 0;
        if (open >= opts.limits.perTenantConnections) {
          socket.close(4429, `Too many connections: at most ${opts.limits.perTenantConnections} per tenant`);
          return false;
        }
        perTenant.set(principal.tenantId, open + 1);
        stateOf(ctx).principal = principal;
        metrics.connections.inc();
        return true;
      },
      onClose: (ctx) => {
        const s = states.get(ctx);
        if (!s?.principal) return;
        perTenant.set(s.principal.tenantId, Math.max(0, (perTenant.get(s.principal.tenantId) ?? 1) - 1));
        metrics.connections.dec();
      },
      onSubscribe: (ctx, _id, payload) => {
        const s = stateOf(ctx);
        if (s.active >= opts.limits.perConnection) {
          return [new GraphQLError(`at most ${opts.limits.perConnection} active subscriptions per connection`, { extensions: { code: 'RATE_LIMITED' } })];
        }
        const refused = preParseError(payload.query);
        if (refused) return [refused];
        let document;
        try {
          document = parse(payload.query);
        } catch (err) {
          // `http` is the status for HTTP answers; a WebSocket message has none.
          const { http: _status, ...extensions } = (err as GraphQLError).extensions ?? {};
          return [new GraphQLError((err as GraphQLError).message, { extensions })];
        }
        const errors = validate(opts.planner.apiGraphQLSchema, document);
        if (errors.length) return errors;
        const overLimits = documentLimitErrors(document, payload.variables, opts.limits.document);
        if (overLimits.length) return overLimits;
        const op = getOperationAST(document, payload.operationName);
        if (!op) return [new GraphQLError(unresolvedOperation(document, payload.operationName), { extensions: { code: 'BAD_REQUEST' } })];
        if (op.operation !== 'subscription') return [new GraphQLError('only subscriptions are served over WebSocket; send queries and mutations with HTTP POST')];
        try {
          opts.checkInputs?.(opts.planner.apiGraphQLSchema, document, op, payload.variables ?? {});
        } catch (err) {
          // `http` is the status for HTTP answers; a WebSocket message has none.
          const { http: _status, ...extensions } = (err as GraphQLError).extensions ?? {};
          return [new GraphQLError((err as GraphQLError).message, { extensions })];
        }
        const principal = s.principal!;
        s.active++;
        const contextValue: GatewayContext & { connection: ConnectionState } = { principal, principalToken: () => opts.signer.token(principal), connection: s };
        return { schema: opts.planner.apiGraphQLSchema, document, operationName: payload.operationName ?? undefined, variableValues: payload.variables ?? {}, contextValue };
      },
      subscribe: (args) => federatedSubscription(args, (args.contextValue as { connection: ConnectionState }).connection, { ...opts, restResults }),
      // Errors beside an event's data leave formatted like on HTTP (codes kept, no subgraph
      // URL): the executor also reports plain Errors, which graphql-ws cannot serialise.
      onNext: (_ctx, _id, _payload, _args, result) => (result.errors?.length ? { ...result, errors: result.errors.map((e) => format(formattedOf(e), e)) } : undefined),
      onComplete: () => undefined,
    },
    wss,
    12_000,
  );
  refuseLegacyClients(wss);
  return {
    async dispose() {
      // 1001 "going away": clients reconnect (to another replica) and resume with their cursor.
      await cleanup.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await opts.upstream.dispose();
      log.info('subscriptions stopped');
    },
  };
}

/** An error as Apollo Server hands it to formatError: what is not a GraphQLError is INTERNAL_SERVER_ERROR. */
function formattedOf(error: unknown): GraphQLFormattedError {
  if (error instanceof GraphQLError) {
    const json = error.toJSON();
    return json.extensions?.code ? json : { ...json, extensions: { ...json.extensions, code: 'INTERNAL_SERVER_ERROR' } };
  }
  const e = (error ?? {}) as { message?: unknown; path?: unknown; extensions?: Record<string, unknown> };
  const code = e.extensions?.code ?? 'INTERNAL_SERVER_ERROR';
  return { message: typeof e.message === 'string' ? e.message : String(error), ...(Array.isArray(e.path) ? { path: e.path } : {}), extensions: { ...e.extensions, code } };
}

const principalKey = (p: Principal) => JSON.stringify([p.tenantId, p.partnerId ?? '', [...p.scopes].sort()]);

/** Results of the rest of a plan for one event, shared by its subscribers for a few seconds. */
class RestResults {
  private readonly entries = new Map<string, { at: number; value: Promise<ExecutionResult> }>();
  constructor(private readonly ttlMs = 5000, private readonly max = 10_000) {}

  get(key: string): Promise<ExecutionResult> | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (Date.now() - e.at > this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  set(key: string, value: Promise<ExecutionResult>): void {
    if (this.entries.size >= this.max) {
      const cutoff = Date.now() - this.ttlMs;
      for (const [k, e] of this.entries) if (e.at < cutoff) this.entries.delete(k);
      if (this.entries.size >= this.max) this.entries.clear();
    }
    this.entries.set(key, { at: Date.now(), value });
  }
}

/** Ends an upstream stream that broke with one error message instead of a dropped socket. */
async function* interrupted<T>(iterator: AsyncIterable<T>): AsyncGenerator<T | { data?: undefined; errors: { message: string; extensions: Record<string, unknown> }[] }> {
  try {
    yield* iterator;
  } catch (err) {
    const message = Array.isArray(err) ? err.map((e) => e.message).join('; ') : (err as Error)?.message ?? String(err);
    yield {
      errors: [
        {
          message: `the live stream was interrupted (${message || 'upstream closed'}); subscribe again with after: <the last cursor you received>`,
          extensions: { code: 'STREAM_INTERRUPTED' },
        },
      ],
    };
  }
}

async function* federatedSubscription(
  args: ExecutionArgs,
  connection: ConnectionState,
  opts: Parameters<typeof serveSubscriptions>[0] & { restResults: RestResults },
): AsyncGenerator<ExecutionResult> {
  const context = args.contextValue as GatewayContext;
  const query = print(args.document);
  const plan = opts.planner.plan(args.document, args.operationName ?? undefined, `${args.operationName ?? ''}:${query}`);
  const node = plan.node as SubscriptionNode | undefined;
  if (node?.kind !== 'Subscription') {
    connection.active--;
    yield { errors: [new GraphQLError('the operation did not plan as a subscription')] };
    return;
  }
  const primary: FetchNode = node.primary;
  const variables = (args.variableValues ?? {}) as Record<string, unknown>;
  const upstreamVars = Object.fromEntries((primary.variableUsages ?? []).filter((v) => v in variables).map((v) => [v, variables[v]]));
  // The subgraph that owns the root field (events for conversionRecorded, commissions for commissionChanged).
  const upstreamUrl = opts.subgraphUrls[primary.serviceName];
  if (!upstreamUrl) {
    connection.active--;
    yield { errors: [new GraphQLError('the subgraph that serves this subscription is not configured on this gateway')] };
    return;
  }
  const iterator = opts.upstream.client(upstreamUrl).iterate({
    query: primary.operation,
    variables: upstreamVars,
    extensions: { principal: await opts.upstream.principalToken(context.principal) },
  });
  const operationContext = buildOperationContext({ schema: opts.planner.apiGraphQLSchema, operationDocument: args.document, operationName: args.operationName ?? undefined });
  const restPlan: QueryPlan = { kind: 'QueryPlan', node: node.rest ? { kind: 'Sequence', nodes: [primary, node.rest] } : primary };
  metrics.subscriptions.inc();
  try {
    for await (const event of interrupted(iterator)) {
      if (!event.data) {
        yield { errors: (event.errors ?? []).map((e) => new GraphQLError(e.message, { extensions: e.extensions })) };
        continue;
      }
      // Every subscriber with the same document, variables and credential scope gets the same
      // answer for an event: run the rest of the plan once, not once per subscriber.
      const shareKey = `${query}\u0000${JSON.stringify(variables)}\u0000${principalKey(context.principal)}\u0000${JSON.stringify(event.data)}`;
      const shared = opts.restResults.get(shareKey);
      if (shared) {
        metrics.delivered.inc();
        yield await shared;
        continue;
      }
      const local: GraphQLDataSource<GatewayContext> = {
        process: async (request) => (request.request.query === primary.operation ? { data: event.data as Record<string, unknown> } : opts.dataSources[primary.serviceName].process(request)),
      };
      const serviceMap: ServiceMap = { ...opts.dataSources, [primary.serviceName]: local };
      const running = executeQueryPlan(
        restPlan,
        serviceMap,
        { request: { query, variables, operationName: args.operationName ?? undefined }, context, logger: console, metrics: {}, cache: undefined as never, overallCachePolicy: undefined as never } as never,
        operationContext,
        opts.planner.supergraphSchema,
        opts.planner.apiSchema,
      ).then(
        (result): ExecutionResult => ({ data: result.data as Record<string, unknown>, ...(result.errors?.length ? { errors: result.errors as GraphQLError[] } : {}) }),
        // One event the rest of the plan failed for: an error for it, and the stream goes on.
        (err): ExecutionResult => ({ errors: [err as GraphQLError] }),
      );
      opts.restResults.set(shareKey, running);
      metrics.delivered.inc();
      yield await running;
    }
  } finally {
    metrics.subscriptions.dec();
    connection.active--;
  }
}

import { Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { logger, Principal, signingKey, signPrincipal, SigningKey } from '../../../subgraphs/shared/src';

export interface UpstreamOptions {
  /** Lifetime of each principal the gateway signs for an upstream connection or subscription. */
  ttlSeconds?: number;
  /** How often an open upstream connection is renewed with a fresh principal (well inside ttlSeconds). */
  renewEveryMs?: number;
}

/** The principal of the upstream connection itself: the gateway, no tenant, no scopes. */
const GATEWAY: Principal = { tenantId: 'gateway', scopes: [] };

/**
 * One graphql-ws connection per subgraph, multiplexing every client subscription the
 * gateway forwards to it. Principals are single-use at the subgraph, so each carries a
 * fresh one: `connection_init`, every `subscribe` (`extensions.principal`, for the caller)
 * and, while the connection is open, a renewal every `renewEveryMs` (a `ping` with
 * `{ principal }`): the subgraph closes a connection whose principal lapses, so a live
 * stream lasts as long as the gateway keeps renewing it and no longer.
 */
export class UpstreamSubscriptions {
  private readonly clients = new Map<string, Client>();
  private readonly renewals = new Map<string, NodeJS.Timeout>();
  private readonly log = logger('gateway.upstream');
  private readonly key: SigningKey;
  private readonly ttlSeconds: number;
  private readonly renewEveryMs: number;

  constructor(principalSecret: string, opts: UpstreamOptions = {}) {
    this.key = signingKey(principalSecret);
    this.ttlSeconds = opts.ttlSeconds ?? 60;
    this.renewEveryMs = opts.renewEveryMs ?? 20_000;
  }

  client(graphqlUrl: string): Client {
    let client = this.clients.get(graphqlUrl);
    if (!client) {
      const url = graphqlUrl.replace(/^http/, 'ws');
      client = createClient({
        url,
        webSocketImpl: WebSocket,
        lazy: true,
        lazyCloseTimeout: 5000,
        keepAlive: 10_000,
        // No silent re-subscription: it would skip what happened while disconnected. An
        // interrupted stream ends with an error, and the client resumes with its cursor.
        retryAttempts: 0,
        connectionParams: async () => ({ principal: await signPrincipal(GATEWAY, this.key, this.ttlSeconds) }),
        on: {
          connected: (socket) => this.renew(url, socket as WebSocket),
          closed: (event) => {
            this.stopRenewing(url);
            this.log.debug({ url, code: (event as { code?: number })?.code }, 'upstream subscription connection closed');
          },
        },
      });
      this.clients.set(graphqlUrl, client);
    }
    return client;
  }

  /** A fresh single-use principal for one subscription of `principal`'s caller. */
  async principalToken(principal: Principal): Promise<string> {
    return signPrincipal(principal, this.key, this.ttlSeconds);
  }

  private renew(url: string, socket: WebSocket): void {
    this.stopRenewing(url);
    const timer = setInterval(() => {
      signPrincipal(GATEWAY, this.key, this.ttlSeconds)
        .then((principal) => {
          if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'ping', payload: { principal } }));
        })
        .catch((err) => this.log.warn({ url, err: (err as Error).message }, 'renewing the upstream connection failed'));
    }, this.renewEveryMs);
    timer.unref();
    this.renewals.set(url, timer);
  }

  private stopRenewing(url: string): void {
    clearInterval(this.renewals.get(url));
    this.renewals.delete(url);
  }

  async dispose(): Promise<void> {
    for (const url of [...this.renewals.keys()]) this.stopRenewing(url);
    await Promise.allSettled([...this.clients.values()].map((c) => c.dispose()));
    this.clients.clear();
  }
}

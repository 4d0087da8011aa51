import { Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { logger, Principal, signingKey, signPrincipal, SigningKey } from '../../../subgraphs/shared/src';

/**
 * One graphql-ws connection per subgraph, multiplexing every client subscription the
 * gateway forwards to it. The connection and each subscription carry a signed principal.
 */
export class UpstreamSubscriptions {
  private readonly clients = new Map<string, Client>();
  private readonly log = logger('gateway.upstream');
  private readonly key: SigningKey;

  constructor(principalSecret: string) {
    this.key = signingKey(principalSecret);
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
        connectionParams: async () => ({ principal: await signPrincipal({ tenantId: 'gateway', scopes: [] }, this.key, 300) }),
        on: { closed: (event) => this.log.debug({ url, code: (event as { code?: number })?.code }, 'upstream subscription connection closed') },
      });
      this.clients.set(graphqlUrl, client);
    }
    return client;
  }

  async principalToken(principal: Principal): Promise<string> {
    return signPrincipal(principal, this.key, 300);
  }

  async dispose(): Promise<void> {
    await Promise.allSettled([...this.clients.values()].map((c) => c.dispose()));
    this.clients.clear();
  }
}

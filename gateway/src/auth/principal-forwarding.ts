import { GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { Principal, PRINCIPAL_HEADER, SigningKey, signPrincipal } from '../../../subgraphs/shared/src';

export interface GatewayContext {
  principal: Principal;
  /** Signed once per request, lazily, and reused for every subgraph fetch of it. */
  principalToken: () => Promise<string>;
}

/**
 * Signs principals and caches the token per credential for half its lifetime, so a
 * request does not pay for an HMAC per subgraph fetch.
 */
export class PrincipalSigner {
  private readonly cache = new Map<string, { token: string; until: number }>();
  constructor(
    private readonly key: SigningKey,
    private readonly ttlSeconds = 60,
  ) {}

  async token(principal: Principal): Promise<string> {
    const cacheKey = JSON.stringify([principal.tenantId, principal.partnerId ?? '', principal.credentialId ?? '', principal.scopes]);
    const now = Date.now();
    const hit = this.cache.get(cacheKey);
    if (hit && hit.until > now) return hit.token;
    const token = await signPrincipal(principal, this.key, this.ttlSeconds);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(cacheKey, { token, until: now + (this.ttlSeconds * 1000) / 2 });
    return token;
  }
}

/** Forwards the caller's signed principal with every subgraph fetch. */
export class PrincipalForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    if (context && 'principalToken' in context && typeof context.principalToken === 'function') {
      request.http?.headers.set(PRINCIPAL_HEADER, await context.principalToken());
    }
  }
}

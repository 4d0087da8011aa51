import { GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { Principal, PRINCIPAL_HEADER, SigningKey, signPrincipal } from '../../../subgraphs/shared/src';
import { BATCH_HEADER } from '../http/subgraph-fetcher';
import { serviceUnavailable, subgraphAway } from '../degrade/service-unavailable';

export interface GatewayContext {
  principal: Principal;
  /** A freshly signed, single-use principal token (one per subgraph fetch). */
  principalToken: () => Promise<string>;
  /**
   * Unique to one incoming request: its subgraph fetches that leave together for one
   * subgraph may share one HTTP request (see subgraph-fetcher.ts). Unset: never batched.
   */
  batchKey?: string;
}

/**
 * Signs principals: a fresh single-use token for every subgraph fetch (subgraphs refuse a
 * token id they have seen), so a header captured between gateway and subgraph is worthless.
 */
export class PrincipalSigner {
  constructor(
    private readonly key: SigningKey,
    private readonly ttlSeconds = 60,
  ) {}

  token(principal: Principal): Promise<string> {
    return signPrincipal(principal, this.key, this.ttlSeconds);
  }
}

/** Forwards the caller's signed principal with every subgraph fetch. */
export class PrincipalForwardingDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  /** The subgraph's name, for errors that must not carry its URL. */
  declare readonly serviceName?: string;

  constructor(config: Partial<RemoteGraphQLDataSource<GatewayContext>> & { serviceName?: string }) {
    super(config);
  }

  /** A subgraph that is away costs its own fields only: SERVICE_UNAVAILABLE beside them (degrade/). */
  didEncounterError(error: Error, _request: unknown, response?: { status: number }): void {
    if (this.serviceName && subgraphAway(response)) throw serviceUnavailable(this.serviceName, error);
    throw error;
  }

  async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    if (context && 'principalToken' in context && typeof context.principalToken === 'function') {
      request.http?.headers.set(PRINCIPAL_HEADER, await context.principalToken());
      if (context.batchKey) request.http?.headers.set(BATCH_HEADER, context.batchKey);
    }
  }
}

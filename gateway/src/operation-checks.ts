import type { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, GraphQLError, Kind } from 'graphql';

/**
 * Which operation of the document runs, and whether HTTP can run it: an unknown
 * `operationName` and a subscription sent as a POST went on to the gateway's executor,
 * which failed them as HTTP 500. Both are the caller's mistake: 400 with what to do.
 */
export function operationChecksPlugin(): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request }) {
          if (!operation) throw badRequest(unresolvedOperation(document, request.operationName));
          if (operation.operation === 'subscription') {
            throw badRequest(
              'subscriptions are served over WebSocket only: connect to ws(s)://<gateway>/graphql with the graphql-ws protocol (graphql-transport-ws); HTTP POST runs queries and mutations',
            );
          }
        },
      };
    },
  };
}

/** Why no operation of the document was chosen, naming the ones it holds. */
export function unresolvedOperation(document: DocumentNode, operationName: string | null | undefined): string {
  const names = document.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION ? [d.name?.value ?? '(unnamed)'] : []));
  if (!names.length) return 'the document holds no operation (only fragments)';
  if (operationName) return `the document has no operation named "${operationName}"; operationName must be one of: ${names.join(', ')}`;
  return `the document holds ${names.length} operations (${names.join(', ')}): name the one to run in operationName`;
}

function badRequest(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
}

import type { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, GraphQLError, Kind, Lexer, Source, TokenKind } from 'graphql';

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

export const DEFER_NOT_SUPPORTED =
  'the @defer directive is not supported: this gateway has no incremental delivery (every answer comes whole, in one response). Send the query without @defer, or split it into two queries (the fast fields first); for data that changes, use a subscription';

/**
 * A document using `@defer`, refused with what to do instead; null otherwise. The engine
 * (@apollo/gateway) has no incremental delivery, so the supergraph declares no @defer and
 * GraphQL validation would answer only "Unknown directive". Read from the tokens, so a
 * "@defer" inside a string or a comment is not one; syntax errors are the parser's to report.
 */
export function deferError(source: string): GraphQLError | null {
  if (!source.includes('defer')) return null;
  const lexer = new Lexer(new Source(source));
  try {
    let afterAt = false;
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (afterAt && token.kind === TokenKind.NAME && token.value === 'defer') {
        return new GraphQLError(DEFER_NOT_SUPPORTED, { extensions: { code: 'BAD_REQUEST', reason: 'defer_not_supported' } });
      }
      afterAt = token.kind === TokenKind.AT;
    }
  } catch {
    return null;
  }
  return null;
}

function badRequest(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
}

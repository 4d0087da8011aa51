import type { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, GraphQLError, Kind, Lexer, Source, TokenKind } from 'graphql';
import { MAX_SOURCE_NESTING, sourceNestingLimit } from './limits/document-limits';

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
 * The checks that must run on the raw query before Apollo parses it, in one lexer pass (every request pays
 * it): nesting deeper than MAX_SOURCE_NESTING (the parser would overflow the call stack; document-limits.ts)
 * and `@defer` (no incremental delivery on this engine). A directive named defer inside a string or a
 * comment is no token and does not count; a source the lexer refuses is left to the parser's own error.
 */
export function preParseError(source: string): GraphQLError | null {
  const lexer = new Lexer(new Source(source));
  let depth = 0;
  let afterAt = false;
  try {
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (token.kind === TokenKind.BRACE_L || token.kind === TokenKind.BRACKET_L || token.kind === TokenKind.PAREN_L) {
        if (++depth > MAX_SOURCE_NESTING) return sourceNestingLimit();
      } else if (token.kind === TokenKind.BRACE_R || token.kind === TokenKind.BRACKET_R || token.kind === TokenKind.PAREN_R) depth--;
      else if (afterAt && token.kind === TokenKind.NAME && token.value === 'defer') {
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

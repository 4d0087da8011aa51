import fs from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { PRINCIPAL_HEADER } from '../../subgraphs/shared/src';

/**
 * The stock @apollo/gateway for the gateway benchmark: default settings on the given
 * supergraph, served the way Apollo's documentation starts it. The one addition is
 * forwarding the caller's signed principal header, without which the subgraphs answer
 * nothing. Usage: node stock-gateway.js <supergraph file> <port>
 */
const [file, port] = process.argv.slice(2);

class ForwardPrincipal extends RemoteGraphQLDataSource<{ principal?: string }> {
  override willSendRequest({ request, context }: Parameters<NonNullable<RemoteGraphQLDataSource['willSendRequest']>>[0] & { context: { principal?: string } }) {
    if (context.principal) request.http!.headers.set(PRINCIPAL_HEADER, context.principal);
  }
}

async function main() {
  const gateway = new ApolloGateway({ supergraphSdl: fs.readFileSync(file, 'utf8'), buildService: ({ url }) => new ForwardPrincipal({ url }) });
  const server = new ApolloServer({ gateway });
  const { url } = await startStandaloneServer(server, {
    listen: { host: '127.0.0.1', port: Number(port) },
    context: async ({ req }) => ({ principal: req.headers[PRINCIPAL_HEADER] as string | undefined }),
  });
  console.log(`stock @apollo/gateway ready at ${url}`);
  process.on('SIGTERM', () => void server.stop().then(() => process.exit(0)));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

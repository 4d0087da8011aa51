import fs from 'node:fs';
import http from 'node:http';
import { PRINCIPAL_HEADER } from '../../subgraphs/shared/src';

/**
 * GraphQL Hive Gateway (@graphql-hive/gateway) for the gateway benchmark: its runtime
 * with default settings on the given supergraph, on Node's HTTP server in one process
 * (like ours and the stock gateway: no worker forks). The one addition is forwarding
 * the caller's signed principal header to the subgraphs.
 * Usage: node hive-gateway.js <supergraph file> <port>
 */
const [file, port] = process.argv.slice(2);

interface HiveRuntime {
  (req: http.IncomingMessage, res: http.ServerResponse): void;
  dispose(): Promise<void> | void;
}
// Required without its types: they widen graphql's error extensions for the whole program
// (graphql-yoga's `http.headers` as a record) and would clash with Apollo Server's.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createGatewayRuntime } = require('@graphql-hive/gateway') as { createGatewayRuntime: (config: object) => HiveRuntime };

const gateway = createGatewayRuntime({
  supergraph: fs.readFileSync(file, 'utf8'),
  propagateHeaders: { fromClientToSubgraphs: ({ request }: { request: Request }) => ({ [PRINCIPAL_HEADER]: request.headers.get(PRINCIPAL_HEADER) }) },
});
const server = http.createServer(gateway);
server.on('error', (err) => {
  console.error(err);
  process.exit(1);
});
server.listen(Number(port), '127.0.0.1', () => console.log(`Hive Gateway ready at http://127.0.0.1:${port}/graphql`));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void Promise.resolve(gateway.dispose()).then(() => process.exit(0));
});

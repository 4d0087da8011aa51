import http from 'node:http';
import { AddressInfo } from 'node:net';
import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { parse } from 'graphql';
import { configureLogger } from '../../subgraphs/shared/src/logger';
import { formatError } from '../../subgraphs/shared/src/server';
import { subgraphFetcher } from '../../gateway/src/http/subgraph-fetcher';

/**
 * What a client sees when a subgraph refuses or fails: a real @apollo/gateway in front of
 * a stand-in subgraph that answers each operation as told (by its `how` argument).
 */
describe("the gateway's error format", () => {
  let subgraph: http.Server;
  let subgraphUrl: string;
  let server: ApolloServer;
  let fetcher: ReturnType<typeof subgraphFetcher>;
  const answers: Record<string, [number, unknown]> = {
    scalar400: [400, { errors: [{ message: 'Decimal must be a decimal number such as "20.00"; got "abc"', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] }],
    variable400: [400, { errors: [{ message: 'Variable "$representations" got invalid value "x"; Expected type', extensions: { code: 'BAD_USER_INPUT', param: 'input.amount' } }] }],
    urlIn400: [400, { errors: [{ message: 'cannot reach http://10.0.0.7:4002/graphql' }] }],
    bare400: [400, 'Bad Request'],
    gone502: [502, { errors: [{ message: 'upstream connect error at postgres://db:5432' }] }],
    refused401: [401, { errors: [{ message: 'only answers requests forwarded by the gateway', extensions: { code: 'UNAUTHENTICATED' } }] }],
    notFound: [200, { data: { echo: null }, errors: [{ message: 'no partner with id x', path: ['echo'], extensions: { code: 'NOT_FOUND', param: 'id', reason: 'partner_not_found', exception: { stacktrace: ['Error: at /app/x.js:1'] }, debug: 'SELECT * FROM partners' } }] }],
  };

  beforeAll(async () => {
    configureLogger('silent');
    subgraph = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const how = /how:\s*"?(\w+)/.exec(JSON.parse(body).query)?.[1] ?? '';
        if (how === 'hang') return; // never answers: the gateway's fetch times out
        const [status, answer] = answers[how] ?? [200, { data: { echo: how } }];
        res.writeHead(status, { 'content-type': typeof answer === 'string' ? 'text/plain' : 'application/json' });
        res.end(typeof answer === 'string' ? answer : JSON.stringify(answer));
      });
    });
    await new Promise<void>((r) => subgraph.listen(0, '127.0.0.1', () => r()));
    subgraphUrl = `http://127.0.0.1:${(subgraph.address() as AddressInfo).port}/graphql`;
    const composed = composeServices([
      { name: 'echo', url: subgraphUrl, typeDefs: parse(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"]) type Query { echo(how: String): String }`) },
    ]);
    if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('; '));
    // The gateway's own HTTP client, as in production, so its timeout error is the real one.
    fetcher = subgraphFetcher({ timeoutMs: 300 });
    const gateway = new ApolloGateway({ supergraphSdl: composed.supergraphSdl, buildService: ({ url }) => new RemoteGraphQLDataSource({ url, fetcher }) });
    server = new ApolloServer({ gateway, formatError: formatError('gateway'), includeStacktraceInErrorResponses: false });
    await server.start();
  });
  afterAll(async () => {
    await server?.stop();
    fetcher?.close();
    subgraph.closeAllConnections();
    await new Promise((r) => subgraph.close(r));
  });

  async function errorsFor(how: string) {
    const res = await server.executeOperation({ query: `{ echo(how: "${how}") }` });
    if (res.body.kind !== 'single') throw new Error('expected a single result');
    const errors = res.body.singleResult.errors ?? [];
    const text = JSON.stringify(errors);
    // Never the subgraph's address, its response, a stack, SQL or the service name.
    for (const leak of ['http://', '127.0.0.1', 'response', 'stack', 'SELECT', 'postgres://', 'serviceName', 'Bad Request']) expect({ how, leak, found: text.includes(leak) }).toEqual({ how, leak, found: false });
    return errors;
  }

  it("a subgraph's 400 is BAD_USER_INPUT with the subgraph's own message, and its param when it names one", async () => {
    expect(await errorsFor('scalar400')).toEqual([{ message: 'Decimal must be a decimal number such as "20.00"; got "abc"', extensions: { code: 'BAD_USER_INPUT' } }]);
    expect(await errorsFor('variable400')).toEqual([{ message: 'Variable "$representations" got invalid value "x"; Expected type', extensions: { code: 'BAD_USER_INPUT', param: 'input.amount' } }]);
  });

  it('a 400 whose message names a URL or has no GraphQL errors, any other refusal, and a subgraph that times out are INTERNAL_SERVER_ERROR without details', async () => {
    for (const how of ['urlIn400', 'bare400', 'gone502', 'refused401', 'hang']) {
      const errors = await errorsFor(how);
      expect({ how, errors }).toEqual({ how, errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
    }
  });

  it("a subgraph's own errors keep code, param and reason only", async () => {
    expect(await errorsFor('notFound')).toEqual([{ message: 'no partner with id x', path: ['echo'], extensions: { code: 'NOT_FOUND', param: 'id', reason: 'partner_not_found' } }]);
  });
});

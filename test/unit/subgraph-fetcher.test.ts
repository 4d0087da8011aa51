import http from 'node:http';
import { AddressInfo } from 'node:net';
import { RemoteGraphQLDataSource } from '@apollo/gateway';
// The enum is not re-exported from the package root.
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import { subgraphFetcher, SubgraphFetcher } from '../../gateway/src/http/subgraph-fetcher';
import { freePort } from '../helpers/harness';

/** The gateway's HTTP client for subgraph fetches, against real HTTP servers on loopback. */
async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('subgraph fetcher', () => {
  const seen: { method?: string; url?: string; headers: http.IncomingHttpHeaders; body: string; port?: number }[] = [];
  let server: http.Server;
  let origin: string;
  let fetcher: SubgraphFetcher;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, headers: req.headers, body, port: req.socket.remotePort });
        if (req.url === '/slow') return; // never answers
        if (req.url === '/down') {
          res.writeHead(503, 'Service Unavailable', { 'content-type': 'text/plain' }).end('maintenance');
          return;
        }
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'max-age=30' });
        res.end(JSON.stringify({ data: { echo: body ? JSON.parse(body) : null, word: 'grüße' } }));
      });
    });
    origin = await listen(server);
    fetcher = subgraphFetcher({ timeoutMs: 300 });
  });
  afterAll(async () => {
    fetcher.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('posts the body and headers and gives back status, headers and the parsed JSON', async () => {
    const body = JSON.stringify({ query: '{ x }', variables: { name: 'ü' } });
    const res = await fetcher(`${origin}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gateway-principal': 'tok' }, body });
    const sent = seen[seen.length - 1];
    expect(sent).toMatchObject({ method: 'POST', url: '/graphql', body });
    expect(sent.headers['x-gateway-principal']).toBe('tok');
    expect(sent.headers['content-length']).toBe(String(Buffer.byteLength(body)));
    expect(res.status).toBe(200);
    expect(res.ok).toBe(true);
    expect(res.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('set-cookie')).toBe('a=1, b=2');
    expect(res.headers.has('cache-control')).toBe(true);
    expect(res.headers.get('x-missing')).toBeNull();
    expect(await res.json()).toEqual({ data: { echo: { query: '{ x }', variables: { name: 'ü' } }, word: 'grüße' } });
    await expect(res.text()).rejects.toThrow('already been read');
  });

  it('keeps connections alive: consecutive fetches reuse one socket', async () => {
    const before = seen.length;
    for (let i = 0; i < 3; i++) await (await fetcher(`${origin}/graphql`, { method: 'POST', body: '{}' })).text();
    const ports = new Set(seen.slice(before).map((s) => s.port));
    expect(ports.size).toBe(1);
  });

  it('passes an error status through with its text and clones an unread answer', async () => {
    const res = await fetcher(`${origin}/down`, { method: 'POST', body: '{}' });
    expect(res.ok).toBe(false);
    expect(res.status).toBe(503);
    expect(res.statusText).toBe('Service Unavailable');
    const copy = res.clone();
    expect(await res.text()).toBe('maintenance');
    expect(await copy.text()).toBe('maintenance');
  });

  it('gives up on a subgraph that does not answer within the timeout, naming it', async () => {
    await expect(fetcher(`${origin}/slow`, { method: 'POST', body: '{}' })).rejects.toThrow(`the subgraph at ${origin} did not answer within 300 ms`);
  });

  it('fails with the connection error when nothing listens', async () => {
    const port = await freePort();
    await expect(fetcher(`http://127.0.0.1:${port}/graphql`, { method: 'POST', body: '{}' })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('refuses a URL scheme other than http and https', async () => {
    await expect(fetcher('ftp://127.0.0.1/graphql', {})).rejects.toThrow('unsupported subgraph URL scheme ftp:');
  });

  it('is what @apollo/gateway data sources send subgraph requests with', async () => {
    const source = new RemoteGraphQLDataSource({ url: `${origin}/graphql`, fetcher });
    const before = seen.length;
    const response = await source.process({
      kind: GraphQLDataSourceRequestKind.HEALTH_CHECK,
      request: { query: '{ echo }', variables: { a: 1 }, http: { method: 'POST', url: `${origin}/graphql`, headers: new Headers() } },
      context: {},
    });
    expect(seen.length).toBe(before + 1);
    expect(response.data).toMatchObject({ echo: { query: '{ echo }', variables: { a: 1 } } });
  });
});

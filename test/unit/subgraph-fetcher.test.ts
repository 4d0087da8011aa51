import http from 'node:http';
import { AddressInfo } from 'node:net';
import { RemoteGraphQLDataSource } from '@apollo/gateway';
// The enum is not re-exported from the package root.
import { GraphQLDataSourceRequestKind } from '@apollo/gateway/dist/datasources/types';
import { BATCH_HEADER, subgraphFetcher, SubgraphFetcher } from '../../gateway/src/http/subgraph-fetcher';
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
        if (req.url === '/short') {
          res.writeHead(200, { 'content-type': 'application/json' }).end('[{"data":{}}]');
          return;
        }
        if (req.url === '/down') {
          res.writeHead(503, 'Service Unavailable', { 'content-type': 'text/plain' }).end('maintenance');
          return;
        }
        res.setHeader('set-cookie', ['a=1', 'b=2']);
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'max-age=30' });
        const parsed = body ? JSON.parse(body) : null;
        const answer = (op: unknown) => ({ data: { echo: op, word: 'grüße' } });
        res.end(JSON.stringify(Array.isArray(parsed) ? parsed.map(answer) : answer(parsed)));
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

  describe('batching', () => {
    const post = (path: string, mark: string | undefined, n: number) =>
      fetcher(`${origin}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-gateway-principal': `tok${n}`, ...(mark ? { [BATCH_HEADER]: mark } : {}) }, body: JSON.stringify({ query: `{ q${n} }` }) });

    it('fetches of one request to one subgraph that start together leave as one HTTP request, and each gets its own answer', async () => {
      const before = seen.length;
      const answers = await Promise.all([post('/graphql', 'req-1', 1), post('/graphql', 'req-1', 2), post('/graphql', 'req-1', 3)]);
      const sent = seen.slice(before);
      expect(sent).toHaveLength(1);
      expect(JSON.parse(sent[0].body)).toEqual([{ query: '{ q1 }' }, { query: '{ q2 }' }, { query: '{ q3 }' }]);
      expect(sent[0].headers[BATCH_HEADER]).toBeUndefined(); // internal: never sent
      expect(sent[0].headers['x-gateway-principal']).toBe('tok1'); // one principal for the batch
      expect(await Promise.all(answers.map((a) => a.json()))).toEqual([1, 2, 3].map((n) => ({ data: { echo: { query: `{ q${n} }` }, word: 'grüße' } })));
      expect(answers.every((a) => a.status === 200 && a.headers.get('content-type')!.startsWith('application/json'))).toBe(true);
      await expect(answers[0].json()).rejects.toThrow('already been read');
    });

    it('never batches different requests, different subgraphs, unmarked fetches or fetches that start later', async () => {
      const before = seen.length;
      const [a, b] = await Promise.all([post('/graphql', 'req-a', 1), post('/graphql', 'req-b', 2)]);
      const [c, d] = await Promise.all([post('/graphql', undefined, 3), post('/graphql', undefined, 4)]);
      const first = post('/graphql', 'req-c', 5);
      await first;
      const e = await post('/graphql', 'req-c', 6);
      await Promise.all([post('/graphql', 'req-g', 7), post('/other', 'req-g', 8)]);
      const bodies = seen.slice(before).map((s) => JSON.parse(s.body));
      expect(bodies).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ query: `{ q${n} }` })));
      for (const [res, n] of [[a, 1], [b, 2], [c, 3], [d, 4], [e, 6]] as const) expect((await res.json()).data.echo).toEqual({ query: `{ q${n} }` });
      expect(seen.slice(before).every((s) => s.headers[BATCH_HEADER] === undefined)).toBe(true);
    });

    it('an error status reaches every fetch of the batch', async () => {
      const answers = await Promise.all([post('/down', 'req-d', 1), post('/down', 'req-d', 2)]);
      for (const a of answers) {
        expect(a.status).toBe(503);
        expect(await a.text()).toBe('maintenance');
      }
    });

    it('a batch answered with the wrong number of answers fails every fetch in it, saying so', async () => {
      const results = await Promise.allSettled([post('/short', 'req-e', 1), post('/short', 'req-e', 2)]);
      for (const r of results) {
        expect(r.status).toBe('rejected');
        expect(((r as PromiseRejectedResult).reason as Error).message).toBe(`the subgraph at ${origin} answered a batch of 2 operations with 1 answers`);
      }
    });

    it('a connection failure fails every fetch in the batch', async () => {
      const port = await freePort();
      const results = await Promise.allSettled([1, 2].map((n) => fetcher(`http://127.0.0.1:${port}/graphql`, { method: 'POST', headers: { [BATCH_HEADER]: 'req-f' }, body: `{"n":${n}}` })));
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    });
  });
});

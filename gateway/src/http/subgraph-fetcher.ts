import http from 'node:http';
import https from 'node:https';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherRequestInit = NonNullable<Parameters<Fetcher>[1]>;
type FetcherResponse = Awaited<ReturnType<Fetcher>>;
type FetcherHeaders = FetcherResponse['headers'];

/**
 * Internal: marks a subgraph fetch with the incoming request it serves. Fetches for one
 * subgraph with the same mark that start in the same turn of the event loop (the query
 * plan's parallel fetches: a list under aliases, several paths into one subgraph) leave
 * as one HTTP request holding them as a batch, with one principal. Never sent.
 */
export const BATCH_HEADER = 'x-rgw-batch';

/**
 * The gateway's HTTP client for subgraph fetches: `node:http` over one keep-alive agent,
 * with the whole answer buffered (the gateway parses every answer in full anyway).
 *
 * @apollo/gateway's default (make-fetch-happen over minipass-fetch and agent-base) spent
 * about a fifth of the gateway's CPU per query in the HTTP client alone; agent-base
 * even builds an Error and its stack trace on every request to learn the protocol. See
 * bench/README.md for the before and after.
 */
export interface SubgraphFetcher extends Fetcher {
  /** Closes idle keep-alive sockets (on shutdown). */
  close(): void;
}

export function subgraphFetcher(opts: { timeoutMs: number; maxSockets?: number }): SubgraphFetcher {
  const options = { keepAlive: true, maxSockets: opts.maxSockets ?? 256, maxFreeSockets: 64 };
  const agents = { 'http:': new http.Agent(options), 'https:': new https.Agent(options) };
  const send = (url: string, init: FetcherRequestInit = {}): Promise<BufferedResponse> =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const client = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : null;
      if (!client) return reject(new Error(`unsupported subgraph URL scheme ${target.protocol}`));
      const body = init.body;
      const headers: Record<string, string | number> = { ...init.headers };
      if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
      const signal = init.signal as AbortSignal | undefined;
      if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
      const req = client.request(
        target,
        { method: init.method ?? 'GET', headers, agent: agents[target.protocol as 'http:' | 'https:'], timeout: opts.timeoutMs, signal },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => resolve(new BufferedResponse(url, res, Buffer.concat(chunks))));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`the subgraph at ${target.origin} did not answer within ${opts.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });

  const unmarked = (init: FetcherRequestInit): FetcherRequestInit => {
    const headers = { ...init.headers };
    delete headers[BATCH_HEADER];
    return { ...init, headers };
  };
  const pending = new Map<string, { url: string; init: FetcherRequestInit; resolve: (r: FetcherResponse) => void; reject: (e: unknown) => void }[]>();
  const flush = (key: string) => {
    const queue = pending.get(key)!;
    pending.delete(key);
    const { url, init } = queue[0];
    if (queue.length === 1) {
      send(url, unmarked(init)).then(queue[0].resolve, queue[0].reject);
      return;
    }
    send(url, { ...unmarked(init), method: 'POST', body: `[${queue.map((q) => q.init.body).join(',')}]` }).then(
      (res) => {
        if (!res.ok) return queue.forEach((q) => q.resolve(res.clone()));
        let answers: unknown;
        try {
          answers = res.bodyJson();
        } catch (err) {
          return queue.forEach((q) => q.reject(err));
        }
        if (!Array.isArray(answers) || answers.length !== queue.length) {
          const err = new Error(`the subgraph at ${new URL(url).origin} answered a batch of ${queue.length} operations with ${Array.isArray(answers) ? answers.length : 'no list of'} answers`);
          return queue.forEach((q) => q.reject(err));
        }
        queue.forEach((q, i) => q.resolve(res.withJson(answers[i])));
      },
      (err) => queue.forEach((q) => q.reject(err)),
    );
  };
  const fetcher = (url: string, init: FetcherRequestInit = {}): Promise<FetcherResponse> => {
    const mark = init.headers?.[BATCH_HEADER];
    if (!mark || init.method !== 'POST' || typeof init.body !== 'string') return send(url, mark ? unmarked(init) : init);
    const key = `${url}\n${mark}`;
    return new Promise((resolve, reject) => {
      let queue = pending.get(key);
      if (!queue) {
        pending.set(key, (queue = []));
        setImmediate(flush, key);
      }
      queue.push({ url, init, resolve, reject });
    });
  };
  return Object.assign(fetcher, {
    close: () => {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  });
}

class ResponseHeaders implements FetcherHeaders {
  private readonly map = new Map<string, string>();
  constructor(raw: http.IncomingHttpHeaders) {
    for (const [k, v] of Object.entries(raw)) if (v !== undefined) this.map.set(k, Array.isArray(v) ? v.join(', ') : v);
  }
  append(name: string, value: string) {
    const k = name.toLowerCase();
    const had = this.map.get(k);
    this.map.set(k, had === undefined ? value : `${had}, ${value}`);
  }
  delete(name: string) {
    this.map.delete(name.toLowerCase());
  }
  get(name: string) {
    return this.map.get(name.toLowerCase()) ?? null;
  }
  has(name: string) {
    return this.map.has(name.toLowerCase());
  }
  set(name: string, value: string) {
    this.map.set(name.toLowerCase(), value);
  }
  entries() {
    return this.map.entries();
  }
  keys() {
    return this.map.keys();
  }
  values() {
    return this.map.values();
  }
  [Symbol.iterator]() {
    return this.map.entries();
  }
}

class BufferedResponse implements FetcherResponse {
  readonly redirected = false;
  readonly status: number;
  readonly statusText: string;
  readonly ok: boolean;
  readonly headers: ResponseHeaders;
  bodyUsed = false;

  constructor(
    readonly url: string,
    res: http.IncomingMessage,
    private readonly body: Buffer,
  ) {
    this.status = res.statusCode ?? 0;
    this.statusText = res.statusMessage ?? '';
    this.ok = this.status >= 200 && this.status < 300;
    this.headers = new ResponseHeaders(res.headers);
  }

  /** The body parsed, without reading it (for splitting a batch's answer). */
  bodyJson(): unknown {
    return JSON.parse(this.body.toString('utf8'));
  }

  /** This response's status and headers with `value` as its JSON body. */
  withJson(value: unknown): FetcherResponse {
    const copy = this.clone() as BufferedResponse;
    let read = false;
    const json = async () => {
      if (read) throw new TypeError('the response body has already been read');
      read = true;
      copy.bodyUsed = true;
      return value;
    };
    return Object.assign(copy, { json, text: async () => JSON.stringify(await json()) });
  }

  private consume(): Buffer {
    if (this.bodyUsed) throw new TypeError('the response body has already been read');
    this.bodyUsed = true;
    return this.body;
  }
  async text() {
    return this.consume().toString('utf8');
  }
  async json() {
    return JSON.parse(this.consume().toString('utf8'));
  }
  async arrayBuffer() {
    const b = this.consume();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }
  clone(): FetcherResponse {
    if (this.bodyUsed) throw new TypeError('a read response cannot be cloned');
    const copy = Object.create(BufferedResponse.prototype) as BufferedResponse;
    return Object.assign(copy, this, { bodyUsed: false });
  }
}

import { randomBytes } from 'node:crypto';
import { runWorker } from './proc';

export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  /** Connection errors and timeouts: requests never answered. */
  errors: number;
  timeouts: number;
  /** Answers with HTTP 200 whose GraphQL body holds `errors` (counted when `graphql` is set). */
  graphqlErrors: number;
}

export interface LoadOptions {
  seconds: number;
  connections: number;
  headers?: Record<string, string>;
  /**
   * POST bodies, taken in turn, one per request. Each `[<id>]` in a body becomes an id
   * unique to the request. Varied bodies keep a gateway's in-flight deduplication of
   * identical queries (Hive Gateway does it by default) from answering many clients with
   * one subgraph call, which real traffic from many clients would not allow.
   */
  bodies?: string[];
  /** Check every answer's body for GraphQL `errors`. */
  graphql?: boolean;
  /** A bound on the count as well as the time: the run ends at whichever comes first (default 200,000 per second of the run). */
  maxRequests?: number;
}

/**
 * Load from a separate process (autocannon, through its API) on loopback for a fixed time
 * at a fixed number of connections (a run bounded by a request count would be timed by
 * autocannon's one-second sampling, useless for a fast server): the machine is shared
 * and noisy, so figures are only compared with ratios measured in the same run.
 *
 * Not autocannon's command line: its `-I` (unique ids in the body) declares a
 * Content-Length for 33-character ids, but its id generator now makes shorter ones, so
 * every request hangs (mcollina/autocannon#539).
 */
export function load(url: string, opts: LoadOptions): Promise<LoadResult> {
  return runWorker<LoadResult>('load', __filename, [], { url, ...opts }, opts.seconds);
}

async function worker(spec: LoadOptions & { url: string }): Promise<LoadResult> {
  // autocannon ships no type declarations.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const autocannon = require('autocannon') as (opts: object) => Promise<any>;
  const unique = randomBytes(6).toString('hex');
  const bodies = spec.bodies ?? [];
  let n = 0;
  let graphqlErrors = 0;
  const r = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.seconds,
    maxOverallRequests: Math.max(spec.connections, spec.maxRequests ?? spec.seconds * 200_000),
    method: bodies.length ? 'POST' : 'GET',
    headers: spec.headers ?? {},
    requests: [
      {
        setupRequest: (req: object) => {
          n++;
          return bodies.length ? { ...req, body: bodies[n % bodies.length].split('[<id>]').join(`${unique}-${n}`) } : req;
        },
        onResponse: (status: number, body: string) => {
          if (spec.graphql && status === 200 && body.includes('"errors"')) graphqlErrors++;
        },
      },
    ],
  });
  return {
    requests: r.requests.total,
    requestsPerSecond: +(r.requests.total / r.duration).toFixed(1),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    graphqlErrors,
  };
}

if (require.main === module) {
  let input = '';
  process.stdin.on('data', (d) => (input += d));
  process.stdin.on('end', () => {
    worker(JSON.parse(input)).then(
      (r) => console.log(JSON.stringify(r)),
      (e) => {
        console.error(e);
        process.exit(1);
      },
    );
  });
}

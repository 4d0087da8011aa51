import { GraphQLError } from 'graphql';
import { Counter, register } from 'prom-client';
import { logger } from '../../../subgraphs/shared/src';

const unavailable = () =>
  (register.getSingleMetric('gateway_subgraph_unavailable_total') as Counter | undefined) ??
  new Counter({ name: 'gateway_subgraph_unavailable_total', help: 'Subgraph fetches that found the subgraph unreachable (their fields answered null with SERVICE_UNAVAILABLE)', labelNames: ['subgraph'] });

/** Answers of a proxy or load balancer in front of a subgraph that has no healthy instance. */
const GATEWAY_STATUSES = new Set([502, 503, 504]);

/**
 * Whether a failed subgraph fetch means the subgraph is away (no HTTP answer: refused,
 * reset, timed out; or a proxy's 502/503/504), rather than a refusal of this request.
 */
export function subgraphAway(response: { status: number } | null | undefined): boolean {
  return !response || GATEWAY_STATUSES.has(response.status);
}

/**
 * The error beside the null fields of a subgraph that is away: the fields of the other
 * subgraphs are answered (nullable-boundaries.ts). Names the subgraph, never its address.
 */
export function serviceUnavailable(subgraph: string, cause: unknown): GraphQLError {
  unavailable().inc({ subgraph });
  logger('gateway').warn({ subgraph, err: (cause as Error)?.message ?? String(cause) }, 'a subgraph is unavailable: its fields are answered null');
  return new GraphQLError(`the ${subgraph} service is unavailable: the fields it serves are null in this answer; retry later`, {
    extensions: { code: 'SERVICE_UNAVAILABLE', service: subgraph },
  });
}

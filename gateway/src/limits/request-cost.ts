import { GraphQLError, Kind, parse, visit } from 'graphql';
import { MAX_BULK_RECORDS } from '../../../subgraphs/events/src/domain/forex';
import type { Admission, Budget } from './rate-limiter';

interface Operation {
  query?: unknown;
  variables?: Record<string, unknown> | null;
}

/** What one HTTP request draws from its credential's budgets. */
export interface RequestUnits {
  /** Operations (an HTTP batch counts each). */
  requests: number;
  /** Records of bulk mutations (`records:` lists, inline or in variables), all operations together. */
  records: number;
  /** The longest single `records:` list. */
  largestBatch: number;
}

/**
 * Track360's rule: 1,000 requests a minute per token, and bulk endpoints take up to 1,000
 * records per request. So a request counts once against the request budget, and its bulk
 * records count against a budget of their own.
 */
export function requestUnits(body: unknown): RequestUnits {
  const ops: Operation[] = Array.isArray(body) ? body : [body as Operation];
  const units: RequestUnits = { requests: 0, records: 0, largestBatch: 0 };
  for (const op of ops) {
    units.requests += 1;
    if (typeof op?.query !== 'string' || !op.query.includes('records')) continue;
    try {
      visit(parse(op.query), {
        Argument(node) {
          if (node.name.value !== 'records') return;
          let n = 0;
          if (node.value.kind === Kind.LIST) n = node.value.values.length;
          else if (node.value.kind === Kind.VARIABLE) {
            const v = op.variables?.[node.value.name.value];
            // GraphQL coerces a single value given for a list into a list of one.
            n = Array.isArray(v) ? v.length : v === null || v === undefined ? 0 : 1;
          } else if (node.value.kind !== Kind.NULL) n = 1;
          units.records += n;
          units.largestBatch = Math.max(units.largestBatch, n);
        },
      });
    } catch {
      // An unparseable document is refused later with a 400; it costs its one request.
    }
  }
  return units;
}

export interface RequestBudgets {
  requestsPerMinute: number;
  recordsPerMinute: number;
}

const badRequest = (message: string, extensions: Record<string, unknown>) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...extensions, http: { status: 400 } } });

/**
 * A request no amount of waiting would let through, refused before any budget is charged:
 * a bulk call over the bulk mutations' own limit (the events subgraph's error, given before
 * the records are counted), or one HTTP request that alone needs more than a minute's budget.
 */
export function unfitRequest(units: RequestUnits, budgets: RequestBudgets): GraphQLError | null {
  if (units.largestBatch > MAX_BULK_RECORDS) return badRequest(`records must hold at most ${MAX_BULK_RECORDS} items; got ${units.largestBatch}`, { param: 'records' });
  if (units.records > budgets.recordsPerMinute) {
    return badRequest(`this request carries ${units.records} bulk records; at most ${budgets.recordsPerMinute} a minute (RATE_LIMIT_RECORDS_PER_MINUTE) are allowed: send them in several requests`, {
      limit: 'RATE_LIMIT_RECORDS_PER_MINUTE',
    });
  }
  if (units.requests > budgets.requestsPerMinute) {
    return badRequest(`this batch holds ${units.requests} operations; at most ${budgets.requestsPerMinute} a minute (RATE_LIMIT_PER_MINUTE) are allowed: send smaller batches`, { limit: 'RATE_LIMIT_PER_MINUTE' });
  }
  return null;
}

/** The budgets a credential's request draws on, in the order `rateLimitRefusal` names them. */
export function credentialBudgets(credentialKey: string, units: RequestUnits, budgets: RequestBudgets): Budget[] {
  return [
    { key: credentialKey, cost: units.requests, limit: budgets.requestsPerMinute },
    { key: `${credentialKey}:records`, cost: units.records, limit: budgets.recordsPerMinute },
  ];
}

/** What the 429 says: which budget ran out (the limit's name, for `extensions.limit`). */
export function rateLimitRefusal(refused: Admission, units: RequestUnits, budgets: RequestBudgets): { message: string; limit: string } {
  const wait = `retry after ${refused.retryAfter} s`;
  if (refused.exhausted === 1) {
    return {
      message: `rate limit of ${budgets.recordsPerMinute} bulk records a minute (RATE_LIMIT_RECORDS_PER_MINUTE) reached: this request carries ${units.records} and ${refused.remaining[1]} are left this minute; ${wait}`,
      limit: 'RATE_LIMIT_RECORDS_PER_MINUTE',
    };
  }
  return { message: `rate limit of ${budgets.requestsPerMinute} requests a minute (RATE_LIMIT_PER_MINUTE) reached; ${wait}`, limit: 'RATE_LIMIT_PER_MINUTE' };
}

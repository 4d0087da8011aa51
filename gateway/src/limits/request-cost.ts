import { Kind, parse, visit } from 'graphql';

interface Operation {
  query?: unknown;
  variables?: Record<string, unknown> | null;
}

/**
 * Units a request takes from its rate limit: 1 per operation, plus 1 per record of a bulk
 * mutation (`records:` lists, inline or in variables), so a 1,000-record upsert counts
 * like 1,000 requests (Track360: 1,000 requests a minute, bulk up to 1,000 records).
 */
export function requestCost(body: unknown): number {
  const ops: Operation[] = Array.isArray(body) ? body : [body as Operation];
  let cost = 0;
  for (const op of ops) {
    cost += 1;
    if (typeof op?.query !== 'string' || !op.query.includes('records')) continue;
    try {
      visit(parse(op.query), {
        Argument(node) {
          if (node.name.value !== 'records') return;
          if (node.value.kind === Kind.LIST) cost += node.value.values.length;
          else if (node.value.kind === Kind.VARIABLE) {
            const v = op.variables?.[node.value.name.value];
            if (Array.isArray(v)) cost += v.length;
          }
        },
      });
    } catch {
      // An unparseable document is refused later with a 400; it costs its 1.
    }
  }
  return cost;
}

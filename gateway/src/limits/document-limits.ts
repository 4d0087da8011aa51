import type { ApolloServerPlugin } from '@apollo/server';
import {
  ASTVisitor,
  DocumentNode,
  FieldNode,
  FragmentDefinitionNode,
  GraphQLError,
  Kind,
  SelectionSetNode,
  ValidationContext,
} from 'graphql';

export interface DocumentLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
}

const limitError = (message: string, limit: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', limit } });

/** Depth, cost and aliases of a document; `first` given as a variable is read from `variables`. */
export function measure(doc: DocumentNode, variables: Record<string, unknown> = {}) {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  let aliases = 0;
  const walk = (set: SelectionSetNode, depth: number, multiplier: number, seen: Set<string>): { depth: number; cost: number } => {
    let maxDepth = depth;
    let cost = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if (sel.alias) aliases++;
        if (sel.name.value.startsWith('__')) continue;
        cost += multiplier;
        if (sel.selectionSet) {
          const inner = walk(sel.selectionSet, depth + 1, multiplier * pageSize(sel, variables), seen);
          maxDepth = Math.max(maxDepth, inner.depth);
          cost += inner.cost;
        }
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const inner = walk(sel.selectionSet, depth, multiplier, seen);
        maxDepth = Math.max(maxDepth, inner.depth);
        cost += inner.cost;
      } else {
        const f = fragments.get(sel.name.value);
        if (!f || seen.has(f.name.value)) continue;
        const inner = walk(f.selectionSet, depth, multiplier, new Set([...seen, f.name.value]));
        maxDepth = Math.max(maxDepth, inner.depth);
        cost += inner.cost;
      }
    }
    return { depth: maxDepth, cost };
  };
  let depth = 0;
  let cost = 0;
  for (const d of doc.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    const m = walk(d.selectionSet, 1, 1, new Set());
    depth = Math.max(depth, m.depth);
    cost = Math.max(cost, m.cost);
  }
  return { depth, cost, aliases };
}

/** Validation rules for what the document alone decides: depth and aliases. */
export function documentLimitRules(limits: DocumentLimits) {
  return [
    (context: ValidationContext): ASTVisitor => ({
      Document(doc) {
        const { depth, aliases } = measure(doc);
        if (depth > limits.maxDepth) context.reportError(limitError(`the query is ${depth} levels deep; at most ${limits.maxDepth} (MAX_QUERY_DEPTH) are allowed`, 'MAX_QUERY_DEPTH'));
        if (aliases > limits.maxAliases) context.reportError(limitError(`the document uses ${aliases} aliases; at most ${limits.maxAliases} (MAX_ALIASES) are allowed`, 'MAX_ALIASES'));
        return false;
      },
    }),
  ];
}

/** The cost limit needs the variables (`first: $n`), so it runs once the operation is resolved. */
export function costLimitPlugin(maxCost: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          const { cost } = measure(document, (request.variables ?? {}) as Record<string, unknown>);
          if (cost > maxCost) {
            throw new GraphQLError(`the query costs ${cost} (each field, times the page sizes of its lists); at most ${maxCost} (MAX_QUERY_COST) is allowed: ask for smaller pages`, {
              extensions: { code: 'BAD_USER_INPUT', limit: 'MAX_QUERY_COST', http: { status: 400 } },
            });
          }
        },
      };
    },
  };
}

/** The page size a list field asks for: its `first` (literal or variable; default 25; 1 for other fields). */
function pageSize(field: FieldNode, variables: Record<string, unknown>): number {
  const first = field.arguments?.find((a) => a.name.value === 'first');
  if (first?.value.kind === Kind.INT) return Math.max(1, Number(first.value.value));
  if (first?.value.kind === Kind.VARIABLE) {
    const v = variables[first.value.name.value];
    if (typeof v === 'number' && Number.isFinite(v)) return Math.max(1, Math.floor(v));
  }
  const isConnectionish = field.selectionSet?.selections.some((s) => s.kind === Kind.FIELD && (s.name.value === 'nodes' || s.name.value === 'edges'));
  return first || isConnectionish ? 25 : 1;
}

import {
  ASTVisitor,
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

/**
 * Validation rules that refuse abusive documents before any subgraph is called: too deep,
 * too many aliases, or too costly (each field costs 1, times the page size of the lists
 * around it: `first`, default 25).
 */
export function documentLimitRules(limits: DocumentLimits) {
  return [
    (context: ValidationContext): ASTVisitor => ({
      Document(doc) {
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
                const inner = walk(sel.selectionSet, depth + 1, multiplier * pageSize(sel), seen);
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
        for (const d of doc.definitions) {
          if (d.kind !== Kind.OPERATION_DEFINITION) continue;
          const { depth, cost } = walk(d.selectionSet, 1, 1, new Set());
          if (depth > limits.maxDepth) context.reportError(limitError(`the query is ${depth} levels deep; at most ${limits.maxDepth} (MAX_QUERY_DEPTH) are allowed`, 'MAX_QUERY_DEPTH'));
          if (cost > limits.maxCost) {
            context.reportError(limitError(`the query costs ${cost} (each field, times the page sizes of its lists); at most ${limits.maxCost} (MAX_QUERY_COST) is allowed: ask for smaller pages`, 'MAX_QUERY_COST'));
          }
        }
        if (aliases > limits.maxAliases) context.reportError(limitError(`the document uses ${aliases} aliases; at most ${limits.maxAliases} (MAX_ALIASES) are allowed`, 'MAX_ALIASES'));
        return false;
      },
    }),
  ];
}

/** The page size a list field asks for: its literal `first` (default 25; 1 for other fields). */
function pageSize(field: FieldNode): number {
  const first = field.arguments?.find((a) => a.name.value === 'first');
  if (first?.value.kind === Kind.INT) return Math.max(1, Number(first.value.value));
  const isConnectionish = field.selectionSet?.selections.some((s) => s.kind === Kind.FIELD && (s.name.value === 'nodes' || s.name.value === 'edges'));
  return first || isConnectionish ? 25 : 1;
}

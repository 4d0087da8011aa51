import type { ApolloServerPlugin } from '@apollo/server';
import { DocumentNode, FieldNode, GraphQLError, Kind, Lexer, SelectionNode, SelectionSetNode, Source, TokenKind } from 'graphql';

export interface DocumentLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
}

export interface Measurement {
  /** Nested selection sets of fields (inline fragments and spreads add none); `__` fields are not descended. */
  depth: number;
  /** Each field, times the page sizes of the lists around it (`__` fields are free). */
  cost: number;
  /** Aliased fields, counted each time their fragment is used. */
  aliases: number;
  /** Fields once every fragment spread is replaced by its fragment, `__typename` included. */
  fields: number;
  /** Selection sets nested, those of inline fragments and fragment spreads included. */
  nesting: number;
}

/** Counts of the measuring work, for tests that it stays linear in the document. */
export interface MeasureStats {
  visits: number;
}

/**
 * Counts saturate here instead of growing to Infinity: a document of 60 fragments that
 * each spread the next twice "costs" 2^60, which is over any limit all the same.
 */
export const SATURATED = Number.MAX_SAFE_INTEGER;
const sat = (n: number) => (n >= SATURATED ? SATURATED : n);

interface SetMeasure extends Measurement {
  /** Whether a `first: $variable` decided a page size. */
  variablePageSizes: boolean;
}
const ZERO: SetMeasure = { depth: 0, cost: 0, aliases: 0, fields: 0, nesting: 0, variablePageSizes: false };

/**
 * Not configurable: fields nest at most MAX_QUERY_DEPTH (100 at most) deep, and no client
 * wraps them in hundreds of inline fragments or fragments spreading fragments; the query
 * planner overflows its stack at about a thousand.
 */
export const MAX_NESTING = 200;

/**
 * graphql-js parses recursively, once per nested `{`, `[` or `(`: a document nested a few
 * thousand deep overflowed the parser's stack and was answered "Maximum call stack size
 * exceeded". The nesting is counted first with the lexer, a loop; twice MAX_NESTING leaves
 * room for argument values inside the deepest selection MAX_NESTING allows.
 */
export const MAX_SOURCE_NESTING = 2 * MAX_NESTING;

/** The refusal of a source nested deeper than MAX_SOURCE_NESTING (checked before parsing: operation-checks.ts preParseError). */
export function sourceNestingLimit(): GraphQLError {
  return limitError(
    `the document nests braces, brackets and parentheses more than ${MAX_SOURCE_NESTING} levels deep; at most ${MAX_SOURCE_NESTING} are allowed (selections at most ${MAX_NESTING}, MAX_NESTING)`,
    'MAX_NESTING',
  );
}

/**
 * Depth, cost, aliases and expanded size of a document; `first` given as a variable is read
 * from `variables`. Linear in the document's size whatever its fragments do: each selection
 * set (a fragment's included) is measured once and its result reused at every spread, and
 * the walk keeps its own stack, so neither fragments spread twice per level (2^n uses) nor
 * selections nested thousands deep make it slow or overflow the call stack. A fragment
 * that spreads itself (refused by GraphQL's NoFragmentCycles) adds nothing where it recurs.
 */
export function measure(doc: DocumentNode, variables: Record<string, unknown> = {}, stats?: MeasureStats): Measurement {
  return walk(doc, variables, stats);
}

function walk(doc: DocumentNode, variables: Record<string, unknown>, stats?: MeasureStats): SetMeasure {
  const fragments = new Map<string, SelectionSetNode>();
  for (const d of doc.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d.selectionSet);
  const inner = (sel: SelectionNode): SelectionSetNode | undefined =>
    sel.kind === Kind.FRAGMENT_SPREAD ? fragments.get(sel.name.value) : sel.selectionSet;

  const results = new Map<SelectionSetNode, SetMeasure>();
  const open = new Set<SelectionSetNode>();
  const stack: { set: SelectionSetNode; opened: boolean }[] = [];
  const measureSet = (root: SelectionSetNode): SetMeasure => {
    stack.push({ set: root, opened: false });
    while (stack.length) {
      const top = stack[stack.length - 1];
      if (!top.opened) {
        // A set pushed twice (spread in two places) is measured by whichever frame comes first.
        if (results.has(top.set)) {
          stack.pop();
          continue;
        }
        top.opened = true;
        open.add(top.set);
        for (const sel of top.set.selections) {
          if (stats) stats.visits++;
          const child = inner(sel);
          // An open child is a fragment cycle: it contributes nothing there.
          if (child && !results.has(child) && !open.has(child)) stack.push({ set: child, opened: false });
        }
        continue;
      }
      stack.pop();
      const m = { ...ZERO, nesting: 1 };
      for (const sel of top.set.selections) {
        if (stats) stats.visits++;
        const child = inner(sel);
        const r = (child && results.get(child)) || ZERO;
        m.nesting = Math.max(m.nesting, 1 + r.nesting);
        m.fields = sat(m.fields + r.fields + (sel.kind === Kind.FIELD ? 1 : 0));
        if (sel.kind === Kind.FIELD) {
          if (sel.alias) m.aliases = sat(m.aliases + 1);
          if (sel.name.value.startsWith('__')) continue;
          m.cost = sat(m.cost + 1);
          if (!child) continue;
          const page = pageSize(sel, variables);
          m.variablePageSizes ||= page.variable;
          m.depth = Math.max(m.depth, 1 + r.depth);
          m.cost = sat(m.cost + sat(page.size * r.cost));
        } else {
          m.depth = Math.max(m.depth, r.depth);
          m.cost = sat(m.cost + r.cost);
        }
        m.aliases = sat(m.aliases + r.aliases);
        m.variablePageSizes ||= r.variablePageSizes;
      }
      open.delete(top.set);
      results.set(top.set, m);
    }
    return results.get(root)!;
  };

  const total = { ...ZERO };
  for (const d of doc.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    const m = measureSet(d.selectionSet);
    total.depth = Math.max(total.depth, 1 + m.depth);
    total.cost = Math.max(total.cost, m.cost);
    total.aliases = sat(total.aliases + m.aliases);
    total.fields = sat(total.fields + m.fields);
    total.nesting = Math.max(total.nesting, m.nesting);
    total.variablePageSizes ||= m.variablePageSizes;
  }
  return total;
}

/**
 * Measured once per document: Apollo hands every request of one query string the same parsed
 * DocumentNode, so only a document whose page sizes come from variables is walked again (for
 * its cost, per request).
 */
const measured = new WeakMap<DocumentNode, SetMeasure>();
function measureOnce(doc: DocumentNode, variables: Record<string, unknown>): Measurement {
  let m = measured.get(doc);
  if (!m) measured.set(doc, (m = walk(doc, {})));
  return m.variablePageSizes ? { ...m, cost: walk(doc, variables).cost } : m;
}

const limitError = (message: string, limit: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', limit } });
const count = (n: number) => (n >= SATURATED ? `more than ${SATURATED}` : String(n));

/** What the document breaks of `limits`, one error per limit (BAD_USER_INPUT, `limit` naming it). */
export function documentLimitErrors(doc: DocumentNode, variables: Record<string, unknown> | null | undefined, limits: DocumentLimits): GraphQLError[] {
  const { depth, nesting, aliases, fields, cost } = measureOnce(doc, variables ?? {});
  const errors: GraphQLError[] = [];
  if (depth > limits.maxDepth) errors.push(limitError(`the query is ${depth} levels deep; at most ${limits.maxDepth} (MAX_QUERY_DEPTH) are allowed`, 'MAX_QUERY_DEPTH'));
  else if (nesting > MAX_NESTING) {
    errors.push(limitError(`the query nests selections ${nesting} levels deep, inline fragments and fragment spreads included; at most ${MAX_NESTING} (MAX_NESTING) are allowed`, 'MAX_NESTING'));
  }
  if (aliases > limits.maxAliases) {
    errors.push(limitError(`the document uses ${count(aliases)} aliases (a fragment's count each time it is spread); at most ${limits.maxAliases} (MAX_ALIASES) are allowed`, 'MAX_ALIASES'));
  }
  // Every field but `__typename` & co. already costs at least 1, so this only bites on what the
  // cost leaves free: 2^21 `__typename`s from 22 fragments that each spread the next twice.
  if (fields > limits.maxCost) {
    errors.push(
      limitError(
        `the query selects ${count(fields)} fields once its fragments are spread (a fragment's fields count each time it is spread); at most ${limits.maxCost} (MAX_QUERY_COST) are allowed`,
        'MAX_QUERY_COST',
      ),
    );
  } else if (cost > limits.maxCost) {
    errors.push(limitError(`the query costs ${count(cost)} (each field, times the page sizes of its lists); at most ${limits.maxCost} (MAX_QUERY_COST) is allowed: ask for smaller pages`, 'MAX_QUERY_COST'));
  }
  return errors;
}

/**
 * Depth, aliases and cost of every operation, checked once it is resolved (cost needs the
 * variables: `first: $n`) and before anything is planned or sent to a subgraph. A plugin
 * rather than a validation rule so the answer keeps `code: BAD_USER_INPUT` (Apollo recodes
 * validation errors as GRAPHQL_VALIDATION_FAILED), the same as over WebSocket.
 */
export function documentLimitsPlugin(limits: DocumentLimits): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, request }) {
          const [first] = documentLimitErrors(document, request.variables as Record<string, unknown> | undefined, limits);
          if (first) throw new GraphQLError(first.message, { extensions: { ...first.extensions, http: { status: 400 } } });
        },
      };
    },
  };
}

/** The page size a list field asks for: its `first` (literal or variable; default 25; 1 for other fields). */
function pageSize(field: FieldNode, variables: Record<string, unknown>): { size: number; variable: boolean } {
  const first = field.arguments?.find((a) => a.name.value === 'first');
  if (first?.value.kind === Kind.INT) return { size: sat(Math.max(1, Number(first.value.value))), variable: false };
  if (first?.value.kind === Kind.VARIABLE) {
    const v = variables[first.value.name.value];
    if (typeof v === 'number' && Number.isFinite(v)) return { size: sat(Math.max(1, Math.floor(v))), variable: true };
  }
  const isConnectionish = field.selectionSet?.selections.some((s) => s.kind === Kind.FIELD && (s.name.value === 'nodes' || s.name.value === 'edges'));
  return { size: first || isConnectionish ? 25 : 1, variable: first?.value.kind === Kind.VARIABLE };
}

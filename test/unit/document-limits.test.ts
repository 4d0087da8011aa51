import { DocumentNode, FieldNode, getIntrospectionQuery, InlineFragmentNode, Kind, OperationTypeNode, parse, SelectionSetNode, visit } from 'graphql';
import { documentLimitErrors, MAX_NESTING, measure, MeasureStats, SATURATED } from '../../gateway/src/limits/document-limits';

/** `{ ...F0 }` where each fragment spreads the next twice: 2^(n-1) uses of the last one. */
function doublingChain(n: number, leaf: string): string {
  const parts = ['{ ...F0 }'];
  for (let i = 0; i < n - 1; i++) parts.push(`fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
  parts.push(`fragment F${n - 1} on Query { ${leaf} }`);
  return parts.join(' ');
}

/** Fields, spreads and inline fragments written in the document (its size, for "linear in"). */
function selectionsIn(doc: DocumentNode): number {
  let n = 0;
  visit(doc, { Field: () => void n++, FragmentSpread: () => void n++, InlineFragment: () => void n++ });
  return n;
}

function measured(query: string, variables: Record<string, unknown> = {}) {
  const doc = parse(query);
  const stats: MeasureStats = { visits: 0 };
  const m = measure(doc, variables, stats);
  return { ...m, visits: stats.visits, size: selectionsIn(doc), doc };
}

const DEFAULTS = { maxDepth: 12, maxAliases: 30, maxCost: 20_000 };

describe('document limits', () => {
  it('the 870-byte fragment bomb is measured in work linear in its size and refused on MAX_QUERY_COST for the 2^21 fields it expands to', () => {
    const query = doublingChain(22, '__typename');
    expect(query.length).toBeLessThan(900);
    const m = measured(query);
    // Each selection is looked at twice (to find what it needs, then to add it up), once per definition.
    expect(m.visits).toBeGreaterThan(0);
    expect(m.visits).toBeLessThanOrEqual(2 * m.size);
    expect({ depth: m.depth, cost: m.cost, aliases: m.aliases, fields: m.fields }).toEqual({ depth: 1, cost: 0, aliases: 0, fields: 2 ** 21 });
    const errors = documentLimitErrors(m.doc, {}, DEFAULTS);
    expect(errors.map((e) => e.extensions)).toEqual([{ code: 'BAD_USER_INPUT', limit: 'MAX_QUERY_COST' }]);
    expect(errors[0].message).toBe(
      'the query selects 2097152 fields once its fragments are spread (a fragment\'s fields count each time it is spread); at most 20000 (MAX_QUERY_COST) are allowed',
    );
  });

  it('a doubling chain over a real field has its exact cost, and at 60 fragments a finite cost saturated over any limit', () => {
    const twenty = measured(doublingChain(20, 'partners { totalCount }'));
    // 2^19 uses of a fragment costing 2 (partners, totalCount).
    expect({ cost: twenty.cost, fields: twenty.fields }).toEqual({ cost: 2 ** 20, fields: 2 ** 20 });
    const sixty = measured(doublingChain(60, 'a: partners { totalCount }'));
    expect(sixty.visits).toBeLessThanOrEqual(2 * sixty.size);
    expect(Number.isFinite(sixty.cost)).toBe(true);
    expect({ cost: sixty.cost, fields: sixty.fields, aliases: sixty.aliases }).toEqual({ cost: SATURATED, fields: SATURATED, aliases: SATURATED });
    const errors = documentLimitErrors(sixty.doc, {}, { maxDepth: 12, maxAliases: 10_000, maxCost: 10_000_000 });
    expect(errors.map((e) => e.extensions?.limit)).toEqual(['MAX_ALIASES', 'MAX_QUERY_COST']);
    expect(errors[0].message).toContain(`uses more than ${SATURATED} aliases`);
    expect(errors[1].message).toContain(`selects more than ${SATURATED} fields`);
    const huge = measured(`{ partners(first: 1${'0'.repeat(400)}) { nodes { id } } }`);
    expect(huge.cost).toBe(SATURATED);
  });

  it("a fragment's aliases count each time it is spread; a fragment never spread counts nothing", () => {
    const m = measured('{ ...A ...B } fragment A on Query { ...C ...C } fragment B on Query { ...C } fragment C on Query { x: __typename y: partners { totalCount } } fragment Unused on Query { z: __typename }');
    expect(m.aliases).toBe(6);
    expect(documentLimitErrors(m.doc, {}, { ...DEFAULTS, maxAliases: 5 }).map((e) => [e.extensions?.limit, e.message])).toEqual([
      ['MAX_ALIASES', "the document uses 6 aliases (a fragment's count each time it is spread); at most 5 (MAX_ALIASES) are allowed"],
    ]);
  });

  // Measured with the previous (exponential) implementation: the meaning of each number is unchanged.
  it.each([
    ['{ partners { nodes { parent { parent { parent { parent { id } } } } } } }', {}, { depth: 7, cost: 151, aliases: 0 }],
    ['{ a: partners { totalCount } b: partners { totalCount } c: partners { totalCount } d: partners { totalCount } }', {}, { depth: 2, cost: 8, aliases: 4 }],
    ['{ partners(first: 100) { nodes { id name email referralCode children(first: 100) { nodes { id } } } } }', {}, { depth: 5, cost: 20601, aliases: 0 }],
    ['query($n: Int) { partners(first: $n) { nodes { id children(first: $n) { nodes { id } } } } }', { n: 100 }, { depth: 5, cost: 20301, aliases: 0 }],
    ['query($n: Int) { partners(first: $n) { nodes { id children(first: $n) { nodes { id } } } } }', {}, { depth: 5, cost: 1326, aliases: 0 }],
    ['{ ... on Query { partners(first: 10) { nodes { ...P } } } } fragment P on Partner { id n: name children { nodes { ...Q m: id } } } fragment Q on Partner { id e: email }', {}, { depth: 5, cost: 1041, aliases: 3 }],
    ['{ __schema { types { name fields { name } } } x: __typename partners { edges { node { id } } } }', {}, { depth: 4, cost: 76, aliases: 1 }],
    ['query A { partners { totalCount } } query B { p: partners(first: 3) { nodes { q: id } } } query C { events { nodes { id partner { name } } } }', {}, { depth: 4, cost: 101, aliases: 2 }],
    ['{ ...A ...B } fragment A on Query { ...C ...C } fragment B on Query { ...C } fragment C on Query { x: __typename y: partners { totalCount } } fragment Unused on Query { z: __typename }', {}, { depth: 2, cost: 6, aliases: 6 }],
  ])('depth, cost and aliases keep their meaning: %s', (query, variables, expected) => {
    const { depth, cost, aliases } = measure(parse(query), variables);
    expect({ depth, cost, aliases }).toEqual(expected);
  });

  it('a document is measured once, but its cost is re-read from each request’s variables', () => {
    const doc = parse('query($n: Int) { partners(first: $n) { nodes { id children(first: $n) { nodes { id } } } } }');
    const limits = { ...DEFAULTS, maxCost: 500 };
    expect(documentLimitErrors(doc, { n: 100 }, limits).map((e) => e.extensions?.limit)).toEqual(['MAX_QUERY_COST']);
    expect(documentLimitErrors(doc, { n: 2 }, limits)).toEqual([]);
    expect(documentLimitErrors(doc, { n: 100 }, limits)[0].message).toBe(
      'the query costs 20301 (each field, times the page sizes of its lists); at most 500 (MAX_QUERY_COST) is allowed: ask for smaller pages',
    );
  });

  it('fragment cycles (refused by validation) still end the walk', () => {
    const m = measured('{ ...A } fragment A on Query { partners { totalCount } ...B } fragment B on Query { ...A x: __typename ...B }');
    expect({ depth: m.depth, cost: m.cost, aliases: m.aliases, fields: m.fields }).toEqual({ depth: 2, cost: 2, aliases: 1, fields: 3 });
    expect(measured('{ ...A } fragment A on Query { ...A }').cost).toBe(0);
  });

  it('selections nested 1,500 deep in inline fragments, or 100,000 deep, are measured without overflowing the stack and refused on MAX_NESTING', () => {
    const n = 1500;
    const inline = measured(`{ ${'... on Query { '.repeat(n)}__typename${' }'.repeat(n)} }`);
    expect({ depth: inline.depth, fields: inline.fields, nesting: inline.nesting }).toEqual({ depth: 1, fields: 1, nesting: n + 1 });
    expect(documentLimitErrors(inline.doc, {}, DEFAULTS).map((e) => [e.extensions, e.message])).toEqual([
      [{ code: 'BAD_USER_INPUT', limit: 'MAX_NESTING' }, 'the query nests selections 1501 levels deep, inline fragments and fragment spreads included; at most 200 (MAX_NESTING) are allowed'],
    ]);
    // Deeper than the parser goes: built directly.
    const deep = 100_000;
    let set: SelectionSetNode = { kind: Kind.SELECTION_SET, selections: [{ kind: Kind.FIELD, name: { kind: Kind.NAME, value: 'id' } } as FieldNode] };
    for (let i = 0; i < deep; i++) {
      const field: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: 'parent' }, selectionSet: set };
      const wrapped: InlineFragmentNode = { kind: Kind.INLINE_FRAGMENT, selectionSet: { kind: Kind.SELECTION_SET, selections: [field] } };
      set = { kind: Kind.SELECTION_SET, selections: [wrapped] };
    }
    const doc: DocumentNode = { kind: Kind.DOCUMENT, definitions: [{ kind: Kind.OPERATION_DEFINITION, operation: OperationTypeNode.QUERY, selectionSet: set }] };
    const m = measure(doc);
    expect({ depth: m.depth, cost: m.cost, fields: m.fields, nesting: m.nesting }).toEqual({ depth: deep + 1, cost: deep + 1, fields: deep + 1, nesting: 2 * deep + 1 });
  });

  it('a chain of fragments each spreading the next counts one level per spread', () => {
    const chain = (n: number) => ['{ ...F0 }', ...Array.from({ length: n - 1 }, (_, i) => `fragment F${i} on Query { ...F${i + 1} }`), `fragment F${n - 1} on Query { __typename }`].join(' ');
    expect(measured(chain(MAX_NESTING - 1)).nesting).toBe(MAX_NESTING);
    expect(documentLimitErrors(parse(chain(MAX_NESTING - 1)), {}, DEFAULTS)).toEqual([]);
    expect(documentLimitErrors(parse(chain(MAX_NESTING)), {}, DEFAULTS).map((e) => e.extensions?.limit)).toEqual(['MAX_NESTING']);
  });

  it("GraphiQL's introspection query is within the default limits", () => {
    const m = measured(getIntrospectionQuery());
    expect(documentLimitErrors(m.doc, {}, DEFAULTS)).toEqual([]);
    expect(m.nesting).toBeLessThan(MAX_NESTING / 4);
  });
});

import {
  getNamedType,
  GraphQLArgument,
  GraphQLField,
  GraphQLInputType,
  GraphQLNamedType,
  GraphQLObjectType,
  GraphQLSchema,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  parse,
} from 'graphql';
import { measure } from '../../gateway/src/limits/document-limits';

/**
 * Read operations generated from a schema: for every root field, a selection of every field
 * reachable from it, each object type expanded in full at its shallowest place (breadth
 * first) and by its id (else its leaf fields) wherever else it recurs, so a cycle (Partner.parent,
 * ReferralEvent.partner.events...) ends. Each document is split until it fits the gateway's
 * document limits, measured by the gateway's own `measure`. After the run, `exercised`
 * walks the answers to tell which fields actually resolved on a non-null parent.
 */

export interface DocumentLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
}

/** A selected field: `type.field(args)` with its sub-selection (null for a leaf). */
export interface Sel {
  parentType: string;
  field: string;
  args: string;
  /** The named type of the field. */
  type: string;
  children: Sel[] | null;
}

export interface Operation {
  name: string;
  root: 'query' | 'subscription';
  sel: Sel;
  text: string;
}

/**
 * Gives a GraphQL literal for an argument, or undefined to leave it out (refused for a
 * required one: the field is then reported as not selectable).
 */
export type ArgFiller = (parent: GraphQLObjectType, field: GraphQLField<unknown, unknown>, arg: GraphQLArgument) => string | undefined;

export const isRequired = (arg: GraphQLArgument) => isNonNullType(arg.type) && arg.defaultValue === undefined;

const render = (s: Sel): string => `${s.field}${s.args}${s.children ? ` { ${s.children.map(render).join(' ')} }` : ''}`;

export function operationText(root: 'query' | 'subscription', name: string, sel: Sel): string {
  return `${root} ${name} { ${render(sel)} }`;
}

/** Literal of an input value built from its required fields (input objects) or by `leaf`. */
export function literalFor(type: GraphQLInputType, leaf: (named: GraphQLNamedType) => string | undefined): string | undefined {
  if (isNonNullType(type)) return literalFor(type.ofType, leaf);
  if (isListType(type)) {
    const item = literalFor(type.ofType, leaf);
    return item === undefined ? undefined : `[${item}]`;
  }
  if (isInputObjectType(type)) {
    const parts: string[] = [];
    for (const f of Object.values(type.getFields())) {
      if (!isNonNullType(f.type) || f.defaultValue !== undefined) continue;
      const v = literalFor(f.type, leaf);
      if (v === undefined) return undefined;
      parts.push(`${f.name}: ${v}`);
    }
    return `{ ${parts.join(', ')} }`;
  }
  if (isEnumType(type)) return leaf(type) ?? type.getValues()[0].name;
  return leaf(type as GraphQLNamedType);
}

export interface SelectionPlan {
  sel: Sel;
  /** `Type.field` left out because a required argument could not be filled. */
  unselectable: string[];
}

/**
 * The selection of one root field: breadth first, each object type expanded once (its
 * shallowest occurrence), elsewhere by its id or leaves; object fields that would pass
 * `limits.maxDepth` are left out.
 */
export function selectionFor(schema: GraphQLSchema, rootType: GraphQLObjectType, fieldName: string, rootArgs: string, fill: ArgFiller, limits: DocumentLimits): SelectionPlan {
  const unselectable = new Set<string>();
  const field = rootType.getFields()[fieldName];
  const argsOf = (parent: GraphQLObjectType, f: GraphQLField<unknown, unknown>): string | null => {
    const parts: string[] = [];
    for (const a of f.args) {
      const v = fill(parent, f, a);
      if (v === undefined) {
        if (isRequired(a)) {
          unselectable.add(`${parent.name}.${f.name}(${a.name})`);
          return null;
        }
        continue;
      }
      parts.push(`${a.name}: ${v}`);
    }
    return parts.length ? `(${parts.join(', ')})` : '';
  };
  const named = getNamedType(field.type);
  const root: Sel = { parentType: rootType.name, field: fieldName, args: rootArgs, type: named.name, children: isLeafType(named) ? null : [] };
  if (!root.children) return { sel: root, unselectable: [] };
  const expanded = new Set<string>([named.name]);
  // Level of a selection set: the operation's own is 1, the root field's 2 (as `measure` counts depth).
  const queue: { sel: Sel; type: GraphQLObjectType; level: number; full: boolean }[] = [{ sel: root, type: named as GraphQLObjectType, level: 2, full: true }];
  while (queue.length) {
    const { sel, type, level, full } = queue.shift()!;
    const fields = Object.values(type.getFields());
    // `nodes` before `edges`: the list itself gets the full expansion, the edge its node's leaves.
    fields.sort((a, b) => Number(a.name === 'edges') - Number(b.name === 'edges'));
    for (const f of fields) {
      if (f.name.startsWith('__')) continue;
      const t = getNamedType(f.type);
      if (!isLeafType(t) && !isObjectType(t)) throw new Error(`${type.name}.${f.name}: abstract types are not generated yet (${t.name})`);
      if (!full && !isLeafType(t)) continue;
      // Where a type recurs, its id is enough: its other fields are read where it is expanded.
      if (!full && idField(type) && f.name !== idField(type)) continue;
      const args = argsOf(type, f);
      if (args === null) continue;
      if (isLeafType(t)) {
        sel.children!.push({ parentType: type.name, field: f.name, args, type: t.name, children: null });
        continue;
      }
      // An object field needs a selection set one level deeper.
      if (level + 1 > limits.maxDepth) continue;
      const child: Sel = { parentType: type.name, field: f.name, args, type: t.name, children: [] };
      const expand = !expanded.has(t.name);
      if (expand) expanded.add(t.name);
      sel.children!.push(child);
      queue.push({ sel: child, type: t as GraphQLObjectType, level: level + 1, full: expand });
    }
    if (!sel.children!.length) {
      // Nothing selectable below (every field needs an argument): drop it from its parent.
      sel.children = [{ parentType: type.name, field: '__typename', args: '', type: 'String', children: null }];
    }
  }
  return { sel: root, unselectable: [...unselectable] };
}

/** The type's `id: ID!` field, if it has one. */
function idField(type: GraphQLObjectType): string | undefined {
  const id = type.getFields().id;
  return id && getNamedType(id.type).name === 'ID' ? 'id' : undefined;
}

function fits(text: string, limits: DocumentLimits): boolean {
  const m = measure(parse(text));
  return m.depth <= limits.maxDepth && m.aliases <= limits.maxAliases && m.cost <= limits.maxCost && m.fields <= limits.maxCost;
}

/**
 * Pieces of `sel`, each holding some of its fields, that together select all of them and
 * each fit the limits once wrapped by `wrap` (the path from the root).
 */
export function split(sel: Sel, wrap: (s: Sel) => string, limits: DocumentLimits): Sel[] {
  if (fits(wrap(sel), limits)) return [sel];
  if (!sel.children) throw new Error(`${sel.parentType}.${sel.field} alone exceeds the document limits`);
  const bins: Sel[][] = [];
  let current: Sel[] = [];
  for (const child of sel.children) {
    if (fits(wrap({ ...sel, children: [...current, child] }), limits)) {
      current.push(child);
      continue;
    }
    if (current.length) bins.push(current);
    current = [];
    if (fits(wrap({ ...sel, children: [child] }), limits)) current = [child];
    else for (const piece of split(child, (c) => wrap({ ...sel, children: [c] }), limits)) bins.push([piece]);
  }
  if (current.length) bins.push(current);
  return bins.map((children) => ({ ...sel, children }));
}

/**
 * Marks `Type.field` for every field present in `data` under a non-null parent object:
 * the field's resolver ran. `data` is the answer's `data` for the operation of `sel`.
 */
export function markExercised(sel: Sel, data: unknown, into: Set<string>): void {
  const visit = (s: Sel, value: unknown) => {
    if (value === null || value === undefined || !s.children) return;
    if (Array.isArray(value)) {
      for (const v of value) visit(s, v);
      return;
    }
    const obj = value as Record<string, unknown>;
    for (const c of s.children) {
      if (c.field === '__typename' || !(c.field in obj)) continue;
      into.add(`${s.type}.${c.field}`);
      visit(c, obj[c.field]);
    }
  };
  const top = data as Record<string, unknown> | null | undefined;
  if (!top || !(sel.field in top)) return;
  into.add(`${sel.parentType}.${sel.field}`);
  visit(sel, top[sel.field]);
}

/** Every `Type.field` reachable from the given root types (arguments aside). */
export function reachableFields(schema: GraphQLSchema, roots: GraphQLObjectType[]): Set<string> {
  const out = new Set<string>();
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length) {
    const type = queue.shift()!;
    if (seen.has(type.name)) continue;
    seen.add(type.name);
    for (const f of Object.values(type.getFields())) {
      if (f.name.startsWith('__')) continue;
      out.add(`${type.name}.${f.name}`);
      const t = getNamedType(f.type);
      if (isObjectType(t)) queue.push(t);
    }
  }
  return out;
}

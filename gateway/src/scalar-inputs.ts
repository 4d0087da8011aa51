import type { ApolloServerPlugin } from '@apollo/server';
import {
  DocumentNode,
  FragmentDefinitionNode,
  GraphQLError,
  GraphQLInputType,
  GraphQLNamedType,
  GraphQLScalarType,
  GraphQLSchema,
  getNamedType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  Kind,
  OperationDefinitionNode,
  TypeInfo,
  ValueNode,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { DateScalar, DateTimeScalar, DecimalScalar } from '../../subgraphs/shared/src';

/**
 * The supergraph gives the gateway its custom scalars (Decimal, DateTime, Date) without
 * their parsing: for the gateway any value fits, so "abc" as a Decimal went to a
 * subgraph, which refused the whole fetch with HTTP 400. Here every argument value that
 * reaches a custom scalar, inline or through a variable, is parsed with the scalar's own
 * implementation before anything is fetched, and a bad one is BAD_USER_INPUT with the
 * scalar's message and `param` naming where it is (`input.amount`, `records.2.transactionDate`).
 *
 * The same walk refuses the NUL character (U+0000) in every string value of every argument
 * (String, ID and the custom scalars alike): PostgreSQL cannot store it in text, so an id,
 * a filter, a name or an idempotency key holding it failed deep in a subgraph as HTTP 500.
 * This is the one place every input passes, over HTTP and WebSocket (`inputErrors`).
 */
export const SHARED_SCALARS: readonly GraphQLScalarType[] = [DecimalScalar, DateTimeScalar, DateScalar];

/** An argument whose value may hold a custom scalar somewhere. */
interface Site {
  param: string;
  type: GraphQLInputType;
  value: ValueNode;
}

const NUL = '\u0000';

/** Checks the argument values of operations against the scalars; sites are cached per parsed operation. */
export function inputChecker(scalars: readonly GraphQLScalarType[] = SHARED_SCALARS) {
  const byName = new Map(scalars.map((s) => [s.name, s]));
  // Parsed documents are cached by Apollo, so the same operation node comes back: walk it once.
  const sitesBySchema = new WeakMap<GraphQLSchema, WeakMap<OperationDefinitionNode, Site[]>>();
  /** Throws the first bad value as BAD_USER_INPUT (HTTP 400) naming its place. */
  return (schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown>): void => {
    let cache = sitesBySchema.get(schema);
    if (!cache) sitesBySchema.set(schema, (cache = new WeakMap()));
    let sites = cache.get(operation);
    if (!sites) cache.set(operation, (sites = findSites(schema, document, operation)));
    if (!sites.length) return;
    const checker = new Checker(byName, operation, variables);
    for (const site of sites) checker.literal(site.value, site.type, [site.param]);
  };
}

export function scalarInputsPlugin(scalars: readonly GraphQLScalarType[] = SHARED_SCALARS): ApolloServerPlugin {
  const check = inputChecker(scalars);
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ schema, document, operation, request }) {
          if (operation) check(schema, document, operation, request.variables ?? {});
        },
      };
    },
  };
}

/** Arguments (of fields in the operation and the fragments it uses) whose type can hold a scalar (a string). */
function findSites(schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode): Site[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const holds = scalarHolder();
  const sites: Site[] = [];
  const seen = new Set<string>();
  const queue: (OperationDefinitionNode | FragmentDefinitionNode)[] = [operation];
  while (queue.length) {
    const typeInfo = new TypeInfo(schema);
    visit(
      queue.shift()!,
      visitWithTypeInfo(typeInfo, {
        Argument(node) {
          const arg = typeInfo.getArgument();
          if (arg && holds(arg.type)) sites.push({ param: node.name.value, type: arg.type, value: node.value });
        },
        FragmentSpread(node) {
          const fragment = fragments.get(node.name.value);
          if (fragment && !seen.has(fragment.name.value)) {
            seen.add(fragment.name.value);
            queue.push(fragment);
          }
        },
      }),
    );
  }
  return sites;
}

/** Whether a value of the type can contain a scalar (through lists and input objects); enums cannot hold a NUL. */
function scalarHolder(): (type: GraphQLInputType) => boolean {
  const memo = new Map<GraphQLNamedType, boolean>();
  const holds = (type: GraphQLInputType): boolean => {
    const named = getNamedType(type);
    const known = memo.get(named);
    if (known !== undefined) return known;
    if (isScalarType(named)) {
      memo.set(named, true);
    } else if (isInputObjectType(named)) {
      memo.set(named, false); // a cycle through this type adds nothing new
      memo.set(named, Object.values(named.getFields()).some((f) => holds(f.type)));
    } else {
      memo.set(named, false);
    }
    return memo.get(named)!;
  };
  return holds;
}

class Checker {
  private readonly defaults = new Map<string, ValueNode>();

  constructor(
    private readonly scalars: Map<string, GraphQLScalarType>,
    operation: OperationDefinitionNode,
    private readonly variables: Record<string, unknown>,
  ) {
    for (const v of operation.variableDefinitions ?? []) if (v.defaultValue) this.defaults.set(v.variable.name.value, v.defaultValue);
  }

  /** A value written in the document (which may name variables). */
  literal(node: ValueNode, type: GraphQLInputType, path: (string | number)[]): void {
    if (isNonNullType(type)) type = type.ofType;
    if (node.kind === Kind.VARIABLE) {
      const name = node.name.value;
      if (Object.prototype.hasOwnProperty.call(this.variables, name)) this.value(this.variables[name], type, path);
      else if (this.defaults.has(name)) this.literal(this.defaults.get(name)!, type, path);
      return;
    }
    if (node.kind === Kind.NULL) return;
    if (isListType(type)) {
      if (node.kind === Kind.LIST) node.values.forEach((item, i) => this.literal(item, type.ofType, [...path, i]));
      else this.literal(node, type.ofType, path);
      return;
    }
    if (isInputObjectType(type)) {
      if (node.kind !== Kind.OBJECT) return;
      const fields = type.getFields();
      for (const field of node.fields) {
        const def = fields[field.name.value];
        if (def) this.literal(field.value, def.type, [...path, field.name.value]);
      }
      return;
    }
    if (node.kind === Kind.STRING && node.value.includes(NUL)) throw nulCharacter(path);
    const scalar = isScalarType(type) ? this.scalars.get(type.name) : undefined;
    if (!scalar) return;
    try {
      scalar.parseLiteral(node, undefined);
    } catch (err) {
      throw invalidValue(scalar, err, path);
    }
  }

  /** A value sent in `variables` (JSON). */
  value(value: unknown, type: GraphQLInputType, path: (string | number)[]): void {
    if (value === null || value === undefined) return;
    if (isNonNullType(type)) type = type.ofType;
    if (isListType(type)) {
      if (Array.isArray(value)) value.forEach((item, i) => this.value(item, type.ofType, [...path, i]));
      else this.value(value, type.ofType, path);
      return;
    }
    if (isInputObjectType(type)) {
      if (typeof value !== 'object' || Array.isArray(value)) return;
      for (const [name, def] of Object.entries(type.getFields())) {
        if (Object.prototype.hasOwnProperty.call(value, name)) this.value((value as Record<string, unknown>)[name], def.type, [...path, name]);
      }
      return;
    }
    if (typeof value === 'string' && value.includes(NUL)) throw nulCharacter(path);
    const scalar = isScalarType(type) ? this.scalars.get(type.name) : undefined;
    if (!scalar) return;
    try {
      scalar.parseValue(value);
    } catch (err) {
      throw invalidValue(scalar, err, path);
    }
  }
}

function invalidValue(scalar: GraphQLScalarType, err: unknown, path: (string | number)[]): GraphQLError {
  // The shared scalars throw GraphQLErrors saying what is allowed; anything else is not for the caller's eyes.
  const message = err instanceof GraphQLError ? err.message : `${scalar.name} cannot represent this value`;
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', param: path.join('.'), http: { status: 400 } } });
}

function nulCharacter(path: (string | number)[]): GraphQLError {
  const param = path.join('.');
  return new GraphQLError(`${param} must not contain the NUL character (U+0000); any other Unicode text is allowed`, {
    extensions: { code: 'BAD_USER_INPUT', param, http: { status: 400 } },
  });
}

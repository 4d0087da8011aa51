import { ArgumentNode, DirectiveNode, FieldDefinitionNode, Kind, ObjectTypeDefinitionNode, parse, print, visit } from 'graphql';

/**
 * The gateway's view of the supergraph, in which a service that is away costs only its own
 * fields. GraphQL turns a null in a non-null field into a null parent, up to the nearest
 * nullable field: with commissions down, `trackEvent { id commissions { amount } }` would
 * answer `data: null` although the event was stored, and `partners { nodes { name
 * earnings } }` would lose every name. So, in what the gateway serves (the subgraphs keep
 * their own schemas and answer every field they own):
 *  - a field of an entity that some service holding the entity cannot resolve itself (the
 *    gateway may have to fetch it from another service: `ReferralEvent.commissions`,
 *    `Partner.name` under a commission) is nullable;
 *  - every root Query field is nullable, so the fields of the services that answer are kept.
 * Mutation and Subscription root fields keep their types: one that is answered ran.
 * The missing field is null with a SERVICE_UNAVAILABLE error (principal-forwarding.ts).
 */
export function relaxServiceBoundaries(supergraphSdl: string): { sdl: string; relaxed: string[] } {
  const relaxed: string[] = [];
  const document = visit(parse(supergraphSdl), {
    ObjectTypeDefinition(type: ObjectTypeDefinitionNode) {
      const boundary = type.name.value === 'Query' ? () => true : entityBoundary(type);
      if (!boundary) return undefined;
      const fields = type.fields?.map((field) => {
        if (field.type.kind !== Kind.NON_NULL_TYPE || !boundary(field)) return field;
        relaxed.push(`${type.name.value}.${field.name.value}`);
        return { ...field, type: field.type.type } as FieldDefinitionNode;
      });
      return { ...type, fields };
    },
  });
  return { sdl: print(document), relaxed };
}

const directives = (node: { directives?: readonly DirectiveNode[] }, name: string) => node.directives?.filter((d) => d.name.value === name) ?? [];
const argument = (d: DirectiveNode, name: string): ArgumentNode['value'] | undefined => d.arguments?.find((a) => a.name.value === name)?.value;
const enumArg = (d: DirectiveNode, name: string) => {
  const v = argument(d, name);
  return v?.kind === Kind.ENUM ? v.value : undefined;
};

/** For an entity (a type with a key in some service): whether a field may come from another service. */
function entityBoundary(type: ObjectTypeDefinitionNode): ((field: FieldDefinitionNode) => boolean) | null {
  const joins = directives(type, 'join__type');
  if (!joins.some((d) => argument(d, 'key'))) return null;
  const graphs = new Set(joins.map((d) => enumArg(d, 'graph')).filter((g): g is string => !!g));
  return (field) => {
    const fieldJoins = directives(field, 'join__field');
    // No @join__field: every service of the type resolves it.
    if (!fieldJoins.length) return false;
    const resolving = new Set(fieldJoins.filter((d) => !(argument(d, 'external')?.kind === Kind.BOOLEAN && (argument(d, 'external') as { value: boolean }).value)).map((d) => enumArg(d, 'graph')));
    return [...graphs].some((g) => !resolving.has(g));
  };
}

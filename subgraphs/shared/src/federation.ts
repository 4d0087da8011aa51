import { buildSubgraphSchema } from '@apollo/subgraph';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { GraphQLSchema, parse } from 'graphql';
import { buildSchema, BuildSchemaOptions, createResolversMap } from 'type-graphql';
import { DateTimeScalar } from './scalars';

const FEDERATION_LINK =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable", "@external", "@requires", "@provides", "@inaccessible", "@tag"])';

export type ReferenceResolvers = Record<string, { __resolveReference: (reference: any, context: any, info: any) => unknown }>;

/**
 * type-graphql classes -> Apollo Federation 2 subgraph schema. type-graphql prints the
 * SDL (with `@key` and friends kept by printSchemaWithDirectives), buildSubgraphSchema
 * adds `_entities` / `_service`, and the type-graphql resolvers plus the reference
 * resolvers are attached to it.
 */
export async function buildFederatedSchema(
  options: Pick<BuildSchemaOptions, 'resolvers' | 'orphanedTypes'> & {
    /** Resolver instances (constructed with their dependencies); others are constructed bare. */
    instances?: object[];
  },
  referenceResolvers: ReferenceResolvers = {},
): Promise<GraphQLSchema> {
  const instances = new Map<Function, object>((options.instances ?? []).map((i) => [i.constructor, i]));
  const schema = await buildSchema({
    resolvers: options.resolvers,
    orphanedTypes: options.orphanedTypes,
    container: {
      get: (cls: Function) => {
        let instance = instances.get(cls);
        if (!instance) {
          instance = new (cls as new () => object)();
          instances.set(cls, instance);
        }
        return instance;
      },
    },
    skipCheck: true,
    validate: false,
    // Subscriptions bring their own `subscribe` (fed by shared/bus PubSub); type-graphql's
    // topic-based pub/sub is never used.
    pubSub: {
      publish: () => undefined,
      subscribe: () => {
        throw new Error('subscriptions here use the subscribe option, not topics');
      },
    },
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
  });
  const typeDefs = parse(`${FEDERATION_LINK}\n\n${printSchemaWithDirectives(schema)}`);
  const resolvers = createResolversMap(schema) as Record<string, any>;
  for (const [typeName, ref] of Object.entries(referenceResolvers)) {
    resolvers[typeName] = { ...(resolvers[typeName] as object), ...ref } as never;
  }
  return buildSubgraphSchema({ typeDefs, resolvers });
}

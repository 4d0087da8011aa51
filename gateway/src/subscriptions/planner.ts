import { operationFromDocument, Schema, Supergraph } from '@apollo/federation-internals';
import { QueryPlan, QueryPlanner } from '@apollo/query-planner';
import { DocumentNode, GraphQLSchema } from 'graphql';

/**
 * Plans subscriptions on the static supergraph. @apollo/gateway refuses to execute them,
 * but the query planner plans a `Subscription` node: a `primary` fetch to the subgraph
 * that owns the field and a `rest` plan for fields of other subgraphs.
 */
export class SubscriptionPlanner {
  readonly apiSchema: Schema;
  readonly apiGraphQLSchema: GraphQLSchema;
  readonly supergraphSchema: GraphQLSchema;
  private readonly planner: QueryPlanner;
  private readonly cache = new Map<string, QueryPlan>();

  constructor(supergraphSdl: string) {
    const supergraph = Supergraph.build(supergraphSdl);
    this.apiSchema = supergraph.apiSchema();
    this.apiGraphQLSchema = this.apiSchema.toGraphQLJSSchema();
    this.supergraphSchema = supergraph.schema.toGraphQLJSSchema();
    this.planner = new QueryPlanner(supergraph);
  }

  plan(document: DocumentNode, operationName: string | undefined, cacheKey: string): QueryPlan {
    const hit = this.cache.get(cacheKey);
    if (hit) return hit;
    const plan = this.planner.buildQueryPlan(operationFromDocument(this.apiSchema, document, { operationName }));
    if (this.cache.size > 500) this.cache.clear();
    this.cache.set(cacheKey, plan);
    return plan;
  }
}

import { GraphQLSchema } from 'graphql';
import { buildFederatedSchema } from '../../shared/src';
import { CommissionsContext } from './loaders';
import { Partner } from './external/partner';
import { Earnings, PartnerEarningsResolver } from './resolvers/earnings.resolver';

/** The commissions subgraph schema. */
export function buildCommissionsSchema(): Promise<GraphQLSchema> {
  return buildFederatedSchema(
    { resolvers: [PartnerEarningsResolver], orphanedTypes: [Partner, Earnings] },
    {
      Partner: {
        __resolveReference: (ref: { id: string }, ctx: CommissionsContext) => (ctx.principal.partnerId && ctx.principal.partnerId !== ref.id ? null : { id: ref.id }),
      },
    },
  );
}

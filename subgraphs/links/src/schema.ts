import { GraphQLSchema } from 'graphql';
import { buildFederatedSchema, Outbox } from '../../shared/src';
import { LinksContext } from './loaders';
import { PartnerResolver } from './resolvers/partner.resolver';

/** The links subgraph schema; `outbox` is null when only the SDL is wanted (npm run schema). */
export function buildLinksSchema(outbox: Outbox | null): Promise<GraphQLSchema> {
  return buildFederatedSchema(
    { resolvers: [PartnerResolver], instances: [new PartnerResolver(outbox as Outbox)] },
    {
      Partner: {
        __resolveReference: (ref: { id: string }, ctx: LinksContext) =>
          ctx.principal.partnerId && ctx.principal.partnerId !== ref.id ? null : ctx.loaders.partner.load(ref.id),
      },
    },
  );
}

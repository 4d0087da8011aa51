import { GraphQLSchema } from 'graphql';
import { buildFederatedSchema, withScope } from '../../shared/src';
import { LinksContext } from './loaders';
import { ClickResolver } from './resolvers/click.resolver';
import { ReferralGraphResolver } from './resolvers/graph.resolver';
import { ReferralLinkResolver } from './resolvers/link.resolver';
import { PartnerResolver } from './resolvers/partner.resolver';
import { LinkSettingsResolver } from './resolvers/settings.resolver';
import { LinksDeps } from './services/deps';

/** The links subgraph schema; `deps` is null when only the SDL is wanted (npm run schema). */
export function buildLinksSchema(deps: LinksDeps | null): Promise<GraphQLSchema> {
  const d = deps as LinksDeps;
  const own = (ctx: LinksContext, partnerId: string | null | undefined) => !ctx.principal.partnerId || ctx.principal.partnerId === partnerId;
  return buildFederatedSchema(
    {
      resolvers: [PartnerResolver, ReferralLinkResolver, ClickResolver, LinkSettingsResolver, ReferralGraphResolver],
      instances: [new PartnerResolver(d), new ReferralLinkResolver(d), new ClickResolver(d), new LinkSettingsResolver(d)],
    },
    {
      Partner: { __resolveReference: withScope('links:read', (ref: { id: string }, ctx: LinksContext) => (own(ctx, ref.id) ? ctx.loaders.partner.load(ref.id) : null)) },
      ReferralLink: {
        __resolveReference: withScope('links:read', async (ref: { id: string }, ctx: LinksContext) => {
          const link = await ctx.loaders.link.load(ref.id);
          return link && own(ctx, link.partnerId) ? link : null;
        }),
      },
      Click: {
        __resolveReference: withScope('links:read', async (ref: { id: string }, ctx: LinksContext) => {
          const click = await ctx.loaders.click.load(ref.id);
          return click && own(ctx, click.partnerId) ? click : null;
        }),
      },
      ReferralGraph: {
        __resolveReference: withScope('links:read', (ref: { partnerId: string; from: string; to: string; granularity: string }, ctx: LinksContext) =>
          own(ctx, ref.partnerId) ? { ...ref, from: new Date(ref.from), to: new Date(ref.to), tenantId: ctx.principal.tenantId } : null),
      },
    },
  );
}

import { GraphQLSchema } from 'graphql';
import { buildFederatedSchema, withScope } from '../../shared/src';
import { ReferralLink } from './external/links';
import { Partner } from './external/partner';
import { PostbackEndpoint } from './entities/postback.entity';
import { ReferralGraph } from './external/referral-graph';
import { EventsContext } from './loaders';
import { PartnerEventsResolver, ReferralEventResolver } from './resolvers/event.resolver';
import { ForexResolver } from './resolvers/forex.resolver';
import { GraphRegistrationsResolver, LinkEventCountsResolver } from './resolvers/link-stats.resolver';
import { EventSettingsResolver } from './resolvers/settings.resolver';
import { ProductResolver } from './resolvers/product.resolver';
import { PostbackDeliveryResolver, PostbackResolver } from './resolvers/postback.resolver';
import { ConversionSubscriptionResolver } from './resolvers/subscription.resolver';
import { TraderResolver } from './resolvers/trader.resolver';
import { EventsDeps } from './services/deps';

/** The events subgraph schema; `deps` is null when only the SDL is wanted (npm run schema). */
export function buildEventsSchema(deps: EventsDeps | null): Promise<GraphQLSchema> {
  const d = deps as EventsDeps;
  const partnerVisible = (ctx: EventsContext, id: string | null) => !ctx.principal.partnerId || ctx.principal.partnerId === id;
  return buildFederatedSchema(
    {
      resolvers: [ReferralEventResolver, ConversionSubscriptionResolver, PostbackResolver, PostbackDeliveryResolver, TraderResolver, PartnerEventsResolver, EventSettingsResolver, LinkEventCountsResolver, GraphRegistrationsResolver, ForexResolver, ProductResolver],
      orphanedTypes: [Partner, ReferralLink, ReferralGraph],
      instances: [new ReferralEventResolver(d), new EventSettingsResolver(d), new ForexResolver(d), new PostbackResolver(d), new ProductResolver(d)],
    },
    {
      Partner: { __resolveReference: (ref: { id: string }, ctx: EventsContext) => (partnerVisible(ctx, ref.id) ? { id: ref.id } : null) },
      ReferralEvent: {
        __resolveReference: withScope('events:read', async (ref: { id: string }, ctx: EventsContext) => {
          const e = await ctx.loaders.event.load(ref.id);
          return e && partnerVisible(ctx, e.partnerId) ? e : null;
        }),
      },
      Trader: {
        __resolveReference: withScope('events:read', async (ref: { id: string }, ctx: EventsContext) => {
          const t = await ctx.loaders.trader.load(ref.id);
          return t && partnerVisible(ctx, t.partnerId) ? t : null;
        }),
      },
      // Visibility of links is decided by links; counters are filtered by tenant.
      ReferralLink: { __resolveReference: (ref: { id: string }) => ({ id: ref.id }) },
      PostbackEndpoint: {
        __resolveReference: withScope('postbacks:manage', async (ref: { id: string }, ctx: EventsContext) => {
          if (ctx.principal.partnerId) return null;
          const e = await ctx.dataSource.getRepository(PostbackEndpoint).findOneBy({ tenantId: ctx.principal.tenantId, id: ref.id });
          return e && !e.deletedAt ? e : null;
        }),
      },
      ReferralGraph: {
        __resolveReference: (ref: { partnerId: string; from: string; to: string; granularity: string }, ctx: EventsContext) =>
          partnerVisible(ctx, ref.partnerId) ? ref : null,
      },
    },
  );
}

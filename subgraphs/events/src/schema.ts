import { GraphQLSchema } from 'graphql';
import { buildFederatedSchema, Outbox } from '../../shared/src';
import { EventsContext } from './loaders';
import { PartnerEventsResolver, ReferralEventResolver } from './resolvers/event.resolver';
import { TraderResolver } from './resolvers/trader.resolver';

/** The events subgraph schema; `outbox` is null when only the SDL is wanted (npm run schema). */
export function buildEventsSchema(outbox: Outbox | null): Promise<GraphQLSchema> {
  const partnerVisible = (ctx: EventsContext, id: string) => !ctx.principal.partnerId || ctx.principal.partnerId === id;
  return buildFederatedSchema(
    { resolvers: [ReferralEventResolver, TraderResolver, PartnerEventsResolver], instances: [new ReferralEventResolver(outbox as Outbox)] },
    {
      Partner: { __resolveReference: (ref: { id: string }, ctx: EventsContext) => (partnerVisible(ctx, ref.id) ? { id: ref.id } : null) },
      ReferralEvent: {
        __resolveReference: async (ref: { id: string }, ctx: EventsContext) => {
          const e = await ctx.loaders.event.load(ref.id);
          return e && (!e.partnerId || partnerVisible(ctx, e.partnerId)) ? e : null;
        },
      },
      Trader: {
        __resolveReference: async (ref: { id: string }, ctx: EventsContext) => {
          const t = await ctx.loaders.trader.load(ref.id);
          return t && (!t.partnerId || partnerVisible(ctx, t.partnerId)) ? t : null;
        },
      },
    },
  );
}

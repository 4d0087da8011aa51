import { GraphQLSchema } from 'graphql';
import { buildFederatedSchema, withScope } from '../../shared/src';
import { ReferralEvent, ReferralGraph } from './external/events';
import { Partner } from './external/partner';
import { CommissionsContext } from './loaders';
import { CommissionResolver, EventCommissionsResolver, GraphIncomeResolver, PartnerCommissionsResolver } from './resolvers/commission.resolver';
import { Earnings, PartnerEarningsResolver } from './resolvers/earnings.resolver';
import { CommissionPlanResolver } from './resolvers/plan.resolver';
import { CommissionChangeResolver } from './resolvers/commission-change.resolver';
import { EarningsFxResolver, FxRateResolver } from './resolvers/fx-rate.resolver';
import { CommissionsDeps } from './services/deps';

/** The commissions subgraph schema; `deps` is null when only the SDL is wanted (npm run schema). */
export function buildCommissionsSchema(deps: CommissionsDeps | null): Promise<GraphQLSchema> {
  const d = deps as CommissionsDeps;
  const own = (ctx: CommissionsContext, partnerId: string) => !ctx.principal.partnerId || ctx.principal.partnerId === partnerId;
  return buildFederatedSchema(
    {
      resolvers: [PartnerEarningsResolver, CommissionResolver, EventCommissionsResolver, PartnerCommissionsResolver, GraphIncomeResolver, CommissionPlanResolver, CommissionChangeResolver, FxRateResolver, EarningsFxResolver],
      orphanedTypes: [Partner, Earnings, ReferralEvent, ReferralGraph],
      instances: [new CommissionResolver(d), new EventCommissionsResolver(d), new CommissionPlanResolver(d), new FxRateResolver(d)],
    },
    {
      Partner: { __resolveReference: (ref: { id: string }, ctx: CommissionsContext) => (own(ctx, ref.id) ? { id: ref.id } : null) },
      // The representation carries the @requires fields; they are the resolver's input.
      ReferralEvent: { __resolveReference: (ref: ReferralEvent) => ref },
      ReferralGraph: { __resolveReference: (ref: ReferralGraph, ctx: CommissionsContext) => (own(ctx, ref.partnerId) ? ref : null) },
      Commission: {
        __resolveReference: withScope('commissions:read', async (ref: { id: string }, ctx: CommissionsContext) => {
          const c = await ctx.loaders.commission.load(ref.id);
          return c && own(ctx, c.partnerId) ? c : null;
        }),
      },
      CommissionPlan: {
        __resolveReference: withScope('commissions:read', (ref: { id: string }, ctx: CommissionsContext) => (ctx.principal.partnerId ? null : ctx.loaders.plan.load(ref.id))),
      },
    },
  );
}

import { GraphQLSchema } from 'graphql';
import { buildFederatedSchema, Outbox, withScope } from '../../shared/src';
import { CodeNamespace } from './external/links-code-namespace';
import { KycContext } from './loaders';
import { KycApplicationResolver } from './resolvers/kyc.resolver';
import { ReferralCodeResolver } from './resolvers/referral-code.resolver';

/**
 * The kyc subgraph schema; `outbox` is null when only the SDL is wanted (npm run schema).
 * `namespace` is where new codes are reserved (links).
 */
export function buildKycSchema(outbox: Outbox | null, namespace: CodeNamespace | null = null): Promise<GraphQLSchema> {
  return buildFederatedSchema(
    { resolvers: [ReferralCodeResolver, KycApplicationResolver], instances: [new ReferralCodeResolver(outbox as Outbox, namespace as CodeNamespace), new KycApplicationResolver(outbox as Outbox)] },
    {
      ReferralCode: {
        __resolveReference: withScope('kyc:read', async (ref: { id: string }, ctx: KycContext) => {
          const code = await ctx.loaders.referralCode.load(ref.id);
          if (!code || !ctx.principal.partnerId) return code;
          const owner = await ctx.loaders.partnerByExternalId.load(code.userId);
          return owner === ctx.principal.partnerId ? code : null;
        }),
      },
      KycApplication: {
        __resolveReference: withScope('kyc:read', (ref: { id: string }, ctx: KycContext) => (ctx.principal.partnerId ? null : ctx.loaders.application.load(ref.id))),
      },
    },
  );
}

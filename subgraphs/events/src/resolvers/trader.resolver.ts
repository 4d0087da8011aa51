import { Arg, Args, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { ConnectionType, notFound, PageArgs, paginateQuery, requireScope, scopedPartnerId } from '../../../shared/src';
import { Trader } from '../entities/trader.entity';
import { Partner } from '../external/partner';
import { EventsContext } from '../loaders';
import { listEvents } from './event-list';
import { TraderFilter } from './inputs';
import { ReferralEventConnection } from './event.resolver';

export const TraderConnection = ConnectionType('Trader', Trader);

@Resolver(() => Trader)
export class TraderResolver {
  @Query(() => Trader, { nullable: true })
  async trader(@Arg('id', () => ID) id: string, @Ctx() ctx: EventsContext): Promise<Trader> {
    requireScope(ctx, 'events:read');
    const trader = await ctx.loaders.trader.load(id);
    if (!trader || (ctx.principal.partnerId && trader.partnerId !== ctx.principal.partnerId)) throw notFound(`no trader with id ${id}`, 'id', 'trader_not_found');
    return trader;
  }

  @Query(() => TraderConnection, { description: 'Newest first' })
  async traders(@Arg('filter', () => TraderFilter, { nullable: true }) filter: TraderFilter | null, @Args() page: PageArgs, @Ctx() ctx: EventsContext) {
    requireScope(ctx, 'events:read');
    const partnerId = scopedPartnerId(ctx, filter?.partnerId);
    const build = () => {
      const qb = ctx.dataSource.getRepository(Trader).createQueryBuilder('t').where('t.tenant_id = :tenantId', { tenantId: ctx.principal.tenantId });
      if (partnerId) qb.andWhere('t.partner_id = :partnerId', { partnerId });
      if (filter?.email) qb.andWhere('t.email_key = :emailKey', { emailKey: filter.email.toLowerCase() });
      if (filter?.externalId) qb.andWhere('t.external_id = :externalId', { externalId: filter.externalId });
      return qb;
    };
    return paginateQuery(build, page);
  }

  @FieldResolver(() => Partner, { nullable: true, description: 'The first-touch partner' })
  partner(@Root() trader: Trader): Partner | null {
    return trader.partnerId ? { id: trader.partnerId } : null;
  }

  @FieldResolver(() => ReferralEventConnection, { description: "The trader's events, newest first" })
  events(@Root() trader: Trader, @Args() page: PageArgs, @Ctx() ctx: EventsContext) {
    return listEvents(ctx, { traderId: trader.id }, page);
  }
}

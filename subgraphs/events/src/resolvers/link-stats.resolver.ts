import { Arg, Ctx, FieldResolver, Int, Resolver, Root } from 'type-graphql';
import { assertPartnerVisible, badInput, CountPoint, countSeries, requireScope } from '../../../shared/src';
import { EventType } from '../domain/event-types';
import { ReferralEvent } from '../entities/referral-event.entity';
import { ReferralLink } from '../external/links';
import { ReferralGraph } from '../external/referral-graph';
import { EventsContext } from '../loaders';

function since(ctx: EventsContext, days: number): Date {
  if (!Number.isInteger(days) || days < 1 || days > 366) throw badInput('days must be an integer from 1 to 366', 'days');
  return new Date(ctx.now.getTime() - days * 86_400_000);
}

@Resolver(() => ReferralLink)
export class LinkEventCountsResolver {
  @FieldResolver(() => Int, { description: 'Events attributed through this link in the last `days` days (optionally of one type)' })
  eventCount(
    @Root() link: ReferralLink,
    @Arg('days', () => Int, { defaultValue: 30 }) days: number,
    @Arg('eventType', () => EventType, { nullable: true }) eventType: EventType | null,
    @Ctx() ctx: EventsContext,
  ): Promise<number> {
    requireScope(ctx, 'events:read');
    return ctx.loaders.linkEvents.load({ linkId: link.id, from: since(ctx, days), eventType, conversionsOnly: false });
  }

  @FieldResolver(() => Int, { description: 'Conversions attributed through this link in the last `days` days' })
  conversionCount(@Root() link: ReferralLink, @Arg('days', () => Int, { defaultValue: 30 }) days: number, @Ctx() ctx: EventsContext): Promise<number> {
    requireScope(ctx, 'events:read');
    return ctx.loaders.linkEvents.load({ linkId: link.id, from: since(ctx, days), eventType: null, conversionsOnly: true });
  }
}

@Resolver(() => ReferralGraph)
export class GraphRegistrationsResolver {
  @FieldResolver(() => [CountPoint], { description: 'Registrations (duplicates excluded) per bucket; empty buckets are 0' })
  async registrations(@Root() graph: ReferralGraph, @Ctx() ctx: EventsContext): Promise<CountPoint[]> {
    requireScope(ctx, 'events:read');
    assertPartnerVisible(ctx, graph.partnerId);
    const qb = ctx.dataSource
      .getRepository(ReferralEvent)
      .createQueryBuilder('e')
      .where('e.tenant_id = :tenantId AND e.partner_id = :partnerId', { tenantId: ctx.principal.tenantId, partnerId: graph.partnerId })
      .andWhere('e.event_type = :type AND e.is_duplicate = :dup', { type: EventType.REGISTRATION, dup: false });
    return countSeries(qb, 'e.occurred_at', graph);
  }
}

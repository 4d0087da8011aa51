import { Arg, Ctx, Field, ID, InputType, Resolver, Root, Subscription } from 'type-graphql';
import { forbidden, requireScope } from '../../../shared/src';
import { decodeEventCursor } from '../domain/event-cursor';
import { EventType } from '../domain/event-types';
import { ReferralEvent } from '../entities/referral-event.entity';
import { conversionStream } from '../live/stream';
import { EventsContext } from '../loaders';

@InputType()
export class ConversionStreamFilter {
  @Field(() => ID, { nullable: true, description: 'Only this partner (a partner credential always gets its own)' })
  partnerId?: string | null;

  @Field(() => [EventType], { nullable: true })
  eventTypes?: EventType[] | null;

  @Field(() => Boolean, { nullable: true, description: 'Only events with isConversion' })
  conversionsOnly?: boolean | null;
}

interface SubscribeArgs {
  filter?: ConversionStreamFilter | null;
  after?: string | null;
}

@Resolver(() => ReferralEvent)
export class ConversionSubscriptionResolver {
  @Subscription(() => ReferralEvent, {
    description:
      "The tenant's events as they are committed, in order. With after (a ReferralEvent.cursor) it first replays every matching event committed after it, with no gap or repeat at the switch to live.",
    subscribe: ({ args, context }) => {
      const ctx = context as EventsContext;
      const { filter, after } = args as SubscribeArgs;
      requireScope(ctx, 'events:read');
      const own = ctx.principal.partnerId;
      if (own && filter?.partnerId && filter.partnerId !== own) throw forbidden('a partner credential only receives its own conversions', 'partner_scope');
      const live = ctx.live;
      return conversionStream({
        ds: ctx.dataSource,
        pubsub: live.pubsub,
        tenantId: ctx.principal.tenantId,
        filter: { ...(filter ?? {}), partnerId: own ?? filter?.partnerId ?? null },
        afterPosition: after ? decodeEventCursor(after) : null,
        bufferLimit: live.bufferLimit,
      });
    },
  })
  conversionRecorded(
    @Root() event: ReferralEvent,
    @Arg('filter', () => ConversionStreamFilter, { nullable: true }) _filter: ConversionStreamFilter | null,
    @Arg('after', () => String, { nullable: true, description: 'Resume after this ReferralEvent.cursor' }) _after: string | null,
    @Ctx() _ctx: EventsContext,
  ): ReferralEvent {
    return event;
  }
}

import { Arg, Ctx, Field, ID, InputType, Resolver, Root, Subscription } from 'type-graphql';
import { forbidden, requireScope } from '../../../shared/src';
import { decodeCorrectionCursor, decodeEventCursor } from '../domain/event-cursor';
import { EventType } from '../domain/event-types';
import { ReferralEventCorrection } from '../entities/event-correction.entity';
import { ReferralEvent } from '../entities/referral-event.entity';
import { correctionStream } from '../live/correction-stream';
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

/** Who may subscribe, and to what: scope events:read; a partner credential only to its own partner's events. */
function streamScope(ctx: EventsContext, filter: ConversionStreamFilter | null | undefined) {
  requireScope(ctx, 'events:read');
  const own = ctx.principal.partnerId;
  if (own && filter?.partnerId && filter.partnerId !== own) throw forbidden('a partner credential only receives its own conversions', 'partner_scope');
  return {
    ds: ctx.dataSource,
    pubsub: ctx.live.pubsub,
    tenantId: ctx.principal.tenantId,
    filter: { ...(filter ?? {}), partnerId: own ?? filter?.partnerId ?? null },
    bufferLimit: ctx.live.bufferLimit,
  };
}

@Resolver(() => ReferralEvent)
export class ConversionSubscriptionResolver {
  @Subscription(() => ReferralEvent, {
    description:
      "The tenant's events as they are committed, in order. With after (a ReferralEvent.cursor) it first replays every matching event committed after it, with no gap or repeat at the switch to live.",
    subscribe: ({ args, context }) => {
      const { filter, after } = args as SubscribeArgs;
      return conversionStream({ ...streamScope(context as EventsContext, filter), afterPosition: after ? decodeEventCursor(after) : null });
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

  @Subscription(() => ReferralEventCorrection, {
    description:
      "Corrections of the tenant's stored events as they are committed, in order: a deposit that stops being the first, a first trade moved to an earlier day, a deposit re-sent approved for another amount, a deposit in another currency that the first exchange rate covering it puts below the CPA minAmount (each with the event as it now is and what it was: label, isConversion, date, amount). The filter of conversionRecorded; an event type or conversionsOnly matches the event before or after the correction. With after (a ReferralEventCorrection.cursor) it first replays every matching correction committed after it, with no gap or repeat at the switch to live.",
    subscribe: ({ args, context }) => {
      const { filter, after } = args as SubscribeArgs;
      return correctionStream({ ...streamScope(context as EventsContext, filter), afterPosition: after ? decodeCorrectionCursor(after) : null });
    },
  })
  conversionCorrected(
    @Root() correction: ReferralEventCorrection,
    @Arg('filter', () => ConversionStreamFilter, { nullable: true }) _filter: ConversionStreamFilter | null,
    @Arg('after', () => String, { nullable: true, description: 'Resume after this ReferralEventCorrection.cursor' }) _after: string | null,
    @Ctx() _ctx: EventsContext,
  ): ReferralEventCorrection {
    return correction;
  }
}

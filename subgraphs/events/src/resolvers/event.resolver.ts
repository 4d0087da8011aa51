import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { assertPartnerVisible, badInput, ConnectionType, forbidden, notFound, PageArgs, rangeEnd, requireScope, scopedPartnerId } from '../../../shared/src';
import { encodeEventCursor } from '../domain/event-cursor';
import { Click, ReferralLink } from '../external/links';
import { EventsDeps } from '../services/deps';
import { validateTrackEvent } from '../domain/track-event-input';
import { assertKnownProduct } from './product.resolver';
import { ReferralEvent } from '../entities/referral-event.entity';
import { Trader } from '../entities/trader.entity';
import { Partner } from '../external/partner';
import { EventsContext } from '../loaders';
import { trackEvent } from '../services/track-event';
import { listEvents } from './event-list';
import { EventFilter, TrackEventInput } from './inputs';

export const ReferralEventConnection = ConnectionType('ReferralEvent', ReferralEvent);

@Resolver(() => ReferralEvent)
export class ReferralEventResolver {
  constructor(private readonly deps: EventsDeps) {}

  @Query(() => ReferralEvent, { nullable: true })
  async event(@Arg('id', () => ID) id: string, @Ctx() ctx: EventsContext): Promise<ReferralEvent> {
    requireScope(ctx, 'events:read');
    const event = await ctx.loaders.event.load(id);
    if (!event || (ctx.principal.partnerId && event.partnerId !== ctx.principal.partnerId)) throw notFound(`no event with id ${id}`, 'id', 'event_not_found');
    return event;
  }

  @Query(() => ReferralEventConnection, { description: 'Newest first' })
  async events(@Arg('filter', () => EventFilter, { nullable: true }) filter: EventFilter | null, @Args() page: PageArgs, @Ctx() ctx: EventsContext) {
    requireScope(ctx, 'events:read');
    const f = filter ?? {};
    return listEvents(ctx, { ...f, partnerId: scopedPartnerId(ctx, f.partnerId) }, page);
  }

  @Mutation(() => ReferralEvent, {
    description: 'Records an event. The same idempotencyKey with the same input returns the original event; with a different input, CONFLICT.',
  })
  async trackEvent(
    @Arg('input', () => TrackEventInput) input: TrackEventInput,
    @Arg('idempotencyKey', () => String, { nullable: true }) idempotencyKey: string | null,
    @Ctx() ctx: EventsContext,
  ): Promise<ReferralEvent> {
    requireScope(ctx, 'events:write');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot record events', 'partner_scope');
    validateTrackEvent(input);
    if (idempotencyKey !== null && idempotencyKey !== undefined && (idempotencyKey.length < 1 || idempotencyKey.length > 255)) {
      throw badInput('idempotencyKey must be 1-255 characters', 'idempotencyKey');
    }
    await assertKnownProduct(ctx.dataSource.manager, ctx.principal.tenantId, input.productId);
    return trackEvent(this.deps.outbox, ctx.principal.tenantId, { ...input }, idempotencyKey ?? null, this.deps.config.clickIdSecrets, this.deps.attributionWait);
  }

  @FieldResolver(() => Partner, { nullable: true, description: 'The attributed partner' })
  partner(@Root() event: ReferralEvent): Partner | null {
    return event.partnerId ? { id: event.partnerId } : null;
  }

  @FieldResolver(() => Click, { nullable: true, description: 'The click that attributed the event (click id or fingerprint)' })
  click(@Root() event: ReferralEvent): Click | null {
    return event.clickId ? { id: event.clickId } : null;
  }

  @FieldResolver(() => ReferralLink, { nullable: true })
  link(@Root() event: ReferralEvent): ReferralLink | null {
    return event.linkId ? { id: event.linkId } : null;
  }

  @FieldResolver(() => String, { description: 'Stream position, ordered by commit within the tenant; resume subscriptions after it' })
  cursor(@Root() event: ReferralEvent): string {
    return encodeEventCursor(event.position);
  }

  @FieldResolver(() => Trader, { nullable: true })
  trader(@Root() event: ReferralEvent, @Ctx() ctx: EventsContext): Promise<Trader | null> | null {
    return event.traderId ? ctx.loaders.trader.load(event.traderId) : null;
  }
}

@Resolver(() => Partner)
export class PartnerEventsResolver {
  @FieldResolver(() => Int, {
    description: 'Registrations attributed to the partner (duplicates excluded); from inclusive, to exclusive (a date YYYY-MM-DD as to includes that whole day)',
  })
  async registrationCount(
    @Root() partner: Partner,
    @Arg('from', () => Date, { nullable: true }) from: Date | null,
    @Arg('to', () => Date, { nullable: true }) to: Date | null,
    @Ctx() ctx: EventsContext,
  ): Promise<number> {
    requireScope(ctx, 'events:read');
    assertPartnerVisible(ctx, partner.id);
    return ctx.loaders.registrationCount.load({ partnerId: partner.id, from, to: rangeEnd(to) });
  }

  @FieldResolver(() => ReferralEventConnection, { description: "The partner's attributed events, newest first" })
  async events(@Root() partner: Partner, @Arg('filter', () => EventFilter, { nullable: true }) filter: EventFilter | null, @Args() page: PageArgs, @Ctx() ctx: EventsContext) {
    requireScope(ctx, 'events:read');
    assertPartnerVisible(ctx, partner.id);
    return listEvents(ctx, { ...(filter ?? {}), partnerId: partner.id }, page);
  }
}

import { Arg, Ctx, Field, InputType, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { badInput, forbidden, requireScope } from '../../../shared/src';
import { DEFAULT_CONVERSION_TYPES, EventType } from '../domain/event-types';
import { TenantSettings } from '../entities/read-models.entity';
import { EventsContext } from '../loaders';
import { EventsDeps } from '../services/deps';
import { DEFAULT_ATTRIBUTION_WINDOW_HOURS } from '../services/track-event';

@ObjectType({ description: "The tenant's event settings" })
export class EventSettings {
  @Field(() => [EventType], {
    description: 'Event types that count as conversions (isConversion) when attributed and not duplicates, until commission plans say which types they pay for',
  })
  conversionEventTypes: EventType[];

  @Field(() => Int, { description: 'Fingerprint attribution window, hours (from the link settings)' })
  attributionWindowHours: number;

  @Field(() => Boolean, { description: 'Refuse events whose productId is not in the product catalogue (NOT_FOUND on input.productId); default false' })
  refuseUnknownProducts: boolean;
}

@InputType()
export class EventSettingsInput {
  @Field(() => [EventType], { nullable: true, description: 'null restores the default; omitted keeps the current value' })
  conversionEventTypes?: EventType[] | null;

  @Field(() => Boolean, { nullable: true, description: 'Refuse events naming a product outside the catalogue; omitted keeps the current value' })
  refuseUnknownProducts?: boolean | null;
}

function view(row: TenantSettings | null): EventSettings {
  return {
    conversionEventTypes: (row?.conversionEventTypes as EventType[] | null) ?? [...DEFAULT_CONVERSION_TYPES],
    attributionWindowHours: row?.attributionWindowHours ?? DEFAULT_ATTRIBUTION_WINDOW_HOURS,
    refuseUnknownProducts: row?.refuseUnknownProducts ?? false,
  };
}

@Resolver(() => EventSettings)
export class EventSettingsResolver {
  constructor(private readonly deps: EventsDeps) {}

  @Query(() => EventSettings)
  async eventSettings(@Ctx() ctx: EventsContext): Promise<EventSettings> {
    requireScope(ctx, 'events:read');
    return view(await ctx.dataSource.getRepository(TenantSettings).findOneBy({ tenantId: ctx.principal.tenantId }));
  }

  @Mutation(() => EventSettings)
  async updateEventSettings(@Arg('input', () => EventSettingsInput) input: EventSettingsInput, @Ctx() ctx: EventsContext): Promise<EventSettings> {
    requireScope(ctx, 'events:write');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot change event settings', 'partner_scope');
    if (input.conversionEventTypes && new Set(input.conversionEventTypes).size !== input.conversionEventTypes.length) {
      throw badInput('conversionEventTypes lists a type twice', 'input.conversionEventTypes');
    }
    return this.deps.outbox.transaction(async (m, emit) => {
      const repo = m.getRepository(TenantSettings);
      const row =
        (await repo.findOneBy({ tenantId: ctx.principal.tenantId })) ??
        repo.create({ tenantId: ctx.principal.tenantId, attributionWindowHours: null, conversionEventTypes: null, refuseUnknownProducts: null });
      if (input.conversionEventTypes !== undefined) row.conversionEventTypes = input.conversionEventTypes ?? null;
      if (input.refuseUnknownProducts !== undefined && input.refuseUnknownProducts !== null) row.refuseUnknownProducts = input.refuseUnknownProducts;
      row.updatedAt = new Date();
      await repo.save(row);
      emit('event_settings.changed', ctx.principal.tenantId, { conversionEventTypes: view(row).conversionEventTypes, refuseUnknownProducts: view(row).refuseUnknownProducts });
      return view(row);
    });
  }
}

import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { badInput, conflict, ConnectionType, forbidden, newId, notFound, PageArgs, paginateQuery, requireScope, sealSecret } from '../../../shared/src';
import { COMMISSION_POSTBACK_TYPES } from '../domain/commission-postbacks';
import { EVENT_CORRECTED, isOptInPostbackType } from '../domain/correction-postbacks';
import { validateTargetUrl } from '../domain/postback-target';
import { generateSigningSecret } from '../domain/webhook-signature';
import { DeliveryStatus, PostbackDelivery, PostbackEndpoint } from '../entities/postback.entity';
import { ReferralEvent } from '../entities/referral-event.entity';
import { EventType } from '../domain/event-types';
import { EventsContext } from '../loaders';
import { EventsDeps } from '../services/deps';
import { cancelQueued, postbackBody } from '../services/postbacks';

export const PostbackEndpointConnection = ConnectionType('PostbackEndpoint', PostbackEndpoint);
export const PostbackDeliveryConnection = ConnectionType('PostbackDelivery', PostbackDelivery);

/** After a rotation the old secret keeps signing for this long (Standard Webhooks allows several signatures). */
export const ROTATION_OVERLAP_MS = 24 * 3600_000;

@InputType()
export class CreatePostbackEndpointInput {
  @Field({ description: 'https:// URL; must answer 2xx within 10 s' })
  url: string;

  @Field(() => [String], { description: 'Event types to deliver, or ["*"] for all; commission changes only when listed: COMMISSION_CREATED COMMISSION_APPROVED COMMISSION_REVERSED COMMISSION_ADJUSTED COMMISSION_PAID; corrected events (referral_event.corrected) only when EVENT_CORRECTED is listed' })
  eventTypes: string[];

  @Field(() => String, { nullable: true })
  description?: string | null;
}

@InputType()
export class UpdatePostbackEndpointInput {
  @Field(() => String, { nullable: true })
  url?: string | null;

  @Field(() => [String], { nullable: true })
  eventTypes?: string[] | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Re-enabling clears an automatic disable' })
  enabled?: boolean | null;
}

@ObjectType({ description: 'The endpoint and its signing secret: the only time the secret is shown' })
export class PostbackEndpointSecretPayload {
  @Field(() => PostbackEndpoint)
  endpoint: PostbackEndpoint;

  @Field({ description: 'whsec_...: verify webhook-signature with it (Standard Webhooks)' })
  signingSecret: string;
}

@ObjectType()
export class DeletePayload {
  @Field(() => ID)
  id: string;

  @Field()
  deleted: boolean;
}

const EVENT_TYPES = new Set<string>(Object.values(EventType));

/** Event types, "*" for every event type, and the opt-in types, commission types and EVENT_CORRECTED ("*" does not include them, but they may stand beside it). */
function validateEventTypes(types: string[], param: string): string[] {
  if (!types.length) throw badInput('eventTypes needs at least one event type, or ["*"] for all', param);
  if (types.includes('*') && types.some((t) => t !== '*' && !isOptInPostbackType(t))) {
    throw badInput('"*" already means every event type: only commission types (COMMISSION_CREATED, ...) and EVENT_CORRECTED may stand beside it', param);
  }
  const bad = types.find((t) => t !== '*' && !EVENT_TYPES.has(t) && !isOptInPostbackType(t));
  // An empty name is unknown too (it is falsy, so compare with undefined).
  if (bad !== undefined) throw badInput(`unknown event type ${JSON.stringify(bad)}; use the EventType names (REGISTRATION, FIRST_DEPOSIT, ...), "*", the commission types ${COMMISSION_POSTBACK_TYPES.join(' ')}, or ${EVENT_CORRECTED}`, param);
  return [...new Set(types)];
}

function validateDescription(d: string | null | undefined): void {
  if (d != null && d.length > 500) throw badInput('description must be at most 500 characters', 'input.description');
}

@Resolver(() => PostbackEndpoint)
export class PostbackResolver {
  constructor(private readonly deps: EventsDeps) {}

  private guard(ctx: EventsContext): void {
    requireScope(ctx, 'postbacks:manage');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot manage postback endpoints', 'partner_scope');
  }

  private async own(ctx: EventsContext, id: string, param = 'id'): Promise<PostbackEndpoint> {
    const e = await ctx.dataSource.getRepository(PostbackEndpoint).findOneBy({ tenantId: ctx.principal.tenantId, id });
    if (!e || e.deletedAt) throw notFound(`no postback endpoint with id ${id}`, param, 'postback_endpoint_not_found');
    return e;
  }

  private policy() {
    return { allowInsecure: this.deps.config.postbacks.allowInsecure };
  }

  @Query(() => PostbackEndpointConnection, { description: 'Newest first' })
  postbackEndpoints(@Args() page: PageArgs, @Ctx() ctx: EventsContext) {
    this.guard(ctx);
    return paginateQuery(
      () => ctx.dataSource.getRepository(PostbackEndpoint).createQueryBuilder('p').where('p.tenant_id = :tenantId AND p.deleted_at IS NULL', { tenantId: ctx.principal.tenantId }),
      page,
    );
  }

  @Query(() => PostbackEndpoint, { nullable: true })
  postbackEndpoint(@Arg('id', () => ID) id: string, @Ctx() ctx: EventsContext): Promise<PostbackEndpoint> {
    this.guard(ctx);
    return this.own(ctx, id);
  }

  @Mutation(() => PostbackEndpointSecretPayload, { description: 'Registers a URL for signed postbacks; answers the signing secret this once' })
  async createPostbackEndpoint(@Arg('input', () => CreatePostbackEndpointInput) input: CreatePostbackEndpointInput, @Ctx() ctx: EventsContext): Promise<PostbackEndpointSecretPayload> {
    this.guard(ctx);
    const url = validateTargetUrl(input.url, this.policy(), 'input.url').toString();
    const eventTypes = validateEventTypes(input.eventTypes, 'input.eventTypes');
    validateDescription(input.description);
    const secret = generateSigningSecret();
    const now = new Date();
    const endpoint = ctx.dataSource.getRepository(PostbackEndpoint).create({
      id: newId('pbe'),
      tenantId: ctx.principal.tenantId,
      url,
      description: input.description ?? null,
      eventTypes,
      enabled: true,
      disabledReason: null,
      secretEnc: sealSecret(Buffer.from(secret), this.deps.config.secretsKey),
      previousSecretEnc: null,
      previousSecretUntil: null,
      failingSince: null,
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    });
    await ctx.dataSource.getRepository(PostbackEndpoint).insert(endpoint);
    return { endpoint, signingSecret: secret };
  }

  @Mutation(() => PostbackEndpoint)
  async updatePostbackEndpoint(@Arg('id', () => ID) id: string, @Arg('input', () => UpdatePostbackEndpointInput) input: UpdatePostbackEndpointInput, @Ctx() ctx: EventsContext): Promise<PostbackEndpoint> {
    this.guard(ctx);
    const e = await this.own(ctx, id);
    const patch: Partial<PostbackEndpoint> = { updatedAt: new Date() };
    if (input.url != null) patch.url = validateTargetUrl(input.url, this.policy(), 'input.url').toString();
    if (input.eventTypes != null) patch.eventTypes = validateEventTypes(input.eventTypes, 'input.eventTypes');
    if (input.description !== undefined) {
      validateDescription(input.description);
      patch.description = input.description;
    }
    if (input.enabled != null) Object.assign(patch, { enabled: input.enabled, ...(input.enabled ? { disabledReason: null, failingSince: null } : {}) });
    await ctx.dataSource.getRepository(PostbackEndpoint).update({ id }, patch);
    if (input.enabled === false) await cancelQueued(ctx.dataSource.manager, id, 'endpoint disabled');
    return Object.assign(e, patch);
  }

  @Mutation(() => PostbackEndpointSecretPayload, { description: 'A new signing secret; the old one keeps signing beside it for 24 h' })
  async rotatePostbackSecret(@Arg('id', () => ID) id: string, @Ctx() ctx: EventsContext): Promise<PostbackEndpointSecretPayload> {
    this.guard(ctx);
    const e = await this.own(ctx, id);
    const secret = generateSigningSecret();
    const patch = {
      previousSecretEnc: e.secretEnc,
      previousSecretUntil: new Date(Date.now() + ROTATION_OVERLAP_MS),
      secretEnc: sealSecret(Buffer.from(secret), this.deps.config.secretsKey),
      updatedAt: new Date(),
    };
    await ctx.dataSource.getRepository(PostbackEndpoint).update({ id }, patch);
    return { endpoint: Object.assign(e, patch), signingSecret: secret };
  }

  @Mutation(() => DeletePayload, { description: 'Stops new deliveries and cancels queued retries; deliveries in flight complete' })
  async deletePostbackEndpoint(@Arg('id', () => ID) id: string, @Ctx() ctx: EventsContext): Promise<DeletePayload> {
    this.guard(ctx);
    await this.own(ctx, id);
    await ctx.dataSource.transaction(async (m) => {
      await m.getRepository(PostbackEndpoint).update({ id }, { deletedAt: new Date(), enabled: false });
      await cancelQueued(m, id, 'endpoint deleted');
    });
    return { id, deleted: true };
  }

  @Mutation(() => PostbackDelivery, { description: 'Synthesizes a REGISTRATION event with fake data and delivers it now (isTest)' })
  async sendTestPostback(@Arg('endpointId', () => ID) endpointId: string, @Ctx() ctx: EventsContext): Promise<PostbackDelivery> {
    this.guard(ctx);
    const e = await this.own(ctx, endpointId, 'endpointId');
    const now = new Date();
    const messageId = `msg_test_${newId('evt')}`;
    const fake = { id: 'evt_test', eventType: 'REGISTRATION', traderId: 'trd_test', partnerId: 'prt_test', clickId: null, amount: null, currency: null, isConversion: true, isDuplicate: false, attribution: 'CLICK_ID', timestamp: now.toISOString() };
    const d = ctx.dataSource.getRepository(PostbackDelivery).create({
      id: newId('pbd'),
      tenantId: e.tenantId,
      endpointId: e.id,
      messageId,
      eventId: null,
      eventType: 'REGISTRATION',
      isTest: true,
      status: DeliveryStatus.PENDING,
      attempt: 1,
      body: postbackBody(messageId, fake),
      responseStatus: null,
      durationMs: null,
      error: null,
      nextAttemptAt: null,
      leaseUntil: new Date(now.getTime() + 60_000),
      createdAt: now,
      attemptedAt: null,
    });
    await ctx.dataSource.getRepository(PostbackDelivery).insert(d);
    await this.deps.postbacks.attempt(d);
    return ctx.dataSource.getRepository(PostbackDelivery).findOneByOrFail({ id: d.id });
  }

  @Mutation(() => PostbackDelivery, { description: 'Sends a delivered (or failed) message again now, as a new attempt' })
  async redeliverPostback(@Arg('deliveryId', () => ID) deliveryId: string, @Ctx() ctx: EventsContext): Promise<PostbackDelivery> {
    this.guard(ctx);
    const repo = ctx.dataSource.getRepository(PostbackDelivery);
    const original = await repo.findOneBy({ tenantId: ctx.principal.tenantId, id: deliveryId });
    if (!original) throw notFound(`no postback delivery with id ${deliveryId}`, 'deliveryId', 'postback_delivery_not_found');
    const e = await this.own(ctx, original.endpointId, 'deliveryId');
    if (!e.enabled) throw conflict('the endpoint is disabled; enable it first', 'deliveryId', 'postback.endpoint_disabled');
    const last = await repo.findOne({ where: { messageId: original.messageId }, order: { attempt: 'DESC' } });
    const now = new Date();
    const d = repo.create({ ...original, id: newId('pbd'), attempt: (last?.attempt ?? original.attempt) + 1, status: DeliveryStatus.PENDING, responseStatus: null, durationMs: null, error: null, nextAttemptAt: null, leaseUntil: new Date(now.getTime() + 60_000), createdAt: now, attemptedAt: null });
    await repo.insert(d);
    await this.deps.postbacks.attempt(d);
    return repo.findOneByOrFail({ id: d.id });
  }

  @FieldResolver(() => PostbackDeliveryConnection, { description: 'Delivery attempts, newest first' })
  deliveries(@Root() e: PostbackEndpoint, @Arg('status', () => DeliveryStatus, { nullable: true }) status: DeliveryStatus | null, @Args() page: PageArgs, @Ctx() ctx: EventsContext) {
    this.guard(ctx);
    return paginateQuery(() => {
      const qb = ctx.dataSource.getRepository(PostbackDelivery).createQueryBuilder('d').where('d.tenant_id = :tenantId AND d.endpoint_id = :endpointId', { tenantId: e.tenantId, endpointId: e.id });
      if (status) qb.andWhere('d.status = :status', { status });
      return qb;
    }, page);
  }
}

@InputType()
export class PostbackDeliveryFilter {
  @Field(() => DeliveryStatus, { nullable: true })
  status?: DeliveryStatus | null;

  @Field(() => ID, { nullable: true })
  endpointId?: string | null;

  @Field(() => ID, { nullable: true })
  eventId?: string | null;
}

@Resolver(() => PostbackDelivery)
export class PostbackDeliveryResolver {
  @Query(() => PostbackDeliveryConnection, {
    description: "Delivery attempts, newest first. A tenant credential (postbacks:manage) sees all; a partner credential (events:read) those of its own events",
  })
  postbackDeliveries(@Arg('filter', () => PostbackDeliveryFilter, { nullable: true }) filter: PostbackDeliveryFilter | null, @Args() page: PageArgs, @Ctx() ctx: EventsContext) {
    const own = ctx.principal.partnerId;
    requireScope(ctx, own ? 'events:read' : 'postbacks:manage');
    return paginateQuery(() => {
      const qb = ctx.dataSource.getRepository(PostbackDelivery).createQueryBuilder('d').where('d.tenant_id = :tenantId', { tenantId: ctx.principal.tenantId });
      if (own) qb.andWhere('d.event_id IN (SELECT e.id FROM events e WHERE e.tenant_id = :tenantId AND e.partner_id = :own)', { own });
      if (filter?.status) qb.andWhere('d.status = :status', { status: filter.status });
      if (filter?.endpointId) qb.andWhere('d.endpoint_id = :endpointId', { endpointId: filter.endpointId });
      if (filter?.eventId) qb.andWhere('d.event_id = :eventId', { eventId: filter.eventId });
      return qb;
    }, page);
  }

  @FieldResolver(() => PostbackEndpoint, { description: 'Needs postbacks:manage (endpoints are tenant configuration)' })
  endpoint(@Root() d: PostbackDelivery, @Ctx() ctx: EventsContext): Promise<PostbackEndpoint> {
    requireScope(ctx, 'postbacks:manage');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot read postback endpoints', 'partner_scope');
    return ctx.dataSource.getRepository(PostbackEndpoint).findOneByOrFail({ id: d.endpointId });
  }

  @FieldResolver(() => ReferralEvent, { nullable: true })
  event(@Root() d: PostbackDelivery, @Ctx() ctx: EventsContext): Promise<ReferralEvent | null> | null {
    return d.eventId ? ctx.loaders.event.load(d.eventId) : null;
  }
}

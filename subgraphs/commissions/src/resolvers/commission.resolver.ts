import { Arg, Args, Ctx, Directive, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { In } from 'typeorm';
import {
  assertPartnerVisible,
  badInput,
  BucketSize,
  bucketSql,
  bucketStarts,
  conflict,
  ConnectionType,
  dateParam,
  DecimalScalar,
  fillSeries,
  forbidden,
  fromMinor,
  isCurrency,
  isPlainDate,
  notFound,
  PageArgs,
  paginateQuery,
  parseBucket,
  rangeEnd,
  requireScope,
  scopedPartnerId,
} from '../../../shared/src';
import { Commission, CommissionKind, CommissionStatus } from '../entities/commission.entity';
import { CommissionPlan } from '../entities/plan.entity';
import { ReferralEvent, ReferralGraph, Trader } from '../external/events';
import { Partner } from '../external/partner';
import { CommissionsContext } from '../loaders';
import { clock, CommissionsDeps } from '../services/deps';
import { approveChosen, approveDue, chainOf, commissionFact, eventCommissions, isReversing, PARTNER_UNKNOWN, reverseOne } from '../services/engine';
import { PartnerRef } from '../entities/plan.entity';

export const CommissionConnection = ConnectionType('Commission', Commission);

@InputType()
export class CommissionFilter {
  @Field(() => ID, { nullable: true })
  partnerId?: string | null;
  @Field(() => CommissionStatus, { nullable: true })
  status?: CommissionStatus | null;
  @Field(() => CommissionKind, { nullable: true })
  kind?: CommissionKind | null;
  @Field(() => Date, { nullable: true, description: 'Created at or after' })
  from?: Date | null;
  @Field(() => Date, { nullable: true, description: 'Created before (exclusive); a date YYYY-MM-DD includes that whole day' })
  to?: Date | null;
}

@ObjectType({ description: 'One bucket of a money series: t is the bucket start (UTC)' })
export class MoneyPoint {
  @Field()
  t: Date;
  @Field(() => DecimalScalar)
  v: string;
}

function listQuery(ctx: CommissionsContext, given: CommissionFilter) {
  const f = { ...given, to: rangeEnd(given.to) };
  if (f.from && f.to && f.from > f.to) throw badInput('filter.from must be before filter.to', 'filter.from');
  const ds = ctx.dataSource;
  return () => {
    const qb = ds.getRepository(Commission).createQueryBuilder('c').where('c.tenant_id = :tenantId', { tenantId: ctx.principal.tenantId });
    if (f.partnerId) qb.andWhere('c.partner_id = :partnerId', { partnerId: f.partnerId });
    if (f.status) qb.andWhere('c.status = :status', { status: f.status });
    if (f.kind) qb.andWhere('c.kind = :kind', { kind: f.kind });
    if (f.from) qb.andWhere('c.created_at >= :from', { from: dateParam(ds, f.from) });
    if (f.to) qb.andWhere('c.created_at < :to', { to: dateParam(ds, f.to) });
    return qb;
  };
}

@Resolver(() => Commission)
export class CommissionResolver {
  constructor(private readonly deps: CommissionsDeps) {}

  private operator(ctx: CommissionsContext): void {
    requireScope(ctx, 'commissions:write');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot change commissions', 'partner_scope');
  }

  @Query(() => Commission, { nullable: true })
  async commission(@Arg('id', () => ID) id: string, @Ctx() ctx: CommissionsContext): Promise<Commission> {
    requireScope(ctx, 'commissions:read');
    const c = await ctx.loaders.commission.load(id);
    if (!c || (ctx.principal.partnerId && c.partnerId !== ctx.principal.partnerId)) throw notFound(`no commission with id ${id}`, 'id', 'commission_not_found');
    return c;
  }

  @Query(() => CommissionConnection, { description: 'Newest first' })
  commissions(@Arg('filter', () => CommissionFilter, { nullable: true }) filter: CommissionFilter | null, @Args() page: PageArgs, @Ctx() ctx: CommissionsContext) {
    requireScope(ctx, 'commissions:read');
    const f = filter ?? {};
    return paginateQuery(listQuery(ctx, { ...f, partnerId: scopedPartnerId(ctx, f.partnerId) }), page);
  }

  @Mutation(() => Int, {
    description:
      'Approves PENDING commissions whose hold has ended by asOf (dueAt <= asOf; default now, never in the future; a date YYYY-MM-DD means the end of that day, today\'s date means now); approvedAt is the time of approval. Also runs on a schedule',
  })
  approveDueCommissions(@Arg('asOf', () => Date, { nullable: true }) asOf: Date | null, @Ctx() ctx: CommissionsContext): Promise<number> {
    this.operator(ctx);
    const now = clock(this.deps);
    if (asOf && asOf.getTime() > now.getTime()) {
      throw badInput(`asOf must not be in the future (it is ${now.toISOString()}): a hold ends when its time has come; approve chosen commissions early with approveCommissions`, 'asOf');
    }
    // asOf is an inclusive range end: a plain date covers its whole day, but never reaches past now.
    const by = isPlainDate(asOf) ? new Date(Math.min(rangeEnd(asOf).getTime() - 1, now.getTime())) : asOf ?? now;
    return this.deps.outbox.transaction((m, emit) => approveDue(m, emit, { asOf: by, now, tenantId: ctx.principal.tenantId }));
  }

  @Mutation(() => [Commission], { description: 'Approves chosen PENDING commissions now, before their hold ends; all or nothing' })
  approveCommissions(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: CommissionsContext): Promise<Commission[]> {
    this.operator(ctx);
    if (ids.length < 1 || ids.length > 1000) throw badInput('ids must hold 1-1000 commission ids', 'ids');
    const seen = new Set<string>();
    ids.forEach((id, i) => {
      if (seen.has(id)) throw badInput(`commission ${id} is listed twice`, `ids.${i}`);
      seen.add(id);
    });
    const now = clock(this.deps);
    return this.deps.outbox.transaction(async (m, emit) => {
      const found = await m.getRepository(Commission).findBy({ tenantId: ctx.principal.tenantId, id: In(ids) });
      const byId = new Map(found.map((c) => [c.id, c]));
      ids.forEach((id, i) => {
        const c = byId.get(id);
        if (!c) throw notFound(`no commission with id ${id}`, `ids.${i}`, 'commission_not_found');
        if (c.status !== CommissionStatus.PENDING) throw conflict(`commission ${id} is ${c.status}; only PENDING commissions can be approved`, `ids.${i}`, 'commission.not_pending');
      });
      const { approved, affected } = await approveChosen(m, emit, ctx.principal.tenantId, ids, now);
      if (affected !== ids.length) throw conflict('a commission changed meanwhile; nothing was approved', 'ids', 'commission.not_pending');
      const order = new Map(ids.map((id, i) => [id, i]));
      return approved.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    });
  }

  @Mutation(() => Commission, { description: 'Reverses an unpaid commission, or books a negative adjustment for a paid one' })
  reverseCommission(@Arg('id', () => ID) id: string, @Arg('reason') reason: string, @Ctx() ctx: CommissionsContext): Promise<Commission> {
    this.operator(ctx);
    if (!reason.trim() || reason.length > 500) throw badInput('reason must be 1-500 characters', 'reason');
    return this.deps.outbox.transaction(async (m, emit) => {
      const c = await m.getRepository(Commission).findOneBy({ tenantId: ctx.principal.tenantId, id });
      if (!c) throw notFound(`no commission with id ${id}`, 'id', 'commission_not_found');
      if (c.status === CommissionStatus.REVERSED) throw conflict('the commission is already reversed', 'id', 'commission.already_reversed');
      if (c.sourceKey.startsWith('adj:') || BigInt(c.amountMinor) < 0n) throw conflict('an adjustment cannot be reversed', 'id', 'commission.is_adjustment');
      return reverseOne(m, emit, c, reason.trim(), null, clock(this.deps));
    });
  }

  @Mutation(() => [Commission], { description: 'Marks APPROVED commissions PAID; all or nothing' })
  markCommissionsPaid(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: CommissionsContext): Promise<Commission[]> {
    this.operator(ctx);
    if (ids.length < 1 || ids.length > 1000) throw badInput('ids must hold 1-1000 commission ids', 'ids');
    return this.deps.outbox.transaction(async (m, emit) => {
      const repo = m.getRepository(Commission);
      const found = await ctx.loaders.commission.loadMany(ids);
      const rows: Commission[] = [];
      for (const [i, c] of found.entries()) {
        if (!c || c instanceof Error) throw notFound(`no commission with id ${ids[i]}`, `ids.${i}`, 'commission_not_found');
        if (c.status !== CommissionStatus.APPROVED) throw conflict(`commission ${c.id} is ${c.status}; only APPROVED commissions can be paid`, `ids.${i}`, 'commission.not_approved');
        rows.push(c);
      }
      const now = clock(this.deps);
      for (const c of rows) {
        const res = await repo.update({ id: c.id, status: CommissionStatus.APPROVED }, { status: CommissionStatus.PAID, paidAt: now });
        if (!res.affected) throw conflict(`commission ${c.id} changed meanwhile`, 'ids', 'commission.not_approved');
        Object.assign(c, { status: CommissionStatus.PAID, paidAt: now });
        emit('commission.changed', c.tenantId, commissionFact(c, 'paid'));
      }
      return rows;
    });
  }

  @FieldResolver(() => Partner)
  partner(@Root() c: Commission): Partner {
    return { id: c.partnerId };
  }

  @FieldResolver(() => ReferralEvent, { nullable: true })
  event(@Root() c: Commission): { id: string } | null {
    return c.eventId ? { id: c.eventId } : null;
  }

  @FieldResolver(() => Trader, { nullable: true })
  trader(@Root() c: Commission): Trader | null {
    return c.traderId ? { id: c.traderId } : null;
  }

  @FieldResolver(() => CommissionPlan, { nullable: true })
  plan(@Root() c: Commission, @Ctx() ctx: CommissionsContext): Promise<CommissionPlan | null> | null {
    return c.planId ? ctx.loaders.plan.load(c.planId) : null;
  }

  @FieldResolver(() => Commission, { nullable: true, description: 'For an adjustment (a refund share or a claw-back): the commission it adjusts' })
  async adjusts(@Root() c: Commission, @Ctx() ctx: CommissionsContext): Promise<Commission | null> {
    if (!c.adjustsId) return null;
    const original = await ctx.loaders.commission.load(c.adjustsId);
    return original && (!ctx.principal.partnerId || original.partnerId === ctx.principal.partnerId) ? original : null;
  }
}

@Resolver(() => ReferralEvent)
export class EventCommissionsResolver {
  constructor(private readonly deps: CommissionsDeps) {}

  /**
   * Reads only. The stored commissions of the event; before the bus consumer has applied a payment (no rows, no
   * AppliedEvent), the ones it will store, computed by the same function from the same plan version, with the same
   * ids, and not written. REFUND / CHARGEBACK: what is stored (their effect is the consumer's, keyed by the refund).
   */
  @FieldResolver(() => [Commission], {
    description: "The event's commissions: stored, or before the bus has applied the event, the ones it will store (same ids and amounts); reading never writes",
  })
  @Directive('@requires(fields: "eventType amount currency amountUsd isDuplicate timestamp productId partner { id } trader { id country accountType }")')
  async commissions(@Root() e: ReferralEvent, @Ctx() ctx: CommissionsContext): Promise<Commission[]> {
    requireScope(ctx, 'commissions:read');
    const visible = (rows: Commission[]) => rows.filter((c) => !ctx.principal.partnerId || c.partnerId === ctx.principal.partnerId);
    const stored = () => ctx.loaders.eventCommissions.load(e.id);
    if (!e.eventType || isReversing(e.eventType) || !e.partner?.id) return visible(await stored());
    const reads = ctx.loaders.engineReads;
    // Applied first, rows after: the consumer commits both together, so rows read after "applied" are complete
    // (read the other way round, a consumer committing in between would leave an empty, stale answer).
    if (await reads.applied(e.id)) return visible(await stored());
    const computed = await eventCommissions(
      reads,
      ctx.principal.tenantId,
      {
        id: e.id,
        eventType: e.eventType,
        amount: e.amount,
        currency: e.currency,
        amountUsd: e.amountUsd ?? null,
        isDuplicate: e.isDuplicate,
        timestamp: new Date(e.timestamp),
        productId: e.productId,
        partnerId: e.partner.id,
        traderId: e.trader?.id ?? null,
        accountType: e.trader?.accountType ?? null,
        country: e.trader?.country ?? null,
      },
      this.deps.fx,
    );
    // The partner's upline chain has not reached commissions yet: nothing can be computed; the consumer will.
    return visible(computed === PARTNER_UNKNOWN ? await stored() : computed.rows);
  }
}

@Resolver(() => Partner)
export class PartnerCommissionsResolver {
  @FieldResolver(() => CommissionConnection, { description: "The partner's commissions, newest first" })
  commissions(@Root() p: Partner, @Arg('filter', () => CommissionFilter, { nullable: true }) filter: CommissionFilter | null, @Args() page: PageArgs, @Ctx() ctx: CommissionsContext) {
    requireScope(ctx, 'commissions:read');
    assertPartnerVisible(ctx, p.id);
    return paginateQuery(listQuery(ctx, { ...(filter ?? {}), partnerId: p.id }), page);
  }

  @FieldResolver(() => [Partner], { description: 'The uplines multi-tier commissions pay (parent first), as the commissions subgraph knows them' })
  async commissionUplines(@Root() p: Partner, @Ctx() ctx: CommissionsContext): Promise<Partner[]> {
    requireScope(ctx, 'commissions:read');
    assertPartnerVisible(ctx, p.id);
    const known = await ctx.dataSource.getRepository(PartnerRef).findOneBy({ tenantId: ctx.principal.tenantId, partnerId: p.id });
    if (!known) return [];
    const chain = await chainOf(ctx.dataSource.manager, ctx.principal.tenantId, p.id, 10);
    return chain.slice(1).map((id) => ({ id }));
  }

  @FieldResolver(() => CommissionPlan, { nullable: true, description: "The partner's plan (assigned, else the tenant default)" })
  async commissionPlan(@Root() p: Partner, @Ctx() ctx: CommissionsContext): Promise<CommissionPlan | null> {
    requireScope(ctx, 'commissions:read');
    assertPartnerVisible(ctx, p.id);
    return ctx.loaders.partnerPlan.load(p.id);
  }

  @FieldResolver(() => DecimalScalar, { nullable: true, description: "Percent of referred payments the partner earns (its plan's revenue share; FonProxy incomePercentage)" })
  async incomePercentage(@Root() p: Partner, @Ctx() ctx: CommissionsContext): Promise<string | null> {
    const plan = await this.commissionPlan(p, ctx);
    return plan?.rules.find((r) => r.kind === 'REVSHARE')?.percentage ?? null;
  }

  @FieldResolver(() => DecimalScalar, { nullable: true, description: "Discount for referred users, percent (the plan's salePercentage)" })
  async salePercentage(@Root() p: Partner, @Ctx() ctx: CommissionsContext): Promise<string | null> {
    return (await this.commissionPlan(p, ctx))?.salePercentage ?? null;
  }
}

@Resolver(() => ReferralGraph)
export class GraphIncomeResolver {
  @FieldResolver(() => [MoneyPoint], {
    description: 'Commission income per bucket in one (settlement) currency; reversals and commissions held FX_PENDING (Earnings.fxPending) are excluded',
  })
  async income(@Root() g: ReferralGraph, @Arg('currency', () => String, { nullable: true }) currency: string | null, @Ctx() ctx: CommissionsContext): Promise<MoneyPoint[]> {
    requireScope(ctx, 'commissions:read');
    assertPartnerVisible(ctx, g.partnerId);
    if (currency != null && !isCurrency(currency)) throw badInput('currency must be an ISO 4217 code such as USD', 'currency');
    const sums = (await ctx.loaders.sums.load(g.partnerId)).filter((s) => s.status !== CommissionStatus.FX_PENDING);
    const cur = currency ?? (new Set(sums.map((s) => s.currency)).size === 1 ? sums[0].currency : ctx.defaultCurrency);
    const size = g.granularity as unknown as BucketSize;
    const from = new Date(g.from);
    const to = new Date(g.to);
    const starts = bucketStarts(from, to, size);
    const ds = ctx.dataSource;
    const rows = await ds
      .getRepository(Commission)
      .createQueryBuilder('c')
      .select(bucketSql(ds, 'c.occurred_at', size), 'bucket')
      .addSelect('SUM(c.amount_minor)', 'minor')
      .where('c.tenant_id = :tenantId AND c.partner_id = :partnerId AND c.currency = :cur', { tenantId: ctx.principal.tenantId, partnerId: g.partnerId, cur })
      .andWhere('c.status NOT IN (:...excluded)', { excluded: [CommissionStatus.REVERSED, CommissionStatus.FX_PENDING] })
      .andWhere('c.occurred_at >= :from AND c.occurred_at < :to', { from: dateParam(ds, from), to: dateParam(ds, to) })
      .groupBy('bucket')
      .getRawMany<{ bucket: string; minor: string | number }>();
    const values = new Map(rows.map((r) => [parseBucket(r.bucket), fromMinor(String(r.minor), cur)]));
    return fillSeries(starts, size, values, fromMinor('0', cur)).map((p) => ({ t: p.t, v: p.v }));
  }
}

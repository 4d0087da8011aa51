import { Arg, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { EntityManager } from 'typeorm';
import { badInput, conflict, DecimalScalar, Emit, EventType, forbidden, newId, notFound, requireScope } from '../../../shared/src';
import { Rule } from '../domain/compute';
import { validatePlan } from '../domain/plan-input';
import { CommissionKind } from '../entities/commission.entity';
import { CommissionPlan, CommissionPlanVersion, PartnerPlan, PartnerRef } from '../entities/plan.entity';
import { Partner } from '../external/partner';
import { CommissionsContext } from '../loaders';
import { clock, CommissionsDeps } from '../services/deps';
import { versionsOrSelf, VersionTerms } from '../services/engine';

@InputType()
export class CommissionRuleInput {
  @Field(() => CommissionKind)
  kind: CommissionKind;
  @Field(() => EventType, { nullable: true })
  eventType?: EventType | null;
  @Field(() => DecimalScalar, { nullable: true })
  amount?: string | null;
  @Field(() => DecimalScalar, { nullable: true, description: 'Percent: "20" means 20 %' })
  percentage?: string | null;
  @Field(() => DecimalScalar, { nullable: true })
  perLot?: string | null;
  @Field(() => DecimalScalar, { nullable: true })
  minAmount?: string | null;
  @Field(() => [DecimalScalar], { nullable: true, description: 'Percent of the direct commission for the 1st, 2nd, ... upline' })
  tierRates?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'Condition: only customers of these trading account types (ignoring case), e.g. ["ECN"]; 1-50 entries' })
  accountTypes?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'Condition (LOT_REBATE, SPREAD_SHARE): only these instruments, upper case, e.g. ["XAUUSD"]; 1-50 entries' })
  instruments?: string[] | null;
  @Field(() => [String], { nullable: true, description: "Condition: only customers of these countries, ISO 3166-1 alpha-2, e.g. [\"MX\"]; 1-50 entries" })
  countries?: string[] | null;
}

@InputType()
export class CommissionPlanInput {
  @Field()
  name: string;
  @Field({ description: 'ISO 4217' })
  currency: string;
  @Field(() => Int, { description: 'Days a commission stays PENDING (0-365)' })
  holdDays: number;
  @Field(() => String, { nullable: true })
  productId?: string | null;
  @Field(() => Boolean, { nullable: true })
  isDefault?: boolean | null;
  @Field(() => DecimalScalar, { nullable: true })
  salePercentage?: string | null;
  @Field(() => [CommissionRuleInput])
  rules: CommissionRuleInput[];
}

function toRules(input: CommissionRuleInput[]): Rule[] {
  return input.map((r) => ({
    kind: r.kind,
    eventType: r.eventType ?? null,
    amount: r.amount ?? null,
    percentage: r.percentage ?? null,
    perLot: r.perLot ?? null,
    minAmount: r.minAmount ?? null,
    tierRates: r.tierRates ?? [],
    // Conditions are stored only when given: a rule without them reads (and is stored) as before.
    ...(r.accountTypes != null ? { accountTypes: r.accountTypes } : {}),
    ...(r.instruments != null ? { instruments: r.instruments } : {}),
    ...(r.countries != null ? { countries: r.countries } : {}),
  }));
}

/**
 * What events needs to decide isConversion: which plan applies (isDefault, productId), and for every version
 * (in force from effectiveFrom) its currency and CPA rules with their minAmount and conditions (accountTypes,
 * countries). `cpaEventTypes` (the current version's) is kept for readers of the earlier fact.
 */
export function planFact(p: CommissionPlan, versions: readonly VersionTerms[]) {
  return {
    plan: {
      id: p.id,
      isDefault: p.isDefault,
      productId: p.productId,
      currency: p.currency,
      version: p.version,
      cpaEventTypes: [...new Set(p.rules.filter((r) => r.kind === 'CPA' && r.eventType).map((r) => r.eventType))],
      versions: versions.map((v) => ({
        version: v.version,
        effectiveFrom: v.effectiveFrom.toISOString(),
        currency: v.currency,
        rules: v.rules
          .filter((r) => r.kind === 'CPA')
          .map((r) => ({ kind: r.kind, eventType: r.eventType ?? null, minAmount: r.minAmount ?? null, accountTypes: r.accountTypes ?? null, countries: r.countries ?? null })),
      })),
    },
  };
}

async function storedVersions(m: EntityManager, plan: CommissionPlan): Promise<CommissionPlanVersion[]> {
  return m.getRepository(CommissionPlanVersion).find({ where: { tenantId: plan.tenantId, planId: plan.id }, order: { version: 'ASC' } });
}

async function versionsOf(m: EntityManager, plan: CommissionPlan): Promise<VersionTerms[]> {
  return versionsOrSelf(plan, await storedVersions(m, plan));
}

@Resolver(() => CommissionPlan)
export class CommissionPlanResolver {
  constructor(private readonly deps: CommissionsDeps) {}

  private guard(ctx: CommissionsContext): void {
    requireScope(ctx, 'commissions:write');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot manage commission plans', 'partner_scope');
  }

  @Query(() => [CommissionPlan])
  commissionPlans(@Ctx() ctx: CommissionsContext): Promise<CommissionPlan[]> {
    requireScope(ctx, 'commissions:read');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot list commission plans', 'partner_scope');
    return ctx.dataSource.getRepository(CommissionPlan).find({ where: { tenantId: ctx.principal.tenantId }, order: { createdAt: 'ASC' } });
  }

  @Query(() => CommissionPlan, { nullable: true })
  async commissionPlan(@Arg('id', () => ID) id: string, @Ctx() ctx: CommissionsContext): Promise<CommissionPlan> {
    requireScope(ctx, 'commissions:read');
    const plan = await ctx.loaders.plan.load(id);
    if (!plan || ctx.principal.partnerId) throw notFound(`no commission plan with id ${id}`, 'id', 'plan_not_found');
    return plan;
  }

  @Mutation(() => CommissionPlan)
  createCommissionPlan(@Arg('input', () => CommissionPlanInput) input: CommissionPlanInput, @Ctx() ctx: CommissionsContext): Promise<CommissionPlan> {
    this.guard(ctx);
    const rules = toRules(input.rules);
    validatePlan({ ...input, rules });
    const tenantId = ctx.principal.tenantId;
    return this.deps.outbox.transaction(async (m, emit) => {
      const repo = m.getRepository(CommissionPlan);
      if (input.productId && (await repo.findOneBy({ tenantId, productId: input.productId }))) {
        throw conflict(`product ${input.productId} already has a plan`, 'input.productId', 'plan.product_taken');
      }
      const now = clock(this.deps);
      const plan = repo.create({
        id: newId('cpl'),
        tenantId,
        name: input.name.trim(),
        currency: input.currency,
        holdDays: input.holdDays,
        productId: input.productId ?? null,
        isDefault: !!input.isDefault,
        salePercentage: input.salePercentage ?? null,
        rules,
        version: 1,
        createdAt: now,
        updatedAt: now,
      });
      await this.clearDefault(m, emit, tenantId, plan);
      await repo.insert(plan);
      const first = m.getRepository(CommissionPlanVersion).create({
        planId: plan.id,
        version: 1,
        tenantId,
        currency: plan.currency,
        holdDays: plan.holdDays,
        salePercentage: plan.salePercentage,
        rules,
        effectiveFrom: now,
        createdAt: now,
      });
      await m.getRepository(CommissionPlanVersion).insert(first);
      emit('commission_plan.changed', tenantId, planFact(plan, [first]));
      return plan;
    });
  }

  @Mutation(() => CommissionPlan, {
    description:
      'Adds a version of the plan (currency, holdDays, salePercentage, rules) in force from effectiveFrom (default now; a past time is allowed, not before the current version\'s effectiveFrom, never in the future). Events are paid by the version in force when they occurred; commissions already created never change. name, productId and isDefault change at once',
  })
  updateCommissionPlan(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => CommissionPlanInput) input: CommissionPlanInput,
    @Arg('effectiveFrom', () => Date, { nullable: true, description: 'When the new version takes effect; default now' }) effectiveFrom: Date | null,
    @Ctx() ctx: CommissionsContext,
  ): Promise<CommissionPlan> {
    this.guard(ctx);
    const rules = toRules(input.rules);
    validatePlan({ ...input, rules });
    const now = clock(this.deps);
    const from = effectiveFrom ?? now;
    if (from.getTime() > now.getTime()) {
      throw badInput(`effectiveFrom must not be in the future (it is ${now.toISOString()}); call updateCommissionPlan when the change is due`, 'effectiveFrom');
    }
    const tenantId = ctx.principal.tenantId;
    return this.deps.outbox.transaction(async (m, emit) => {
      const repo = m.getRepository(CommissionPlan);
      const plan = await repo.findOneBy({ tenantId, id });
      if (!plan) throw notFound(`no commission plan with id ${id}`, 'id', 'plan_not_found');
      if (input.productId) {
        const other = await repo.findOneBy({ tenantId, productId: input.productId });
        if (other && other.id !== id) throw conflict(`product ${input.productId} already has a plan`, 'input.productId', 'plan.product_taken');
      }
      const stored = await storedVersions(m, plan);
      const versions = versionsOrSelf(plan, stored);
      // A plan written without version rows (before versions, by hand): its terms become version 1 first.
      if (!stored.length) await m.getRepository(CommissionPlanVersion).insert({ planId: plan.id, tenantId, ...versions[0] });
      const current = versions[versions.length - 1];
      if (from.getTime() < current.effectiveFrom.getTime()) {
        throw badInput(
          `effectiveFrom must not be before the current version's (version ${current.version}, in force from ${current.effectiveFrom.toISOString()}): versions follow each other in time`,
          'effectiveFrom',
          'plan.version_order',
        );
      }
      const next = m.getRepository(CommissionPlanVersion).create({
        planId: plan.id,
        version: current.version + 1,
        tenantId,
        currency: input.currency,
        holdDays: input.holdDays,
        salePercentage: input.salePercentage ?? null,
        rules,
        effectiveFrom: from,
        createdAt: now,
      });
      // Two updates at once would both build version n + 1: the primary key lets one through.
      try {
        await m.getRepository(CommissionPlanVersion).insert(next);
      } catch (err) {
        if (/UNIQUE|duplicate key/i.test((err as Error).message)) throw conflict('the plan was changed meanwhile; read it again and retry', 'id', 'plan.changed_meanwhile');
        throw err;
      }
      Object.assign(plan, {
        name: input.name.trim(),
        currency: input.currency,
        holdDays: input.holdDays,
        productId: input.productId ?? null,
        isDefault: !!input.isDefault,
        salePercentage: input.salePercentage ?? null,
        rules,
        version: next.version,
        updatedAt: now,
      });
      await this.clearDefault(m, emit, tenantId, plan);
      await repo.save(plan);
      emit('commission_plan.changed', tenantId, planFact(plan, [...versions, next]));
      return plan;
    });
  }

  @FieldResolver(() => [CommissionPlanVersion], { description: 'Every version of the plan, oldest first; the last is in force now' })
  async versions(@Root() plan: CommissionPlan, @Ctx() ctx: CommissionsContext): Promise<VersionTerms[]> {
    return versionsOrSelf(plan, await ctx.loaders.planVersions.load(plan.id));
  }

  @Mutation(() => Partner, { description: 'Puts a partner on a plan (otherwise the tenant default applies)' })
  assignCommissionPlan(@Arg('partnerId', () => ID) partnerId: string, @Arg('planId', () => ID) planId: string, @Ctx() ctx: CommissionsContext): Promise<Partner> {
    this.guard(ctx);
    const tenantId = ctx.principal.tenantId;
    return this.deps.outbox.transaction(async (m, emit) => {
      if (!(await m.getRepository(CommissionPlan).findOneBy({ tenantId, id: planId }))) throw notFound(`no commission plan with id ${planId}`, 'planId', 'plan_not_found');
      // Partners reach commissions over the bus: one created a moment ago may not be here yet.
      if (!(await m.getRepository(PartnerRef).findOneBy({ tenantId, partnerId }))) {
        throw notFound(`no partner with id ${partnerId} (if it was created a moment ago, retry shortly)`, 'partnerId', 'partner_not_found');
      }
      await m.getRepository(PartnerPlan).upsert({ partnerId, tenantId, planId, assignedAt: new Date() }, ['partnerId']);
      emit('commission_plan.assigned', tenantId, { partnerId, planId });
      return { id: partnerId };
    });
  }

  /** One default per tenant: a new default replaces the old one. */
  private async clearDefault(m: import('typeorm').EntityManager, emit: Emit, tenantId: string, plan: CommissionPlan): Promise<void> {
    if (!plan.isDefault) return;
    const repo = m.getRepository(CommissionPlan);
    for (const old of await repo.findBy({ tenantId, isDefault: true })) {
      if (old.id === plan.id) continue;
      old.isDefault = false;
      await repo.update({ id: old.id }, { isDefault: false });
      emit('commission_plan.changed', tenantId, planFact(old, await versionsOf(m, old)));
    }
  }
}

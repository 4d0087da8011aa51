import { Arg, Ctx, Field, ID, InputType, Int, Mutation, Query, Resolver } from 'type-graphql';
import { conflict, DecimalScalar, Emit, EventType, forbidden, newId, notFound, requireScope } from '../../../shared/src';
import { Rule } from '../domain/compute';
import { validatePlan } from '../domain/plan-input';
import { CommissionKind } from '../entities/commission.entity';
import { CommissionPlan, PartnerPlan, PartnerRef } from '../entities/plan.entity';
import { Partner } from '../external/partner';
import { CommissionsContext } from '../loaders';
import { CommissionsDeps } from '../services/deps';

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
  }));
}

/** What events needs to decide isConversion: which event types a plan pays a CPA for. */
export function planFact(p: CommissionPlan) {
  return {
    plan: {
      id: p.id,
      isDefault: p.isDefault,
      productId: p.productId,
      currency: p.currency,
      cpaEventTypes: [...new Set(p.rules.filter((r) => r.kind === 'CPA' && r.eventType).map((r) => r.eventType))],
    },
  };
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
      const now = new Date();
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
        createdAt: now,
        updatedAt: now,
      });
      await this.clearDefault(m, emit, tenantId, plan);
      await repo.insert(plan);
      emit('commission_plan.changed', tenantId, planFact(plan));
      return plan;
    });
  }

  @Mutation(() => CommissionPlan, { description: 'Replaces the plan; commissions already created keep their amounts' })
  updateCommissionPlan(@Arg('id', () => ID) id: string, @Arg('input', () => CommissionPlanInput) input: CommissionPlanInput, @Ctx() ctx: CommissionsContext): Promise<CommissionPlan> {
    this.guard(ctx);
    const rules = toRules(input.rules);
    validatePlan({ ...input, rules });
    const tenantId = ctx.principal.tenantId;
    return this.deps.outbox.transaction(async (m, emit) => {
      const repo = m.getRepository(CommissionPlan);
      const plan = await repo.findOneBy({ tenantId, id });
      if (!plan) throw notFound(`no commission plan with id ${id}`, 'id', 'plan_not_found');
      if (input.productId) {
        const other = await repo.findOneBy({ tenantId, productId: input.productId });
        if (other && other.id !== id) throw conflict(`product ${input.productId} already has a plan`, 'input.productId', 'plan.product_taken');
      }
      Object.assign(plan, {
        name: input.name.trim(),
        currency: input.currency,
        holdDays: input.holdDays,
        productId: input.productId ?? null,
        isDefault: !!input.isDefault,
        salePercentage: input.salePercentage ?? null,
        rules,
        updatedAt: new Date(),
      });
      await this.clearDefault(m, emit, tenantId, plan);
      await repo.save(plan);
      emit('commission_plan.changed', tenantId, planFact(plan));
      return plan;
    });
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
      emit('commission_plan.changed', tenantId, planFact(old));
    }
  }
}

import { Arg, Ctx, Field, FieldResolver, InputType, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { badInput, DecimalScalar, forbidden, fromMinor, isCurrency, newId, requireScope } from '../../../shared/src';
import { validateFxRateInput } from '../domain/fx-rates';
import { FxRate } from '../entities/fx-rate.entity';
import type { CommissionsContext } from '../loaders';
import { fxPendingOf } from '../loaders-fx';
import { clock, CommissionsDeps } from '../services/deps';
import { lockFx } from '../services/engine';
import { Earnings } from './earnings.resolver';

@InputType()
export class FxRateInput {
  @Field({ description: 'ISO 4217, e.g. NGN' })
  from: string;
  @Field({ description: 'ISO 4217, e.g. USD' })
  to: string;
  @Field(() => DecimalScalar, { description: 'How many `to` one `from` buys: a positive decimal, at most 20 significant digits' })
  rate: string;
  @Field(() => Date, { nullable: true, description: 'Payments that occurred at or after this time use the rate (until a later one of the pair); default now' })
  effectiveFrom?: Date | null;
}

@ObjectType({ description: 'Commission held FX_PENDING, summed per currency it is held in: the payments\u2019 for a percentage, the plan\u2019s for a CPA waiting on its minAmount' })
export class FxPendingAmount {
  @Field(() => DecimalScalar)
  amount: string;
  @Field({ description: 'ISO 4217: the payments\u2019 currency not yet convertible to the settlement currency (a CPA waiting on minAmount: the settlement currency itself)' })
  currency: string;
}

@Resolver(() => FxRate)
export class FxRateResolver {
  constructor(private readonly deps: CommissionsDeps) {}

  @Query(() => [FxRate], { description: "The tenant's dated exchange rates, by pair, newest effectiveFrom first; optionally one direction (from, to)" })
  async fxRates(
    @Arg('from', () => String, { nullable: true }) from: string | null,
    @Arg('to', () => String, { nullable: true }) to: string | null,
    @Ctx() ctx: CommissionsContext,
  ): Promise<FxRate[]> {
    requireScope(ctx, 'commissions:read');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot read the exchange rate table', 'partner_scope');
    for (const [name, code] of [['from', from], ['to', to]] as const) {
      if (code != null && !isCurrency(code)) throw badInput(`${name} must be an ISO 4217 currency code in capitals such as USD; got ${JSON.stringify(code)}`, name);
    }
    const qb = ctx.dataSource.getRepository(FxRate).createQueryBuilder('r').where('r.tenant_id = :tenantId', { tenantId: ctx.principal.tenantId });
    if (from) qb.andWhere('r.from_currency = :from', { from });
    if (to) qb.andWhere('r.to_currency = :to', { to });
    return qb.orderBy('r.from_currency', 'ASC').addOrderBy('r.to_currency', 'ASC').addOrderBy('r.effective_from', 'DESC').addOrderBy('r.created_at', 'DESC').getMany();
  }

  @Mutation(() => FxRate, {
    description:
      "Adds a dated rate to the tenant's table (operators; the opposite direction is derived when not set itself). FX_PENDING commissions of the pair whose payment it covers are settled once, by the fx_rate.changed fact",
  })
  setFxRate(@Arg('input', () => FxRateInput) input: FxRateInput, @Ctx() ctx: CommissionsContext): Promise<FxRate> {
    requireScope(ctx, 'commissions:write');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot set exchange rates', 'partner_scope');
    const now = clock(this.deps);
    const valid = validateFxRateInput(input, now);
    const tenantId = ctx.principal.tenantId;
    return this.deps.outbox.transaction(async (m, emit) => {
      await lockFx(m, tenantId);
      const row = m.getRepository(FxRate).create({ id: newId('fxr'), tenantId, ...valid, createdAt: now });
      await m.getRepository(FxRate).insert(row);
      emit('fx_rate.changed', tenantId, { rate: { id: row.id, from: row.from, to: row.to, rate: row.rate, effectiveFrom: row.effectiveFrom.toISOString(), createdAt: row.createdAt.toISOString() } });
      return row;
    });
  }
}

@Resolver(() => Earnings)
export class EarningsFxResolver {
  @FieldResolver(() => [FxPendingAmount], {
    description:
      'Commissions held FX_PENDING (no rate yet from the payment currency to this settlement currency), per held currency; not part of any other figure until settled',
  })
  async fxPending(@Root() e: Earnings, @Ctx() ctx: CommissionsContext): Promise<FxPendingAmount[]> {
    if (!e.partnerId) return [];
    const sums = fxPendingOf(await ctx.loaders.sums.load(e.partnerId));
    const by = new Map<string, bigint>();
    for (const s of sums) if (s.settlementCurrency === e.currency) by.set(s.currency, (by.get(s.currency) ?? 0n) + BigInt(s.minor));
    return [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([currency, minor]) => ({ currency, amount: fromMinor(minor, currency) }));
  }
}

import { Arg, Ctx, Field, FieldResolver, ObjectType, Resolver, Root } from 'type-graphql';
import { assertPartnerVisible, badInput, DecimalScalar, isCurrency, requireScope } from '../../../shared/src';
import { earningsFrom } from '../domain/earnings';
import { Partner } from '../external/partner';
import { CommissionsContext } from '../loaders';
import { fxPendingOf } from '../loaders-fx';

@ObjectType({ description: "A partner's income in one currency (its plan's settlement currency); commissions held FX_PENDING are only in fxPending" })
export class Earnings {
  /** The partner whose earnings these are (not a field: fxPending reads it). */
  partnerId?: string;

  @Field()
  currency: string;

  @Field(() => DecimalScalar, { description: 'Earned, still in the hold period' })
  pendingIncome: string;

  @Field(() => DecimalScalar, { description: 'Credited after the hold, not yet paid' })
  approvedIncome: string;

  @Field(() => DecimalScalar)
  paidIncome: string;

  @Field(() => DecimalScalar, { description: 'Credited income: approved plus paid, in `currency` (the settlement currency) only: one figure, never mixing currencies (FonProxy totalIncome)' })
  totalIncome: string;

  @Field(() => DecimalScalar, { description: 'Reversed by refunds, chargebacks or operators' })
  reversedIncome: string;
}

@Resolver(() => Partner)
export class PartnerEarningsResolver {
  @FieldResolver(() => Earnings, {
    description: "Income in `currency` (ISO 4217); without it, the partner's only currency, or the tenant default",
  })
  async earnings(@Root() partner: Partner, @Arg('currency', () => String, { nullable: true }) currency: string | null, @Ctx() ctx: CommissionsContext): Promise<Earnings> {
    requireScope(ctx, 'commissions:read');
    assertPartnerVisible(ctx, partner.id);
    if (currency !== null && currency !== undefined && !isCurrency(currency)) {
      throw badInput(`currency must be an ISO 4217 code such as USD; got ${JSON.stringify(currency)}`, 'currency');
    }
    // FX_PENDING rows are in the payment's currency: they count only in fxPending, under their settlement currency.
    const all = await ctx.loaders.sums.load(partner.id);
    const held = fxPendingOf(all);
    const sums = all.filter((s) => s.status !== 'FX_PENDING');
    const currencies = [...new Set([...sums.map((s) => s.currency), ...held.map((h) => h.settlementCurrency)])];
    const chosen = currency ?? (currencies.length === 1 ? currencies[0] : ctx.defaultCurrency);
    return {
      ...earningsFrom(
        sums.filter((s) => s.currency === chosen),
        chosen,
      ),
      partnerId: partner.id,
    };
  }
}

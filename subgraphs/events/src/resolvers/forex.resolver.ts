import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { badInput, ConnectionType, forbidden, PageArgs, paginateQuery, parseDate, RecordDecimalScalar, requireScope, scopedPartnerId } from '../../../shared/src';
import { ForexTransaction, TradingActivityDay } from '../entities/forex.entity';
import { Trader } from '../entities/trader.entity';
import { EventsContext } from '../loaders';
import { EventsDeps } from '../services/deps';
import { BulkResult, upsertForexCustomers, upsertForexTransactions, upsertTradingActivity } from '../services/forex';

export const ForexTransactionConnection = ConnectionType('ForexTransaction', ForexTransaction);

@ObjectType({ description: 'A record that was not stored, and why' })
export class RecordError {
  @Field(() => Int, { description: 'Position of the record in the request' })
  index: number;

  @Field(() => String, { nullable: true, description: 'The field at fault (camelCase), null for the whole record' })
  field: string | null;

  @Field()
  message: string;
}

@ObjectType({ description: 'Outcome of a bulk upsert: valid records are stored even when others are rejected' })
export class BulkUpsertResult {
  @Field(() => Int)
  accepted: number;
  @Field(() => Int)
  created: number;
  @Field(() => Int)
  updated: number;
  @Field(() => [RecordError])
  rejected: RecordError[];
}

// Every field is nullable so that one incomplete record is reported, not the whole call refused.
@InputType({ description: 'Track360 customer (snake_case fields in camelCase); required: customerId, signupDate, affiliateId, trackingData' })
export class ForexCustomerInput {
  @Field(() => String, { nullable: true }) customerId?: string | null;
  @Field(() => String, { nullable: true, description: 'ISO 8601 date-time' }) signupDate?: string | null;
  @Field(() => String, { nullable: true, description: 'ISO 8601 date-time' }) lastModifiedDate?: string | null;
  @Field(() => String, { nullable: true, description: "The partner's externalId" }) affiliateId?: string | null;
  @Field(() => String, { nullable: true, description: '1-50 characters' }) trackingData?: string | null;
  @Field(() => String, { nullable: true, description: 'ISO 639-1, lower case (es)' }) langId?: string | null;
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2, capitals (MX)' }) countryCode?: string | null;
  @Field(() => String, { nullable: true }) kycStatusId?: string | null;
  @Field(() => String, { nullable: true }) salesStatusId?: string | null;
  @Field(() => String, { nullable: true }) tradingAccountType?: string | null;
  @Field(() => String, { nullable: true }) leverage?: string | null;
  @Field(() => String, { nullable: true }) firstName?: string | null;
  @Field(() => String, { nullable: true }) lastName?: string | null;
  @Field(() => String, { nullable: true }) email?: string | null;
}

@InputType({ description: 'Track360 transaction; required: transactionId, customerId, transactionType, amountCurrency, currency, transactionDate, status' })
export class ForexTransactionInput {
  @Field(() => String, { nullable: true }) transactionId?: string | null;
  @Field(() => String, { nullable: true }) customerId?: string | null;
  @Field(() => String, { nullable: true, description: 'deposit, withdrawal, bonus, adjustment, ib_rebate or other' }) transactionType?: string | null;
  @Field(() => String, { nullable: true, description: 'wire, card, crypto, lot_rebate, ...' }) transactionSubtype?: string | null;
  @Field(() => RecordDecimalScalar, { nullable: true, description: "At most 2 decimal places (Track360), and no more than the currency's minor unit (none for JPY); at most 15 significant digits" })
  amountCurrency?: unknown;
  @Field(() => RecordDecimalScalar, { nullable: true, description: 'At most 15 significant digits' }) amountUsd?: unknown;
  @Field(() => String, { nullable: true, description: 'ISO 4217' }) currency?: string | null;
  @Field(() => String, { nullable: true, description: 'ISO 8601 date-time' }) transactionDate?: string | null;
  @Field(() => String, { nullable: true, description: 'pending, approved, declined, reversed, ...' }) status?: string | null;
  @Field(() => String, { nullable: true, description: 'At most 500 characters' }) note?: string | null;
}

@InputType({ description: 'Track360 daily trading activity; required: date, customerId, instrument, lotsTraded, currency' })
export class TradingActivityInput {
  @Field(() => String, { nullable: true, description: "YYYY-MM-DD, at most one day after today's UTC date" }) date?: string | null;
  @Field(() => String, { nullable: true }) customerId?: string | null;
  @Field(() => String, { nullable: true, description: 'EURUSD, XAUUSD, US500, ...' }) instrument?: string | null;
  @Field(() => RecordDecimalScalar, { nullable: true, description: 'Standard lots, >= 0, at most 2 decimal places' }) lotsTraded?: unknown;
  @Field(() => RecordDecimalScalar, { nullable: true, description: '>= 0' }) volumeUsd?: unknown;
  @Field(() => RecordDecimalScalar, { nullable: true, description: '>= 0' }) spreadCost?: unknown;
  @Field(() => RecordDecimalScalar, { nullable: true, description: '>= 0' }) commission?: unknown;
  @Field(() => RecordDecimalScalar, { nullable: true, description: 'Negative for a loss' }) pnl?: unknown;
  @Field(() => String, { nullable: true, description: 'ISO 4217' }) currency?: string | null;
}

@InputType()
export class ForexTransactionFilter {
  @Field(() => ID, { nullable: true }) traderId?: string | null;
  @Field(() => String, { nullable: true }) customerId?: string | null;
  @Field(() => String, { nullable: true }) transactionType?: string | null;
  @Field(() => String, { nullable: true }) status?: string | null;
}

@Resolver(() => Trader)
export class ForexResolver {
  constructor(private readonly deps: EventsDeps) {}

  private guard(ctx: EventsContext): void {
    requireScope(ctx, 'events:write');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot send forex data', 'partner_scope');
  }

  @Mutation(() => BulkUpsertResult, { description: 'Track360 customers -> traders, upserted on customerId; at most 1000 per call' })
  upsertForexCustomers(@Arg('records', () => [ForexCustomerInput]) records: ForexCustomerInput[], @Ctx() ctx: EventsContext): Promise<BulkResult> {
    this.guard(ctx);
    return upsertForexCustomers(this.deps, ctx.principal.tenantId, records);
  }

  @Mutation(() => BulkUpsertResult, {
    description: 'Track360 transactions, upserted on transactionId (re-send to change status); derives FIRST_DEPOSIT, RECURRING_DEPOSIT, WITHDRAWAL and CHARGEBACK once each; at most 1000 per call',
  })
  upsertForexTransactions(@Arg('records', () => [ForexTransactionInput]) records: ForexTransactionInput[], @Ctx() ctx: EventsContext): Promise<BulkResult> {
    this.guard(ctx);
    return upsertForexTransactions(this.deps, ctx.principal.tenantId, records);
  }

  @Mutation(() => BulkUpsertResult, {
    description: 'Track360 daily trading activity, upserted on date + customerId + instrument + currency (a re-send replaces the day); the first one derives FIRST_TRADE; at most 1000 per call',
  })
  upsertTradingActivity(@Arg('records', () => [TradingActivityInput]) records: TradingActivityInput[], @Ctx() ctx: EventsContext): Promise<BulkResult> {
    this.guard(ctx);
    return upsertTradingActivity(this.deps, ctx.principal.tenantId, records);
  }

  @Query(() => ForexTransactionConnection, { description: 'Newest first' })
  forexTransactions(@Arg('filter', () => ForexTransactionFilter, { nullable: true }) filter: ForexTransactionFilter | null, @Args() page: PageArgs, @Ctx() ctx: EventsContext) {
    requireScope(ctx, 'events:read');
    const partnerId = scopedPartnerId(ctx, null);
    return paginateQuery(() => {
      const qb = ctx.dataSource.getRepository(ForexTransaction).createQueryBuilder('x').where('x.tenant_id = :tenantId', { tenantId: ctx.principal.tenantId });
      if (partnerId) qb.andWhere('x.trader_id IN (SELECT t.id FROM traders t WHERE t.tenant_id = :tenantId AND t.partner_id = :partnerId)', { partnerId });
      if (filter?.traderId) qb.andWhere('x.trader_id = :traderId', { traderId: filter.traderId });
      if (filter?.customerId) qb.andWhere('x.customer_id = :customerId', { customerId: filter.customerId });
      if (filter?.transactionType) qb.andWhere('x.transaction_type = :type', { type: filter.transactionType });
      if (filter?.status) qb.andWhere('x.status = :status', { status: filter.status.toLowerCase() });
      return qb;
    }, page);
  }

  @FieldResolver(() => ForexTransactionConnection, { description: "The trader's forex transactions, newest first" })
  transactions(@Root() trader: Trader, @Args() page: PageArgs, @Ctx() ctx: EventsContext) {
    requireScope(ctx, 'events:read');
    return paginateQuery(
      () => ctx.dataSource.getRepository(ForexTransaction).createQueryBuilder('x').where('x.tenant_id = :tenantId AND x.trader_id = :traderId', { tenantId: trader.tenantId, traderId: trader.id }),
      page,
    );
  }

  @FieldResolver(() => [TradingActivityDay], { description: 'Daily trading records between from and to (inclusive, at most 366 days), by date' })
  async tradingActivity(
    @Root() trader: Trader,
    @Arg('from', () => String, { description: 'YYYY-MM-DD' }) from: string,
    @Arg('to', () => String, { description: 'YYYY-MM-DD' }) to: string,
    @Ctx() ctx: EventsContext,
  ): Promise<TradingActivityDay[]> {
    requireScope(ctx, 'events:read');
    const f = parseDate(from);
    const t = parseDate(to);
    if (f > t) throw badInput('from must not be after to', 'from');
    if ((Date.parse(t) - Date.parse(f)) / 86_400_000 > 366) throw badInput('at most 366 days at once', 'to');
    return ctx.dataSource
      .getRepository(TradingActivityDay)
      .createQueryBuilder('a')
      .where('a.tenant_id = :tenantId AND a.trader_id = :traderId', { tenantId: trader.tenantId, traderId: trader.id })
      .andWhere('a.date >= :f AND a.date <= :t', { f, t })
      .orderBy('a.date', 'ASC')
      .addOrderBy('a.instrument', 'ASC')
      .getMany();
  }
}

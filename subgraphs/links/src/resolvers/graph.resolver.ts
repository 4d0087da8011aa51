import { Arg, Ctx, Directive, Field, FieldResolver, ID, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { assertPartnerVisible, badInput, notFound, CountPoint, countSeries, Granularity, rangeEnd, requireScope } from '../../../shared/src';
import { autoGranularity, bucketStarts, BucketSize as Bucket, resolveRange } from '../../../shared/src/time-buckets';
import { Click } from '../entities/click.entity';
import { LinksContext } from '../loaders';

/** The referral graph (FonProxy GET /referral/graph); each subgraph adds the series it owns. */
@ObjectType({ description: 'Time series of a partner: clicks (links), registrations (events), income (commissions)' })
@Directive('@key(fields: "partnerId from to granularity")')
export class ReferralGraph {
  @Field(() => ID)
  partnerId: string;

  @Field({ description: 'Start of the first bucket' })
  from: Date;

  @Field({ description: 'End of the range (exclusive)' })
  to: Date;

  @Field(() => Granularity, { description: 'Resolved: never AUTO' })
  granularity: Granularity;

  tenantId: string;
}

@Resolver(() => ReferralGraph)
export class ReferralGraphResolver {
  @Query(() => ReferralGraph, {
    description: 'from defaults to 30 days before to, to to now; at most 1000 buckets. from and to take an instant or a date (FonProxy "ISO date"): from a date starts at its 00:00 UTC, to a date includes that whole day (ends at the next midnight, exclusive)',
  })
  async referralGraph(
    @Arg('partnerId', () => ID, { nullable: true, description: 'Defaults to the calling partner' }) partnerId: string | null,
    @Arg('from', () => Date, { nullable: true, description: 'Inclusive' }) from: Date | null,
    @Arg('to', () => Date, { nullable: true, description: 'Exclusive; a date YYYY-MM-DD includes that whole day' }) to: Date | null,
    @Arg('granularity', () => Granularity, { defaultValue: Granularity.AUTO }) granularity: Granularity,
    @Ctx() ctx: LinksContext,
  ): Promise<ReferralGraph> {
    requireScope(ctx, 'links:read');
    const pid = partnerId ?? ctx.principal.partnerId;
    if (!pid) throw badInput('partnerId is required with a tenant credential', 'partnerId');
    assertPartnerVisible(ctx, pid, 'partner', 'partnerId');
    // A reference (id-arguments.ts): an unknown or another tenant's partner has no graph, not an all-zero one.
    if (!(await ctx.loaders.partner.load(pid))) throw notFound(`no partner with id ${pid}`, 'partnerId', 'partner_not_found');
    const range = resolveRange(from, rangeEnd(to), ctx.now);
    if (range.from > range.to) throw badInput('from must be before to', 'from');
    const g: Bucket = granularity === Granularity.AUTO ? autoGranularity(range.from, range.to) : (granularity as Bucket);
    const starts = bucketStarts(range.from, range.to, g);
    return { partnerId: pid, from: starts[0], to: range.to, granularity: g as Granularity, tenantId: ctx.principal.tenantId };
  }

  @FieldResolver(() => [CountPoint], { description: 'Counted clicks per bucket; empty buckets are 0' })
  async clicks(@Root() graph: ReferralGraph, @Ctx() ctx: LinksContext): Promise<CountPoint[]> {
    requireScope(ctx, 'links:read');
    assertPartnerVisible(ctx, graph.partnerId);
    const qb = ctx.dataSource
      .getRepository(Click)
      .createQueryBuilder('c')
      .where('c.tenant_id = :tenantId AND c.partner_id = :partnerId', { tenantId: ctx.principal.tenantId, partnerId: graph.partnerId });
    return countSeries(qb, 'c.created_at', graph);
  }
}

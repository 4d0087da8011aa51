import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import { badInput, codeMessage, COUNTRY_RULE, dateParam, IP_RULE, isCountryCode, isIpAddress, forbidden, notFound, PageArgs, paginateQuery, rangeEnd, requireScope, scopedPartnerId } from '../../../shared/src';
import { Click } from '../entities/click.entity';
import { Partner } from '../entities/partner.entity';
import { ReferralLink, Utm } from '../entities/referral-link.entity';
import { LinksContext } from '../loaders';
import { captureClick } from '../services/clicks';
import { LinksDeps } from '../services/deps';
import { ClickConnection } from './connections';

@InputType()
export class ClickFilter {
  @Field(() => ID, { nullable: true })
  partnerId?: string | null;

  @Field(() => ID, { nullable: true })
  linkId?: string | null;

  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2' })
  country?: string | null;

  @Field(() => Date, { nullable: true, description: 'Inclusive' })
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Exclusive; a date YYYY-MM-DD includes that whole day' })
  to?: Date | null;
}

@InputType({ description: 'A click seen by your server or the browser SDK' })
export class RecordClickInput {
  @Field(() => ID, { nullable: true, description: 'The link; or give slug' })
  linkId?: string | null;

  @Field(() => String, { nullable: true, description: 'The link slug (the end of its trackingUrl)' })
  slug?: string | null;

  @Field(() => String, { nullable: true, description: "The visitor's IP address" })
  ip?: string | null;

  @Field(() => String, { nullable: true })
  userAgent?: string | null;

  @Field(() => String, { nullable: true })
  referrer?: string | null;
}

@Resolver(() => Click)
export class ClickResolver {
  constructor(private readonly deps: LinksDeps) {}

  @Query(() => ClickConnection, { description: 'Newest first: IP, country, device, browser, UTM (FYNXT "List clicks")' })
  clicks(@Arg('filter', () => ClickFilter, { nullable: true }) filter: ClickFilter | null, @Args() page: PageArgs, @Ctx() ctx: LinksContext) {
    requireScope(ctx, 'links:read');
    const f = { ...filter, to: rangeEnd(filter?.to) };
    const partnerId = scopedPartnerId(ctx, f.partnerId);
    if (f.from && f.to && f.from > f.to) throw badInput('filter.from must be before filter.to', 'filter.from');
    if (f.country != null && !isCountryCode(f.country)) throw badInput(codeMessage('country', COUNTRY_RULE, f.country), 'filter.country');
    const ds = ctx.dataSource;
    return paginateQuery(() => {
      const qb = ds.getRepository(Click).createQueryBuilder('c').where('c.tenant_id = :tenantId', { tenantId: ctx.principal.tenantId });
      if (partnerId) qb.andWhere('c.partner_id = :partnerId', { partnerId });
      if (f.linkId) qb.andWhere('c.link_id = :linkId', { linkId: f.linkId });
      if (f.country) qb.andWhere('c.country = :country', { country: f.country });
      if (f.from) qb.andWhere('c.created_at >= :from', { from: dateParam(ds, f.from) });
      if (f.to) qb.andWhere('c.created_at < :to', { to: dateParam(ds, f.to) });
      return qb;
    }, page);
  }

  @Mutation(() => Click, {
    description:
      'Records a click captured by your server or SDK, like GET /r/<slug> does; bots are refused. FORBIDDEN to partner credentials unless LinkSettings.partnersRecordClicks is on',
  })
  async recordClick(@Arg('input', () => RecordClickInput) input: RecordClickInput, @Ctx() ctx: LinksContext): Promise<Click> {
    requireScope(ctx, 'links:write');
    // Partner tokens carry links:write for their own code and links; recording clicks with any IP and user agent
    // would let a partner inflate its clicks and plant fingerprint matches, so that takes the tenant's consent.
    if (ctx.principal.partnerId && !(await ctx.loaders.settings.load(ctx.principal.tenantId)).partnersRecordClicks) {
      throw forbidden(
        'a partner credential cannot record clicks: clicks come from the link redirect (GET /r/<slug>) or the tenant\'s own server; the tenant can allow partners with updateLinkSettings(input: { partnersRecordClicks: true })',
        'partner_record_click',
      );
    }
    // Given (even empty) counts: an empty slug is an unknown link, not a missing one.
    if ((input.linkId == null) === (input.slug == null)) throw badInput('give exactly one of linkId and slug', input.linkId != null ? 'input.slug' : 'input.linkId');
    if (input.ip != null && !isIpAddress(input.ip)) throw badInput(codeMessage('ip', IP_RULE, input.ip), 'input.ip');
    for (const field of ['userAgent', 'referrer'] as const) {
      if ((input[field]?.length ?? 0) > 2000) throw badInput(`${field} must be at most 2000 characters`, `input.${field}`);
    }
    const link = input.linkId != null
      ? input.linkId && (await ctx.loaders.link.load(input.linkId))
      : await ctx.dataSource.getRepository(ReferralLink).findOneBy({ tenantId: ctx.principal.tenantId, slug: input.slug! });
    if (!link || (ctx.principal.partnerId && link.partnerId !== ctx.principal.partnerId)) {
      throw notFound('no referral link with that id or slug', input.linkId != null ? 'input.linkId' : 'input.slug', 'link_not_found');
    }
    const outcome = await captureClick(this.deps, link, { ip: input.ip ?? null, userAgent: input.userAgent, referrer: input.referrer }, true);
    if (!outcome.click) throw badInput('the user agent is a bot or link-preview fetcher; such visits are not counted as clicks', 'input.userAgent', 'click.bot');
    return outcome.click;
  }

  @FieldResolver(() => ReferralLink, { nullable: true })
  link(@Root() click: Click, @Ctx() ctx: LinksContext): Promise<ReferralLink | null> {
    return ctx.loaders.link.load(click.linkId);
  }

  @FieldResolver(() => Partner, { nullable: true })
  async partner(@Root() click: Click, @Ctx() ctx: LinksContext): Promise<Partner | null> {
    if (ctx.principal.partnerId && ctx.principal.partnerId !== click.partnerId) throw forbidden('not your click');
    return ctx.loaders.partner.load(click.partnerId);
  }

  @FieldResolver(() => Utm, { nullable: true })
  utm(@Root() click: Click): Utm | null {
    const utm = { source: click.utmSource, medium: click.utmMedium, campaign: click.utmCampaign, term: click.utmTerm, content: click.utmContent };
    return Object.values(utm).some((v) => v !== null) ? utm : null;
  }
}

import { randomBytes } from 'node:crypto';
import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { assertPartnerVisible, badInput, forbidden, newId, notFound, openSecret, PageArgs, paginateQuery, requireScope, scopedPartnerId } from '../../../shared/src';
import { validatePath, validateUtm } from '../domain/link-url';
import { encryptPartnerId } from '../domain/partner-token';
import { LinkKey } from '../entities/link-settings.entity';
import { Partner } from '../entities/partner.entity';
import { ReferralLink, Utm } from '../entities/referral-link.entity';
import { LinksContext } from '../loaders';
import { linkUrl } from '../services/clicks';
import { LinksDeps } from '../services/deps';
import { loadSettings } from '../services/link-settings';
import { ReferralLinkConnection } from './connections';

@InputType()
export class UtmInput {
  @Field(() => String, { nullable: true })
  source?: string | null;
  @Field(() => String, { nullable: true })
  medium?: string | null;
  @Field(() => String, { nullable: true })
  campaign?: string | null;
  @Field(() => String, { nullable: true })
  term?: string | null;
  @Field(() => String, { nullable: true })
  content?: string | null;
}

@InputType()
export class CreateReferralLinkInput {
  @Field(() => ID, { nullable: true, description: 'Defaults to the calling partner' })
  partnerId?: string | null;

  @Field({ description: 'Path on the tenant domain, e.g. /en/open-account' })
  path: string;

  @Field({ defaultValue: false, description: 'Emit the partner id as Formx=<token> (needs an encryption key) instead of ref=<code>' })
  encryptPartnerId: boolean;

  @Field(() => UtmInput, { nullable: true, description: 'Appended to the query string as utm_*' })
  utm?: UtmInput | null;

  @Field({ defaultValue: false, description: "Send clicks to the regional domain serving the visitor's country" })
  geoRouting: boolean;
}

const SLUG_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
function slug(): string {
  return Array.from(randomBytes(10), (b) => SLUG_ALPHABET[b % 62]).join('');
}

function validateDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > 366) throw badInput('days must be an integer from 1 to 366', 'days');
  return days;
}

@Resolver(() => ReferralLink)
export class ReferralLinkResolver {
  constructor(private readonly deps: LinksDeps) {}

  @Mutation(() => ReferralLink, { description: 'FYNXT "Create a referral link": the full URL to distribute, and a tracking URL that records clicks' })
  async createReferralLink(@Arg('input', () => CreateReferralLinkInput) input: CreateReferralLinkInput, @Ctx() ctx: LinksContext): Promise<ReferralLink> {
    requireScope(ctx, 'links:write');
    const partnerId = input.partnerId ?? ctx.principal.partnerId;
    if (!partnerId) throw badInput('partnerId is required with a tenant credential', 'input.partnerId');
    assertPartnerVisible(ctx, partnerId, 'partner', 'input.partnerId');
    const path = validatePath(input.path, 'input.path');
    const utm = validateUtm(input.utm, 'input.utm');
    const tenantId = ctx.principal.tenantId;
    return this.deps.outbox.transaction(async (m, emit) => {
      const partner = await m.getRepository(Partner).findOneBy({ tenantId, id: partnerId });
      if (!partner) throw notFound(`no partner with id ${partnerId}`, 'input.partnerId', 'partner_not_found');
      let partnerToken: string | null = null;
      if (input.encryptPartnerId) {
        const settings = await loadSettings(m, tenantId, this.deps.config.defaultLinkDomain);
        const key = settings.encryptionKeyId ? await m.getRepository(LinkKey).findOneBy({ tenantId, id: settings.encryptionKeyId }) : null;
        if (!key) {
          throw badInput('encryptPartnerId needs an encryption key: call rotateLinkEncryptionKey first and give its secret to your backend', 'input.encryptPartnerId', 'link.no_encryption_key');
        }
        partnerToken = encryptPartnerId(partner.id, { id: key.id, secret: openSecret(key.secretEnc, this.deps.config.secretsKey) });
      }
      const repo = m.getRepository(ReferralLink);
      let s = slug();
      while (await repo.findOneBy({ slug: s })) s = slug();
      const link = repo.create({
        id: newId('ln'),
        tenantId,
        partnerId,
        slug: s,
        path,
        encryptPartnerId: input.encryptPartnerId,
        partnerToken,
        utmSource: utm.source ?? null,
        utmMedium: utm.medium ?? null,
        utmCampaign: utm.campaign ?? null,
        utmTerm: utm.term ?? null,
        utmContent: utm.content ?? null,
        geoRouting: input.geoRouting,
        referralCode: partner.referralCode,
        createdAt: new Date(),
      });
      await repo.insert(link);
      emit('referral_link.created', tenantId, { link: { id: link.id, partnerId, slug: s, path } });
      return link;
    });
  }

  @Query(() => ReferralLink, { nullable: true })
  async referralLink(@Arg('id', () => ID) id: string, @Ctx() ctx: LinksContext): Promise<ReferralLink> {
    requireScope(ctx, 'links:read');
    const link = await ctx.loaders.link.load(id);
    if (!link || (ctx.principal.partnerId && link.partnerId !== ctx.principal.partnerId)) throw notFound(`no referral link with id ${id}`, 'id', 'link_not_found');
    return link;
  }

  @Query(() => ReferralLinkConnection, { description: 'Newest first' })
  referralLinks(@Arg('partnerId', () => ID, { nullable: true }) partnerId: string | null, @Args() page: PageArgs, @Ctx() ctx: LinksContext) {
    requireScope(ctx, 'links:read');
    const pid = scopedPartnerId(ctx, partnerId, 'partnerId');
    return paginateQuery(() => {
      const qb = ctx.dataSource.getRepository(ReferralLink).createQueryBuilder('l').where('l.tenant_id = :tenantId', { tenantId: ctx.principal.tenantId });
      if (pid) qb.andWhere('l.partner_id = :pid', { pid });
      return qb;
    }, page);
  }

  @FieldResolver(() => Partner)
  async partner(@Root() link: ReferralLink, @Ctx() ctx: LinksContext): Promise<Partner> {
    const p = await ctx.loaders.partner.load(link.partnerId);
    if (!p) throw forbidden('the partner of this link is not visible');
    return p;
  }

  @FieldResolver(() => String, { description: 'The full URL to distribute: primary domain + path + ref=<code> or Formx=<token> + utm_*' })
  async url(@Root() link: ReferralLink, @Ctx() ctx: LinksContext): Promise<string> {
    const settings = await ctx.loaders.settings.load(link.tenantId);
    return linkUrl(link, settings.primaryDomain);
  }

  @FieldResolver(() => String, { description: '<gateway>/r/<slug>: records the click, geo-routes, redirects to url' })
  trackingUrl(@Root() link: ReferralLink): string {
    return `${this.deps.config.publicUrl}/r/${link.slug}`;
  }

  @FieldResolver(() => Utm, { nullable: true })
  utm(@Root() link: ReferralLink): Utm | null {
    const utm = { source: link.utmSource, medium: link.utmMedium, campaign: link.utmCampaign, term: link.utmTerm, content: link.utmContent };
    return Object.values(utm).some((v) => v !== null) ? utm : null;
  }

  @FieldResolver(() => Int, { description: 'Counted clicks in the last `days` days (1-366)' })
  clickCount(@Root() link: ReferralLink, @Arg('days', () => Int, { defaultValue: 30 }) days: number, @Ctx() ctx: LinksContext): Promise<number> {
    return ctx.loaders.linkClicks.load({ id: link.id, from: new Date(ctx.now.getTime() - validateDays(days) * 86_400_000) });
  }

  @FieldResolver(() => Int, { description: 'Unique visitors (IP + user agent, once an hour) in the last `days` days' })
  uniqueClickCount(@Root() link: ReferralLink, @Arg('days', () => Int, { defaultValue: 30 }) days: number, @Ctx() ctx: LinksContext): Promise<number> {
    return ctx.loaders.linkUniqueClicks.load({ id: link.id, from: new Date(ctx.now.getTime() - validateDays(days) * 86_400_000) });
  }
}

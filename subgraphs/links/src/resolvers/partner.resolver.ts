import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Brackets, EntityManager, IsNull } from 'typeorm';
import {
  assertPartnerVisible,
  badInput,
  rangeEnd,
  conflict,
  forbidden,
  newId,
  notFound,
  PageArgs,
  paginateQuery,
  requireScope,
  toPage,
  validateFirst,
  Emit,
} from '../../../shared/src';
import { buildLinkUrl } from '../domain/link-url';
import { PartnerCode } from '../entities/partner-code.entity';
import { ReferralLink } from '../entities/referral-link.entity';
import { LinksDeps } from '../services/deps';
import { ReferralLinkConnection } from './connections';
import { validatePartnerFields } from '../domain/partner-input';
import { generateReferralCode, isValidReferralCode, REFERRAL_CODE_RULE, referralCodeKey } from '../domain/referral-code';
import { reserveCode } from '../services/code-namespace';
import { Partner } from '../entities/partner.entity';
import { LinksContext } from '../loaders';
import { PartnerConnection } from './connections';


@InputType()
export class CreatePartnerInput {
  @Field()
  name: string;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true, description: "The tenant's own id for this partner; unique per tenant" })
  externalId?: string | null;

  @Field(() => ID, { nullable: true, description: 'The upline partner (multi-tier IBs)' })
  parentId?: string | null;

  @Field(() => String, { nullable: true, description: 'Created automatically when omitted' })
  referralCode?: string | null;
}

@InputType()
export class UpdatePartnerInput {
  @Field(() => String, { nullable: true })
  name?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true })
  externalId?: string | null;

  @Field(() => ID, { nullable: true, description: 'null removes the upline; a cycle or an unknown partner is refused' })
  parentId?: string | null;
}

@InputType()
export class PartnerFilter {
  @Field(() => ID, { nullable: true, description: 'Only direct children of this partner' })
  parentId?: string | null;

  @Field(() => String, { nullable: true, description: 'Matches name, email or externalId (case-insensitive substring)' })
  search?: string | null;
}

export function partnerFact(p: Partner) {
  return { id: p.id, name: p.name, email: p.email, externalId: p.externalId, parentId: p.parentId, referralCode: p.referralCode };
}

@Resolver(() => Partner)
export class PartnerResolver {
  constructor(private readonly deps: LinksDeps) {}

  @Query(() => Partner, { nullable: true })
  async partner(@Arg('id', () => ID) id: string, @Ctx() ctx: LinksContext): Promise<Partner> {
    requireScope(ctx, 'links:read');
    assertPartnerVisible(ctx, id, 'partner', 'id');
    const partner = await ctx.loaders.partner.load(id);
    if (!partner) throw notFound(`no partner with id ${id}`, 'id', 'partner_not_found');
    return partner;
  }

  @Query(() => PartnerConnection)
  async partners(
    @Arg('filter', () => PartnerFilter, { nullable: true }) filter: PartnerFilter | null,
    @Args() page: PageArgs,
    @Ctx() ctx: LinksContext,
  ) {
    requireScope(ctx, 'links:read');
    const build = () => {
      const qb = ctx.dataSource.getRepository(Partner).createQueryBuilder('p').where('p.tenant_id = :tenantId', { tenantId: ctx.principal.tenantId });
      if (ctx.principal.partnerId) qb.andWhere('p.id = :own', { own: ctx.principal.partnerId });
      if (filter?.parentId) qb.andWhere('p.parent_id = :parentId', { parentId: filter.parentId });
      if (filter?.search) {
        const term = `%${filter.search.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c)}%`;
        qb.andWhere(
          new Brackets((b) =>
            b
              .where("LOWER(p.name) LIKE :term ESCAPE '\\'", { term })
              .orWhere("LOWER(p.email) LIKE :term ESCAPE '\\'", { term })
              .orWhere("LOWER(p.external_id) LIKE :term ESCAPE '\\'", { term }),
          ),
        );
      }
      return qb;
    };
    return paginateQuery(build, page);
  }

  @Mutation(() => Partner)
  async createPartner(@Arg('input', () => CreatePartnerInput) input: CreatePartnerInput, @Ctx() ctx: LinksContext): Promise<Partner> {
    requireScope(ctx, 'links:write');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot create partners', 'partner_scope');
    validatePartnerFields(input, 'input', true);
    const tenantId = ctx.principal.tenantId;
    return this.deps.outbox.transaction(async (m, emit) => {
      const repo = m.getRepository(Partner);
      // An empty id names no partner: refused like an unknown one, not read as "no parent".
      if (input.parentId != null) {
        const parent = await repo.findOneBy({ tenantId, id: input.parentId });
        if (!parent) throw notFound(`no partner with id ${input.parentId} in this tenant to be the parent`, 'input.parentId', 'partner_not_found');
      }
      if (input.externalId) {
        const taken = await repo.findOneBy({ tenantId, externalId: input.externalId });
        if (taken) throw conflict(`externalId ${input.externalId} already belongs to partner ${taken.id}`, 'input.externalId', 'partner.external_id_taken');
      }
      const id = newId('prt');
      const now = new Date();
      // The code is reserved in this transaction: partner and KYC codes share one namespace.
      const code = input.referralCode ?? (await freeCode(m, tenantId, id, now));
      if (input.referralCode && !(await reserveCode(m, tenantId, code, { ownerKind: 'partner', ownerId: id }, now)).reserved) throw codeTaken(code, 'input.referralCode');
      const partner = repo.create({
        id,
        tenantId,
        name: input.name.trim(),
        email: input.email ?? null,
        externalId: input.externalId ?? null,
        parentId: input.parentId ?? null,
        referralCode: code,
        referralCodeKey: referralCodeKey(code),
        createdAt: now,
        updatedAt: now,
      });
      await repo.insert(partner);
      await m.getRepository(PartnerCode).insert({ tenantId, codeKey: partner.referralCodeKey, code, partnerId: partner.id, createdAt: now, replacedAt: null });
      publishPartner(emit, partner, true);
      return partner;
    });
  }


  @Query(() => Partner, { nullable: true, description: 'The calling partner (a partner credential); null for a tenant credential' })
  async viewer(@Ctx() ctx: LinksContext): Promise<Partner | null> {
    requireScope(ctx, 'links:read');
    if (!ctx.principal.partnerId) return null;
    return ctx.loaders.partner.load(ctx.principal.partnerId);
  }

  @Mutation(() => Partner, { description: 'Changes name, email, externalId or parent; omitted fields stay as they are' })
  async updatePartner(@Arg('id', () => ID) id: string, @Arg('input', () => UpdatePartnerInput) input: UpdatePartnerInput, @Ctx() ctx: LinksContext): Promise<Partner> {
    requireScope(ctx, 'links:write');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot change partners', 'partner_scope');
    validatePartnerFields(input, 'input', false);
    const tenantId = ctx.principal.tenantId;
    return this.deps.outbox.transaction(async (m, emit) => {
      const repo = m.getRepository(Partner);
      const partner = await repo.findOneBy({ tenantId, id });
      if (!partner) throw notFound(`no partner with id ${id}`, 'id', 'partner_not_found');
      if (input.parentId !== undefined) {
        if (input.parentId !== null) await assertNoCycle(m, tenantId, id, input.parentId);
        partner.parentId = input.parentId;
      }
      if (input.externalId !== undefined && input.externalId !== partner.externalId) {
        const taken = input.externalId ? await repo.findOneBy({ tenantId, externalId: input.externalId }) : null;
        if (taken) throw conflict(`externalId ${input.externalId} already belongs to partner ${taken.id}`, 'input.externalId', 'partner.external_id_taken');
        partner.externalId = input.externalId;
      }
      if (input.name !== undefined && input.name !== null) partner.name = input.name.trim();
      if (input.email !== undefined) partner.email = input.email;
      partner.updatedAt = new Date();
      await repo.update({ id }, { name: partner.name, email: partner.email, externalId: partner.externalId, parentId: partner.parentId, updatedAt: partner.updatedAt });
      publishPartner(emit, partner, false);
      return partner;
    });
  }

  @Mutation(() => Partner, {
    description:
      'Changes a referral code (FonProxy PATCH /referral/code): 3-30 of A-Z a-z 0-9 _ -, unique per tenant ignoring case among partner codes (current and past) and KYC referral codes. The old code keeps attributing to the partner. Without partnerId, the calling partner.',
  })
  async updateReferralCode(@Arg('partnerId', () => ID, { nullable: true }) partnerId: string | null, @Arg('code') code: string, @Ctx() ctx: LinksContext): Promise<Partner> {
    requireScope(ctx, 'links:write');
    const id = partnerId ?? ctx.principal.partnerId;
    if (!id) throw badInput('partnerId is required with a tenant credential', 'partnerId');
    assertPartnerVisible(ctx, id, 'partner', 'partnerId');
    if (!isValidReferralCode(code)) throw badInput(REFERRAL_CODE_RULE, 'code', 'referral.code_invalid');
    const tenantId = ctx.principal.tenantId;
    return this.deps.outbox.transaction(async (m, emit) => {
      const repo = m.getRepository(Partner);
      const partner = await repo.findOneBy({ tenantId, id });
      if (!partner) throw notFound(`no partner with id ${id}`, 'partnerId', 'partner_not_found');
      const key = referralCodeKey(code);
      const codes = m.getRepository(PartnerCode);
      const now = new Date();
      // Free, or already this partner's (its current code or one it had): reserved in this transaction.
      if (!(await reserveCode(m, tenantId, code, { ownerKind: 'partner', ownerId: id }, now)).reserved) throw codeTaken(code, 'code');
      if (partner.referralCode === code) return partner;
      const holder = await codes.findOneBy({ tenantId, codeKey: key });
      await codes.update({ tenantId, partnerId: id, replacedAt: IsNull() }, { replacedAt: now });
      if (holder) await codes.update({ tenantId, codeKey: key }, { code, replacedAt: null });
      else await codes.insert({ tenantId, codeKey: key, code, partnerId: id, createdAt: now, replacedAt: null });
      partner.referralCode = code;
      partner.referralCodeKey = key;
      partner.updatedAt = now;
      await repo.update({ id }, { referralCode: code, referralCodeKey: key, updatedAt: now });
      publishPartner(emit, partner, true);
      return partner;
    });
  }

  @FieldResolver(() => String, { description: "Link to the tenant's site with ref=<code>, from the link settings" })
  async referralUrl(@Root() partner: Partner, @Ctx() ctx: LinksContext): Promise<string> {
    const settings = await ctx.loaders.settings.load(partner.tenantId);
    return buildLinkUrl({ domain: settings.primaryDomain, path: settings.referralPath, ref: partner.referralCode });
  }

  @FieldResolver(() => [String], { description: 'Every code the partner has had, current first; all of them attribute to it' })
  async referralCodeHistory(@Root() partner: Partner, @Ctx() ctx: LinksContext): Promise<string[]> {
    const rows = await ctx.dataSource.getRepository(PartnerCode).find({ where: { tenantId: partner.tenantId, partnerId: partner.id }, order: { createdAt: 'DESC' } });
    return rows.sort((a, b) => Number(a.replacedAt !== null) - Number(b.replacedAt !== null)).map((r) => r.code);
  }

  @FieldResolver(() => ReferralLinkConnection, { description: "The partner's referral links, newest first" })
  links(@Root() partner: Partner, @Args() page: PageArgs, @Ctx() ctx: LinksContext) {
    requireScope(ctx, 'links:read');
    return paginateQuery(
      () => ctx.dataSource.getRepository(ReferralLink).createQueryBuilder('l').where('l.tenant_id = :tenantId AND l.partner_id = :partnerId', { tenantId: partner.tenantId, partnerId: partner.id }),
      page,
    );
  }

  @FieldResolver(() => Int, { description: "Counted clicks on the partner's links; from inclusive, to exclusive (a date YYYY-MM-DD as to includes that whole day)" })
  clickCount(
    @Root() partner: Partner,
    @Arg('from', () => Date, { nullable: true }) from: Date | null,
    @Arg('to', () => Date, { nullable: true }) given: Date | null,
    @Ctx() ctx: LinksContext,
  ): Promise<number> {
    requireScope(ctx, 'links:read');
    const to = rangeEnd(given);
    if (from && to && from > to) throw badInput('from must be before to', 'from');
    return ctx.loaders.partnerClicks.load({ id: partner.id, from, to });
  }

  @FieldResolver(() => Partner, { nullable: true, description: 'The upline IB' })
  async parent(@Root() partner: Partner, @Ctx() ctx: LinksContext): Promise<Partner | null> {
    if (!partner.parentId) return null;
    // A partner principal sees its own partner, not its upline.
    if (ctx.principal.partnerId && ctx.principal.partnerId !== partner.parentId) return null;
    return ctx.loaders.partner.load(partner.parentId);
  }

  @FieldResolver(() => PartnerConnection, { description: 'Direct downline partners' })
  async children(@Root() partner: Partner, @Args() page: PageArgs, @Ctx() ctx: LinksContext) {
    // A partner principal sees its own partner, not its downline.
    if (ctx.principal.partnerId) return toPage<Partner>([], validateFirst(page.first), async () => 0);
    return paginateQuery(
      () =>
        ctx.dataSource
          .getRepository(Partner)
          .createQueryBuilder('p')
          .where('p.tenant_id = :tenantId AND p.parent_id = :parentId', { tenantId: ctx.principal.tenantId, parentId: partner.id }),
      page,
    );
  }
}

/** Facts about a partner: consumers keep read models of partners and of their codes. */
export function publishPartner(emit: Emit, partner: Partner, codeChanged: boolean): void {
  emit('partner.changed', partner.tenantId, { partner: partnerFact(partner) });
  if (codeChanged) {
    emit('referral_code.changed', partner.tenantId, {
      source: 'links',
      code: partner.referralCode,
      partnerId: partner.id,
      active: true,
    });
  }
}

/** An auto-created code, reserved for the partner: one no partner and no KYC code of the tenant has. */
async function freeCode(m: EntityManager, tenantId: string, partnerId: string, now: Date): Promise<string> {
  for (let i = 0; i < 10; i++) {
    const code = generateReferralCode();
    if ((await reserveCode(m, tenantId, code, { ownerKind: 'partner', ownerId: partnerId }, now)).reserved) return code;
  }
  throw new Error('could not find a free referral code after 10 attempts');
}

/** The code belongs to another partner (now or before) or is a KYC referral code of the tenant. */
function codeTaken(code: string, param: string) {
  return conflict(`referral code ${code} is taken: partner codes (current and past) and KYC referral codes share one namespace per tenant, ignoring case`, param, 'referral.code_taken');
}

/** A partner may not become its own ancestor: walk up from the new parent. */
async function assertNoCycle(m: EntityManager, tenantId: string, id: string, parentId: string): Promise<void> {
  const repo = m.getRepository(Partner);
  let cursor: string | null = parentId;
  for (let depth = 0; cursor !== null; depth++) {
    if (cursor === id) throw badInput('parentId would make the partner its own upline (a cycle)', 'input.parentId', 'partner.parent_cycle');
    if (depth > 100) throw badInput('the upline chain is deeper than 100 partners', 'input.parentId', 'partner.parent_too_deep');
    const p: Partner | null = await repo.findOneBy({ tenantId, id: cursor });
    if (!p) {
      if (cursor === parentId) throw notFound(`no partner with id ${parentId} in this tenant to be the parent`, 'input.parentId', 'partner_not_found');
      break;
    }
    cursor = p.parentId;
  }
}

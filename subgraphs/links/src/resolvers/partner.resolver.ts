import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Brackets, EntityManager } from 'typeorm';
import {
  assertPartnerVisible,
  badInput,
  conflict,
  ConnectionType,
  forbidden,
  newId,
  notFound,
  PageArgs,
  paginateQuery,
  requireScope,
  toPage,
  validateFirst,
  Outbox,
  Emit,
} from '../../../shared/src';
import { validatePartnerFields } from '../domain/partner-input';
import { generateReferralCode, referralCodeKey } from '../domain/referral-code';
import { Partner } from '../entities/partner.entity';
import { LinksContext } from '../loaders';

export const PartnerConnection = ConnectionType('Partner', Partner);

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
  constructor(private readonly outbox: Outbox) {}

  @Query(() => Partner, { nullable: true })
  async partner(@Arg('id', () => ID) id: string, @Ctx() ctx: LinksContext): Promise<Partner> {
    requireScope(ctx, 'links:read');
    assertPartnerVisible(ctx, id);
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
    return this.outbox.transaction(async (m, emit) => {
      const repo = m.getRepository(Partner);
      if (input.parentId) {
        const parent = await repo.findOneBy({ tenantId, id: input.parentId });
        if (!parent) throw badInput(`no partner with id ${input.parentId} in this tenant to be the parent`, 'input.parentId', 'partner_not_found');
      }
      if (input.externalId) {
        const taken = await repo.findOneBy({ tenantId, externalId: input.externalId });
        if (taken) throw conflict(`externalId ${input.externalId} already belongs to partner ${taken.id}`, 'input.externalId', 'partner.external_id_taken');
      }
      const code = input.referralCode ?? (await freeCode(m, tenantId));
      if (input.referralCode && (await repo.findOneBy({ tenantId, referralCodeKey: referralCodeKey(code) }))) {
        throw conflict(`referral code ${code} is taken`, 'input.referralCode', 'referral.code_taken');
      }
      const now = new Date();
      const partner = repo.create({
        id: newId('prt'),
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
      publishPartner(emit, partner, true);
      return partner;
    });
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

async function freeCode(m: EntityManager, tenantId: string): Promise<string> {
  for (let i = 0; i < 10; i++) {
    const code = generateReferralCode();
    if (!(await m.getRepository(Partner).findOneBy({ tenantId, referralCodeKey: code }))) return code;
  }
  throw new Error('could not find a free referral code after 10 attempts');
}

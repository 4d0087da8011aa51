import Decimal from 'decimal.js';
import { GraphQLError } from 'graphql';
import { Arg, Args, ArgsType, Ctx, Field, FieldResolver, InputType, Int, Mutation, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { Partner } from '../external/partner';
import {
  badInput,
  conflict,
  isCurrency,
  minorDigits,
  minorUnitProblem,
  ConnectionType,
  DecimalScalar,
  Emit,
  forbidden,
  logger,
  newId,
  notFound,
  Outbox,
  paginateQuery,
  requireScope,
} from '../../../shared/src';
import { isValidKycCode, KYC_CODE_RULE, kycCodeKey } from '../domain/referral-code';
import { CodeNamespace } from '../external/links-code-namespace';
import { PartnerRef } from '../entities/kyc-application.entity';
import { Money, ReferralCode } from '../entities/referral-code.entity';
import { KycContext } from '../loaders';

export const ReferralCodeConnection = ConnectionType('ReferralCode', ReferralCode);

@InputType()
export class MoneyInput {
  @Field(() => DecimalScalar)
  amount: string;

  @Field({ description: 'ISO 4217' })
  currency: string;
}

@InputType()
export class CreateReferralCodeInput {
  @Field({ description: 'The partner user who owns the code (a partner externalId links it to the partner)' })
  userId: string;

  @Field({ description: '3-64 of [A-Za-z0-9_-]; unique per tenant ignoring case among KYC codes and partner codes (current and past)' })
  referralCode: string;

  @Field(() => String, { nullable: true, description: 'For grouping codes by campaign, tier or period' })
  category?: string | null;

  @Field(() => MoneyInput, { nullable: true, description: 'Paid to the owner when a KYC application with the code is approved' })
  bonus?: MoneyInput | null;
}

@InputType()
export class ReferralCodeFilter {
  @Field(() => String, { nullable: true })
  userId?: string | null;

  @Field(() => String, { nullable: true })
  category?: string | null;

  @Field(() => String, { nullable: true, description: 'Exact code, ignoring case' })
  code?: string | null;
}

@ArgsType()
export class ReferralCodePageArgs {
  @Field(() => Int, { nullable: true, defaultValue: 20, description: '1-100' })
  first?: number;

  @Field(() => String, { nullable: true })
  after?: string | null;
}

@ObjectType()
export class ReferralCodeValidation {
  @Field()
  isValid: boolean;

  @Field(() => String, { nullable: true })
  userId: string | null;

  @Field(() => Money, { nullable: true, description: 'The referral bonus, if the code has one' })
  amount: Money | null;
}

function codeFact(code: ReferralCode) {
  return { source: 'kyc', code: code.referralCode, ownerUserId: code.userId, partnerId: null, active: code.active, referralCodeId: code.id };
}

function publishCode(emit: Emit, code: ReferralCode): void {
  emit('referral_code.changed', code.tenantId, codeFact(code));
}

function validateCreate(input: CreateReferralCodeInput): void {
  if (input.userId.length < 1 || input.userId.length > 200) throw badInput('userId must be 1-200 characters', 'input.userId');
  if (!isValidKycCode(input.referralCode)) throw badInput(KYC_CODE_RULE, 'input.referralCode', 'referral_code_invalid');
  if (input.category !== undefined && input.category !== null && (input.category.length < 1 || input.category.length > 100)) {
    throw badInput('category must be 1-100 characters', 'input.category');
  }
  if (input.bonus) {
    const amount = new Decimal(input.bonus.amount);
    if (amount.isNegative() || amount.precision(true) > 15) throw badInput('bonus.amount must be a non-negative decimal with at most 15 significant digits', 'input.bonus.amount');
    if (!isCurrency(input.bonus.currency)) throw badInput('bonus.currency must be an ISO 4217 code such as USD', 'input.bonus.currency');
    const places = minorUnitProblem('bonus.amount', input.bonus.amount, input.bonus.currency);
    if (places) throw badInput(places, 'input.bonus.amount');
  }
}

/**
 * The code is taken in the tenant's one namespace (a KYC code, or a partner's code now or
 * before). `referral_code_taken` is kyc's name for links' `referral.code_taken`, kept so
 * existing clients keep working.
 */
function codeTaken(code: string): GraphQLError {
  return conflict(
    `referral code ${code} already exists: KYC referral codes and partner codes (current and past) share one namespace per tenant, ignoring case`,
    'input.referralCode',
    'referral_code_taken',
  );
}

/** Links keeps the namespace; without it no KYC code can be promised unique, so none is stored. */
function namespaceUnavailable(): GraphQLError {
  return new GraphQLError(
    'KYC referral codes cannot be created right now: the links service, which keeps the one namespace of partner and KYC codes, is unreachable. Nothing was stored; try again.',
    { extensions: { code: 'SERVICE_UNAVAILABLE', reason: 'links_unavailable' } },
  );
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string }; message?: string };
  return e?.code === '23505' || e?.driverError?.code === '23505' || /UNIQUE constraint failed/.test(e?.message ?? '');
}

@Resolver(() => ReferralCode)
export class ReferralCodeResolver {
  constructor(
    private readonly outbox: Outbox,
    private readonly namespace: CodeNamespace,
  ) {}

  /**
   * Reserve in links, then store: the one place a subgraph calls another from a resolver (see
   * README, KYC referral codes). A reservation whose code is not stored is given back.
   */
  @Mutation(() => ReferralCode)
  async createReferralCode(@Arg('input', () => CreateReferralCodeInput) input: CreateReferralCodeInput, @Ctx() ctx: KycContext): Promise<ReferralCode> {
    requireScope(ctx, 'kyc:write');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot create KYC referral codes', 'partner_scope');
    validateCreate(input);
    const tenantId = ctx.principal.tenantId;
    const codeKey = kycCodeKey(input.referralCode);
    if (await ctx.dataSource.getRepository(ReferralCode).findOneBy({ tenantId, codeKey })) throw codeTaken(input.referralCode);
    const id = newId('rc');
    await this.reserve(tenantId, input.referralCode, id);
    try {
      return await this.storeCode(tenantId, id, input);
    } catch (err) {
      await this.namespace.release(tenantId, input.referralCode, id).catch((releaseErr) =>
        logger('kyc.codes').warn({ err: (releaseErr as Error).message, tenantId, code: input.referralCode, kycCodeId: id }, 'could not give back the reservation of a KYC code that was not stored; a retry takes it over after 10 minutes'),
      );
      if (isUniqueViolation(err)) throw codeTaken(input.referralCode);
      throw err;
    }
  }

  private async reserve(tenantId: string, code: string, id: string): Promise<void> {
    let answer = await this.namespace.reserve(tenantId, code, id);
    // Another KYC code's reservation without a KYC code behind it (we have none with this
    // spelling): links hands it over if it is abandoned (older than 10 minutes).
    if (answer.outcome === 'taken' && answer.holder.kind === 'kyc') answer = await this.namespace.reserve(tenantId, code, id, answer.holder.id);
    if (answer.outcome === 'reserved') return;
    if (answer.outcome === 'taken') throw codeTaken(code);
    logger('kyc.codes').error({ why: answer.why, tenantId, code }, 'links could not reserve a KYC referral code; the code was refused as unavailable');
    // Links may have stored the reservation before the answer was lost: give it back.
    await this.namespace.release(tenantId, code, id).catch(() => undefined);
    throw namespaceUnavailable();
  }

  private storeCode(tenantId: string, id: string, input: CreateReferralCodeInput): Promise<ReferralCode> {
    return this.outbox.transaction(async (m, emit) => {
      const repo = m.getRepository(ReferralCode);
      if (await repo.findOneBy({ tenantId, codeKey: kycCodeKey(input.referralCode) })) throw codeTaken(input.referralCode);
      const now = new Date();
      const code = repo.create({
        id,
        tenantId,
        referralCode: input.referralCode,
        codeKey: kycCodeKey(input.referralCode),
        userId: input.userId,
        category: input.category ?? null,
        usedCount: 0,
        bonusAmount: input.bonus ? new Decimal(input.bonus.amount).toFixed(minorDigits(input.bonus.currency)) : null,
        bonusCurrency: input.bonus?.currency ?? null,
        active: true,
        createdAt: now,
        reservedAt: now,
      });
      await repo.insert(code);
      publishCode(emit, code);
      return code;
    });
  }

  @Mutation(() => ReferralCode, { description: 'A deactivated code no longer validates or attributes' })
  async deactivateReferralCode(@Arg('code') codeText: string, @Ctx() ctx: KycContext): Promise<ReferralCode> {
    requireScope(ctx, 'kyc:write');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot deactivate KYC referral codes', 'partner_scope');
    return this.outbox.transaction(async (m, emit) => {
      const repo = m.getRepository(ReferralCode);
      const code = await repo.findOneBy({ tenantId: ctx.principal.tenantId, codeKey: kycCodeKey(codeText) });
      if (!code) throw notFound(`no referral code ${codeText}`, 'code', 'referral_code_not_found');
      if (code.active) {
        code.active = false;
        await repo.update({ id: code.id }, { active: false });
        publishCode(emit, code);
      }
      return code;
    });
  }

  @Query(() => ReferralCode, { nullable: true })
  async referralCode(@Arg('code') codeText: string, @Ctx() ctx: KycContext): Promise<ReferralCode> {
    requireScope(ctx, 'kyc:read');
    const code = await ctx.dataSource.getRepository(ReferralCode).findOneBy({ tenantId: ctx.principal.tenantId, codeKey: kycCodeKey(codeText) });
    if (!code || !(await ownsCode(ctx, code))) throw notFound(`no referral code ${codeText}`, 'code', 'referral_code_not_found');
    return code;
  }

  @Query(() => ReferralCodeConnection, { description: 'Newest first; first defaults to 20' })
  async referralCodes(
    @Arg('filter', () => ReferralCodeFilter, { nullable: true }) filter: ReferralCodeFilter | null,
    @Args() page: ReferralCodePageArgs,
    @Ctx() ctx: KycContext,
  ) {
    requireScope(ctx, 'kyc:read');
    // A partner credential sees the codes it owns: those whose userId is its externalId.
    const ownerUserId = ctx.principal.partnerId ? await partnerUserId(ctx) : undefined;
    if (ownerUserId === null) return paginateQuery(() => ctx.dataSource.getRepository(ReferralCode).createQueryBuilder('c').where('1 = 0'), page, 20);
    const build = () => {
      const qb = ctx.dataSource.getRepository(ReferralCode).createQueryBuilder('c').where('c.tenant_id = :tenantId', { tenantId: ctx.principal.tenantId });
      if (ownerUserId) qb.andWhere('c.user_id = :owner', { owner: ownerUserId });
      if (filter?.userId) qb.andWhere('c.user_id = :userId', { userId: filter.userId });
      if (filter?.category) qb.andWhere('c.category = :category', { category: filter.category });
      if (filter?.code) qb.andWhere('c.code_key = :codeKey', { codeKey: kycCodeKey(filter.code) });
      return qb;
    };
    return paginateQuery(build, page, 20);
  }

  @FieldResolver(() => Partner, { nullable: true, description: 'The partner whose externalId is the userId, if any' })
  async partner(@Root() code: ReferralCode, @Ctx() ctx: KycContext): Promise<Partner | null> {
    const id = await ctx.loaders.partnerByExternalId.load(code.userId);
    return id ? { id } : null;
  }

  /**
   * A partner checks codes at signup, its own and others' alike, so any code answers valid or
   * not; the owner and bonus are the owner's business: shown for the partner's own codes only,
   * as referralCode(code) shows those only.
   */
  @Query(() => ReferralCodeValidation, {
    description:
      "An unknown or deactivated code is { isValid: false, userId: null, amount: null }, not an error. A partner credential may validate any of the tenant's codes, but userId and amount are null unless the code is its own (userId its externalId)",
  })
  async validateReferralCode(@Arg('code') codeText: string, @Ctx() ctx: KycContext): Promise<ReferralCodeValidation> {
    requireScope(ctx, 'kyc:read');
    if (codeText.length > 64) throw badInput(KYC_CODE_RULE, 'code', 'referral_code_invalid');
    const code = isValidKycCode(codeText)
      ? await ctx.dataSource.getRepository(ReferralCode).findOneBy({ tenantId: ctx.principal.tenantId, codeKey: kycCodeKey(codeText), active: true })
      : null;
    if (!code) return { isValid: false, userId: null, amount: null };
    if (!(await ownsCode(ctx, code))) return { isValid: true, userId: null, amount: null };
    return { isValid: true, userId: code.userId, amount: code.bonus() };
  }
}

/** The externalId of the calling partner (from the partner read model); null when it has none. */
async function partnerUserId(ctx: KycContext): Promise<string | null> {
  const ref = await ctx.dataSource.getRepository(PartnerRef).findOneBy({ tenantId: ctx.principal.tenantId, partnerId: ctx.principal.partnerId! });
  return ref?.externalId ?? null;
}

/** A tenant credential owns every code; a partner credential the codes of its externalId. */
async function ownsCode(ctx: KycContext, code: ReferralCode): Promise<boolean> {
  if (!ctx.principal.partnerId) return true;
  return (await partnerUserId(ctx)) === code.userId;
}

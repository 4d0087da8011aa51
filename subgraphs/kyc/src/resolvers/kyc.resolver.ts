import { Arg, Args, Ctx, Field, FieldResolver, ID, InputType, Mutation, Query, Resolver, Root } from 'type-graphql';
import { badInput, codeMessage, conflict, ConnectionType, COUNTRY_RULE, isCountryCode, forbidden, newId, notFound, Outbox, PageArgs, paginateQuery, requireScope } from '../../../shared/src';
import { isValidKycCode, KYC_CODE_RULE, kycCodeKey } from '../domain/referral-code';
import { KycApplication, KycStatus } from '../entities/kyc-application.entity';
import { ReferralCode } from '../entities/referral-code.entity';
import { KycContext } from '../loaders';

export const KycApplicationConnection = ConnectionType('KycApplication', KycApplication);

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]{2,}$/;

@InputType({ description: 'POST /v1/kyc/start' })
export class StartKycInput {
  @Field({ description: 'The new user being verified' })
  userId: string;

  @Field(() => String, { nullable: true })
  firstName?: string | null;

  @Field(() => String, { nullable: true })
  lastName?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2' })
  country?: string | null;

  @Field(() => String, { nullable: true, description: 'An active referral code; approval tracks the referral and pays its bonus' })
  referralCode?: string | null;
}

@InputType()
export class KycFilter {
  @Field(() => KycStatus, { nullable: true })
  status?: KycStatus | null;

  @Field(() => String, { nullable: true })
  userId?: string | null;

  @Field(() => String, { nullable: true, description: 'Applications that used this code' })
  referralCode?: string | null;
}

function validateStart(input: StartKycInput): void {
  if (!input.userId.trim() || input.userId.length > 200) throw badInput('userId must be 1-200 characters', 'input.userId');
  for (const f of ['firstName', 'lastName'] as const) {
    if ((input[f]?.length ?? 0) > 200) throw badInput(`${f} must be at most 200 characters`, `input.${f}`);
  }
  if (input.email != null && (input.email.length > 254 || !EMAIL_RE.test(input.email))) throw badInput('email must be an email address such as jane@example.com', 'input.email');
  if (input.country != null && !isCountryCode(input.country)) throw badInput(codeMessage('country', COUNTRY_RULE, input.country), 'input.country');
  if (input.referralCode != null && !isValidKycCode(input.referralCode)) throw badInput(KYC_CODE_RULE, 'input.referralCode', 'referral_code_invalid');
}

@Resolver(() => KycApplication)
export class KycApplicationResolver {
  constructor(private readonly outbox: Outbox) {}

  private guard(ctx: KycContext, scope: 'kyc:read' | 'kyc:write'): void {
    requireScope(ctx, scope);
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot read or change KYC applications', 'partner_scope');
  }

  @Mutation(() => KycApplication, { description: 'Starts a KYC verification; an unknown or inactive referral code is refused' })
  async startKyc(@Arg('input', () => StartKycInput) input: StartKycInput, @Ctx() ctx: KycContext): Promise<KycApplication> {
    this.guard(ctx, 'kyc:write');
    validateStart(input);
    const tenantId = ctx.principal.tenantId;
    return this.outbox.transaction(async (m, emit) => {
      let codeId: string | null = null;
      if (input.referralCode) {
        const code = await m.getRepository(ReferralCode).findOneBy({ tenantId, codeKey: kycCodeKey(input.referralCode), active: true });
        if (!code) throw notFound(`referral code ${input.referralCode} is unknown or deactivated`, 'input.referralCode', 'referral_code_not_found');
        codeId = code.id;
      }
      const application = m.getRepository(KycApplication).create({
        id: newId('kyc'),
        tenantId,
        userId: input.userId.trim(),
        firstName: input.firstName ?? null,
        lastName: input.lastName ?? null,
        email: input.email ?? null,
        country: input.country ?? null,
        referralCodeId: codeId,
        status: KycStatus.PENDING,
        rejectionReason: null,
        submittedAt: new Date(),
        decidedAt: null,
      });
      await m.getRepository(KycApplication).insert(application);
      emit('kyc.started', tenantId, { application: { id: application.id, userId: application.userId, referralCodeId: codeId } });
      return application;
    });
  }

  @Mutation(() => KycApplication, {
    description: 'APPROVED: the code gains a use, a KYC_COMPLETED event is attributed to its owner and its bonus paid; REJECTED needs a reason. Deciding twice is CONFLICT.',
  })
  async decideKyc(
    @Arg('id', () => ID) id: string,
    @Arg('decision', () => KycStatus) decision: KycStatus,
    @Arg('reason', () => String, { nullable: true }) reason: string | null,
    @Ctx() ctx: KycContext,
  ): Promise<KycApplication> {
    this.guard(ctx, 'kyc:write');
    if (decision === KycStatus.PENDING) throw badInput('decision must be APPROVED or REJECTED', 'decision');
    if (decision === KycStatus.REJECTED && !reason?.trim()) throw badInput('a rejection needs a reason', 'reason');
    if ((reason?.length ?? 0) > 500) throw badInput('reason must be at most 500 characters', 'reason');
    const tenantId = ctx.principal.tenantId;
    return this.outbox.transaction(async (m, emit) => {
      const repo = m.getRepository(KycApplication);
      const app = await repo.findOneBy({ tenantId, id });
      if (!app) throw notFound(`no KYC application with id ${id}`, 'id', 'kyc_application_not_found');
      if (app.status !== KycStatus.PENDING) throw conflict(`the application was already ${app.status.toLowerCase()}`, 'id', 'kyc.already_decided');
      const now = new Date();
      // Guarded on PENDING so two concurrent decisions cannot both win.
      const result = await repo.update({ id, status: KycStatus.PENDING }, { status: decision, rejectionReason: decision === KycStatus.REJECTED ? reason : null, decidedAt: now });
      if (!result.affected) throw conflict('the application was decided concurrently', 'id', 'kyc.already_decided');
      Object.assign(app, { status: decision, rejectionReason: decision === KycStatus.REJECTED ? reason : null, decidedAt: now });
      if (decision === KycStatus.APPROVED) {
        const code = app.referralCodeId ? await m.getRepository(ReferralCode).findOneBy({ tenantId, id: app.referralCodeId }) : null;
        if (code) await m.getRepository(ReferralCode).increment({ id: code.id }, 'usedCount', 1);
        emit('kyc.approved', tenantId, {
          application: { id: app.id, userId: app.userId, email: app.email, name: [app.firstName, app.lastName].filter(Boolean).join(' ') || null, country: app.country, decidedAt: now.toISOString() },
          referralCode: code && { id: code.id, code: code.referralCode, ownerUserId: code.userId, bonus: code.bonus() },
        });
      } else {
        emit('kyc.rejected', tenantId, { application: { id: app.id, userId: app.userId, reason } });
      }
      return app;
    });
  }

  @Query(() => KycApplication, { nullable: true })
  async kycApplication(@Arg('id', () => ID) id: string, @Ctx() ctx: KycContext): Promise<KycApplication> {
    this.guard(ctx, 'kyc:read');
    const app = await ctx.loaders.application.load(id);
    if (!app) throw notFound(`no KYC application with id ${id}`, 'id', 'kyc_application_not_found');
    return app;
  }

  @Query(() => KycApplicationConnection, { description: 'Newest first' })
  async kycApplications(@Arg('filter', () => KycFilter, { nullable: true }) filter: KycFilter | null, @Args() page: PageArgs, @Ctx() ctx: KycContext) {
    this.guard(ctx, 'kyc:read');
    const tenantId = ctx.principal.tenantId;
    const code = filter?.referralCode ? await ctx.dataSource.getRepository(ReferralCode).findOneBy({ tenantId, codeKey: kycCodeKey(filter.referralCode) }) : null;
    return paginateQuery(() => {
      const qb = ctx.dataSource.getRepository(KycApplication).createQueryBuilder('k').where('k.tenant_id = :tenantId', { tenantId });
      if (filter?.status) qb.andWhere('k.status = :status', { status: filter.status });
      if (filter?.userId) qb.andWhere('k.user_id = :userId', { userId: filter.userId });
      if (filter?.referralCode) qb.andWhere('k.referral_code_id = :codeId', { codeId: code?.id ?? '-' });
      return qb;
    }, page);
  }

  @FieldResolver(() => ReferralCode, { nullable: true })
  referralCode(@Root() app: KycApplication, @Ctx() ctx: KycContext): Promise<ReferralCode | null> | null {
    return app.referralCodeId ? ctx.loaders.referralCode.load(app.referralCodeId) : null;
  }
}

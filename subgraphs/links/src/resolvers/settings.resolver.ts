import { Arg, Ctx, Field, InputType, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { badInput, forbidden, newId, requireScope, sealSecret } from '../../../shared/src';
import { validateCountries, validateDomain, validatePath } from '../domain/link-url';
import { generateTokenSecret } from '../domain/partner-token';
import { LinkKey, LinkSettings, RegionalDomain } from '../entities/link-settings.entity';
import { LinksContext } from '../loaders';
import { LinksDeps } from '../services/deps';
import { loadSettings, settingsFact } from '../services/link-settings';

@InputType()
export class LinkSettingsInput {
  @Field(() => String, { nullable: true, description: 'Origin links point to, e.g. https://www.broker.example' })
  primaryDomain?: string | null;

  @Field(() => [RegionalDomain], { nullable: true, description: 'Replaces the list; [] removes every regional domain' })
  regionalDomains?: RegionalDomain[] | null;

  @Field(() => String, { nullable: true })
  referralPath?: string | null;

  @Field(() => String, { nullable: true, description: '1-64 characters of A-Z a-z 0-9 _ -' })
  clickCookieName?: string | null;

  @Field(() => Int, { nullable: true, description: '1-730' })
  clickCookieDays?: number | null;

  @Field(() => String, { nullable: true, description: '1-64 characters of A-Z a-z 0-9 _ -' })
  clickParamName?: string | null;

  @Field(() => Int, { nullable: true, description: '1-720 hours' })
  attributionWindowHours?: number | null;

  @Field(() => Boolean, { nullable: true, description: 'Let partner credentials call recordClick (default false)' })
  partnersRecordClicks?: boolean | null;
}

@ObjectType({ description: 'A new key for Formx= partner tokens. The secret is shown this once.' })
export class LinkEncryptionKeyPayload {
  @Field()
  keyId: string;

  @Field({ description: 'base64url of the 32-byte AES-256-GCM key: store it in your backend to decrypt Formx tokens' })
  secret: string;

  @Field(() => LinkSettings)
  settings: LinkSettings;
}

const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

function intIn(value: number, min: number, max: number, param: string): number {
  if (!Number.isInteger(value) || value < min || value > max) throw badInput(`${param.split('.').pop()} must be an integer from ${min} to ${max}`, param);
  return value;
}

@Resolver(() => LinkSettings)
export class LinkSettingsResolver {
  constructor(private readonly deps: LinksDeps) {}

  @Query(() => LinkSettings, { description: "The tenant's link settings (defaults until changed)" })
  linkSettings(@Ctx() ctx: LinksContext): Promise<LinkSettings> {
    requireScope(ctx, 'links:read');
    return ctx.loaders.settings.load(ctx.principal.tenantId);
  }

  @Mutation(() => LinkSettings, { description: 'Changes the given settings; omitted ones stay as they are' })
  async updateLinkSettings(@Arg('input', () => LinkSettingsInput) input: LinkSettingsInput, @Ctx() ctx: LinksContext): Promise<LinkSettings> {
    requireScope(ctx, 'links:write');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot change link settings', 'partner_scope');
    const patch: Partial<LinkSettings> = {};
    if (input.primaryDomain != null) patch.primaryDomain = validateDomain(input.primaryDomain, 'input.primaryDomain');
    if (input.regionalDomains != null) {
      if (input.regionalDomains.length > 50) throw badInput('at most 50 regional domains', 'input.regionalDomains');
      patch.regionalDomains = input.regionalDomains.map((r, i) => ({
        domain: validateDomain(r.domain, `input.regionalDomains.${i}.domain`),
        countries: validateCountries(r.countries, `input.regionalDomains.${i}.countries`),
      }));
    }
    if (input.referralPath != null) patch.referralPath = validatePath(input.referralPath, 'input.referralPath');
    for (const name of ['clickCookieName', 'clickParamName'] as const) {
      const v = input[name];
      if (v != null) {
        if (!NAME_RE.test(v)) throw badInput(`${name} must be 1-64 characters of A-Z a-z 0-9 _ -`, `input.${name}`);
        patch[name] = v;
      }
    }
    if (input.clickCookieDays != null) patch.clickCookieDays = intIn(input.clickCookieDays, 1, 730, 'input.clickCookieDays');
    if (input.attributionWindowHours != null) patch.attributionWindowHours = intIn(input.attributionWindowHours, 1, 720, 'input.attributionWindowHours');
    if (input.partnersRecordClicks != null) patch.partnersRecordClicks = input.partnersRecordClicks;
    return this.save(ctx, patch);
  }

  @Mutation(() => LinkEncryptionKeyPayload, {
    description: 'Creates a new key for Formx= partner tokens and makes it current. Links made before keep their tokens; keep old secrets to decrypt them.',
  })
  async rotateLinkEncryptionKey(@Ctx() ctx: LinksContext): Promise<LinkEncryptionKeyPayload> {
    requireScope(ctx, 'links:write');
    if (ctx.principal.partnerId) throw forbidden('a partner credential cannot manage encryption keys', 'partner_scope');
    const secret = generateTokenSecret();
    const key = { id: newId('lek'), tenantId: ctx.principal.tenantId, secretEnc: sealSecret(secret, this.deps.config.secretsKey), createdAt: new Date() };
    const settings = await this.save(ctx, { encryptionKeyId: key.id }, async (m) => {
      await m.getRepository(LinkKey).insert(key);
    });
    return { keyId: key.id, secret: secret.toString('base64url'), settings };
  }

  private save(ctx: LinksContext, patch: Partial<LinkSettings>, also?: (m: import('typeorm').EntityManager) => Promise<void>): Promise<LinkSettings> {
    const tenantId = ctx.principal.tenantId;
    return this.deps.outbox.transaction(async (m, emit) => {
      const current = await loadSettings(m, tenantId, this.deps.config.defaultLinkDomain);
      const next = Object.assign(current, patch, { updatedAt: new Date() });
      await also?.(m);
      await m.getRepository(LinkSettings).save(next);
      emit('link_settings.changed', tenantId, settingsFact(next));
      return next;
    });
  }
}

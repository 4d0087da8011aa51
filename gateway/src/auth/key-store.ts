import { createHash, randomBytes } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { ALL_SCOPES, isScope, newId, Principal, Scope } from '../../../subgraphs/shared/src';
import { ApiKey } from '../db/api-key.entity';
import { OAuthClient } from '../db/oauth-client.entity';
import { Tenant } from '../db/tenant.entity';

export const KEY_PREFIX = 'rgk_';
/** Ids of API keys (`key_<ulid>`); any other credential id behind a token is an OAuth client's. */
export const API_KEY_ID_PREFIX = 'key_';

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** 32 random bytes: long enough that a plain SHA-256 is a safe way to store it. */
export function generateKey(): string {
  return KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function parseScopes(text: string): Scope[] {
  if (text.trim() === 'all' || text.trim() === '*') return [...ALL_SCOPES];
  const scopes = text.split(/[\s,]+/).filter(Boolean);
  const bad = scopes.filter((s) => !isScope(s));
  if (bad.length) throw new Error(`unknown scope(s) ${bad.join(', ')}; allowed: ${ALL_SCOPES.join(' ')} (or all)`);
  return scopes as Scope[];
}

/**
 * What a presented credential is: valid (its principal), `unknown` (no such key, client or
 * token: a guess, counted against the address that sent it), or `inactive` (it exists but
 * is revoked or expired: a customer's stale credential, not a guess).
 */
export type CredentialCheck = { status: 'valid'; principal: Principal } | { status: 'unknown' } | { status: 'inactive' };

export interface CreatedKey {
  key: string;
  record: ApiKey;
}

/** Tenants and API keys in the gateway's own database. */
export class KeyStore {
  private readonly cache = new Map<string, { check: CredentialCheck; until: number }>();
  private readonly active = new Map<string, { ok: boolean; until: number }>();

  constructor(
    private readonly ds: DataSource,
    /** How long a looked-up key is trusted before the database is asked again (revocation delay). */
    private readonly cacheMs = 30_000,
  ) {}

  async createTenant(name: string, id = newId('ten')): Promise<Tenant> {
    if (!name.trim() || name.length > 200) throw new Error('tenant name must be 1-200 characters');
    const tenant = this.ds.getRepository(Tenant).create({ id, name: name.trim(), createdAt: new Date() });
    await this.ds.getRepository(Tenant).insert(tenant);
    return tenant;
  }

  findTenant(id: string): Promise<Tenant | null> {
    return this.ds.getRepository(Tenant).findOneBy({ id });
  }

  listTenants(): Promise<Tenant[]> {
    return this.ds.getRepository(Tenant).find({ order: { createdAt: 'ASC' } });
  }

  /** Stores the key's hash; `key` (or a fresh one) is returned to be shown once. */
  async createKey(opts: { tenantId: string; name: string; scopes: Scope[]; partnerId?: string | null; expiresAt?: Date | null; key?: string }): Promise<CreatedKey> {
    if (!(await this.findTenant(opts.tenantId))) throw new Error(`no tenant ${opts.tenantId}`);
    if (!opts.scopes.length) throw new Error('a key needs at least one scope');
    const key = opts.key ?? generateKey();
    if (key.length < 24) throw new Error('an API key must be at least 24 characters');
    const record = this.ds.getRepository(ApiKey).create({
      id: newId('key'),
      tenantId: opts.tenantId,
      name: opts.name,
      keyHash: hashKey(key),
      keyPrefix: key.slice(0, 10),
      scopes: opts.scopes.join(' '),
      partnerId: opts.partnerId ?? null,
      createdAt: new Date(),
      expiresAt: opts.expiresAt ?? null,
      revokedAt: null,
    });
    await this.ds.getRepository(ApiKey).insert(record);
    return { key, record };
  }

  listKeys(tenantId: string): Promise<ApiKey[]> {
    return this.ds.getRepository(ApiKey).find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  async findKeyByValue(key: string): Promise<ApiKey | null> {
    return this.ds.getRepository(ApiKey).findOneBy({ keyHash: hashKey(key) });
  }

  async revokeKey(id: string): Promise<boolean> {
    const result = await this.ds.getRepository(ApiKey).update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    this.forget();
    return (result.affected ?? 0) > 0;
  }

  /** Drops cached lookups (after a revocation in this process). */
  forget(): void {
    this.cache.clear();
    this.active.clear();
  }

  /**
   * Whether the credential behind a token (an API key or an OAuth client) still stands:
   * tokens die with it. Cached like key lookups.
   */
  async credentialActive(credentialId: string, tenantId: string): Promise<boolean> {
    const now = Date.now();
    const hit = this.active.get(credentialId);
    if (hit && hit.until > now) return hit.ok;
    let ok = false;
    if (credentialId.startsWith(API_KEY_ID_PREFIX)) {
      const k = await this.ds.getRepository(ApiKey).findOneBy({ id: credentialId });
      ok = !!k && k.tenantId === tenantId && !k.revokedAt && (!k.expiresAt || k.expiresAt.getTime() > now);
    } else {
      // Clients have generated ids (cli_...) or ones their tenant chose (my_client).
      const c = await this.ds.getRepository(OAuthClient).findOneBy({ id: credentialId });
      ok = !!c && c.tenantId === tenantId && !c.revokedAt;
    }
    if (this.active.size > 10_000) this.active.clear();
    this.active.set(credentialId, { ok, until: now + this.cacheMs });
    return ok;
  }

  /** The principal of a presented key, or null when it is unknown, revoked or expired. */
  async authenticate(key: string): Promise<Principal | null> {
    const check = await this.check(key);
    return check.status === 'valid' ? check.principal : null;
  }

  /** Whether a presented key is valid, unknown, or revoked or expired. */
  async check(key: string): Promise<CredentialCheck> {
    const hash = hashKey(key);
    const now = Date.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) return cached.check;
    const record = await this.ds.getRepository(ApiKey).findOneBy({ keyHash: hash });
    const valid = record && !record.revokedAt && (!record.expiresAt || record.expiresAt.getTime() > now);
    const check: CredentialCheck = valid
      ? {
          status: 'valid',
          principal: { tenantId: record.tenantId, scopes: record.scopes.split(' ').filter(isScope), ...(record.partnerId ? { partnerId: record.partnerId } : {}), credentialId: record.id },
        }
      : { status: record ? 'inactive' : 'unknown' };
    let until = now + this.cacheMs;
    if (record?.expiresAt) until = Math.min(until, record.expiresAt.getTime());
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { check, until });
    return check;
  }
}

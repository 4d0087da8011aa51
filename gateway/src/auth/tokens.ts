import { randomBytes, timingSafeEqual } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { DataSource, IsNull } from 'typeorm';
import { isScope, newId, Principal, Scope } from '../../../subgraphs/shared/src';
import { OAuthClient } from '../db/oauth-client.entity';
import { hashKey, KeyStore } from './key-store';

const ISSUER = 'referral-gateway/oauth';
const AUDIENCE = 'referral-gateway';

export interface IssuedToken {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  partner_id?: string;
}

/**
 * OAuth 2.0 client credentials (Track360) and partner tokens. Access tokens are JWTs
 * (HS256, TOKEN_SECRET) naming the tenant, scopes, optional partner and the credential
 * that stands behind them; that credential is checked on every use, so revoking a client
 * (or the key that minted a partner token) stops its tokens too.
 */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    private readonly ds: DataSource,
    private readonly keys: KeyStore,
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async createClient(opts: { tenantId: string; name: string; scopes: Scope[]; clientId?: string; clientSecret?: string }) {
    if (!(await this.keys.findTenant(opts.tenantId))) throw new Error(`no tenant ${opts.tenantId}`);
    const secret = opts.clientSecret ?? `cs_${randomBytes(32).toString('base64url')}`;
    if (secret.length < 24) throw new Error('a client secret must be at least 24 characters');
    const client = this.ds.getRepository(OAuthClient).create({
      id: opts.clientId ?? newId('cli'),
      tenantId: opts.tenantId,
      name: opts.name,
      secretHash: hashKey(secret),
      scopes: opts.scopes.join(' '),
      createdAt: new Date(),
      revokedAt: null,
    });
    await this.ds.getRepository(OAuthClient).insert(client);
    return { client, secret };
  }

  findClient(id: string): Promise<OAuthClient | null> {
    return this.ds.getRepository(OAuthClient).findOneBy({ id });
  }

  listClients(tenantId: string): Promise<OAuthClient[]> {
    return this.ds.getRepository(OAuthClient).find({ where: { tenantId }, order: { createdAt: 'ASC' } });
  }

  async revokeClient(id: string): Promise<boolean> {
    const res = await this.ds.getRepository(OAuthClient).update({ id, revokedAt: IsNull() }, { revokedAt: new Date() });
    this.keys.forget();
    return (res.affected ?? 0) > 0;
  }

  /** The client, when id and secret match and it is not revoked; null otherwise. */
  async verifyClient(id: string, secret: string): Promise<OAuthClient | null> {
    const client = await this.findClient(id);
    if (!client || client.revokedAt) return null;
    const a = Buffer.from(client.secretHash, 'hex');
    const b = Buffer.from(hashKey(secret), 'hex');
    return a.length === b.length && timingSafeEqual(a, b) ? client : null;
  }

  async issue(principal: Principal, ttlSeconds = this.ttlSeconds): Promise<IssuedToken> {
    const claims: Record<string, unknown> = { tid: principal.tenantId, scp: principal.scopes, cid: principal.credentialId };
    if (principal.partnerId) claims.pid = principal.partnerId;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setJti(newId('tok'))
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(this.key);
    return { access_token: token, token_type: 'Bearer', expires_in: ttlSeconds, scope: principal.scopes.join(' '), ...(principal.partnerId ? { partner_id: principal.partnerId } : {}) };
  }

  /** The principal of an access token, or null when it is malformed, altered, expired or its credential was revoked. */
  async authenticate(token: string): Promise<Principal | null> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] }));
    } catch {
      return null;
    }
    if (typeof payload.tid !== 'string' || typeof payload.cid !== 'string' || !Array.isArray(payload.scp)) return null;
    if (!(await this.keys.credentialActive(payload.cid, payload.tid))) return null;
    const principal: Principal = { tenantId: payload.tid, scopes: (payload.scp as string[]).filter(isScope), credentialId: payload.cid };
    if (typeof payload.pid === 'string') principal.partnerId = payload.pid;
    return principal;
  }
}

export const looksLikeJwt = (credential: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(credential);

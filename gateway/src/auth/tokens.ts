import { randomBytes, timingSafeEqual } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { DataSource, IsNull } from 'typeorm';
import { isScope, newId, Principal, Scope } from '../../../subgraphs/shared/src';
import { OAuthClient } from '../db/oauth-client.entity';
import { API_KEY_ID_PREFIX, CredentialCheck, hashKey, KeyStore } from './key-store';

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

  /**
   * A client id and secret of the tenant's choosing (a Track360 integration keeps its
   * credentials), or generated ones. Only the secret's SHA-256 is stored.
   */
  async createClient(opts: { tenantId: string; name: string; scopes: Scope[]; clientId?: string; clientSecret?: string }) {
    const idProblem = opts.clientId === undefined ? null : clientIdProblem(opts.clientId);
    if (idProblem) throw new Error(idProblem);
    const secretProblem = opts.clientSecret === undefined ? null : clientSecretProblem(opts.clientSecret);
    if (secretProblem) throw new Error(secretProblem);
    if (!(await this.keys.findTenant(opts.tenantId))) throw new Error(`no tenant ${opts.tenantId}`);
    if (opts.clientId !== undefined && (await this.findClient(opts.clientId))) throw new Error(`client_id ${opts.clientId} is already taken; choose another`);
    const secret = opts.clientSecret ?? `cs_${randomBytes(32).toString('base64url')}`;
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
    return client && this.secretMatches(client, secret) ? client : null;
  }

  /** Whether `secret` is the client's and the client stands (not revoked). */
  secretMatches(client: OAuthClient, secret: string): boolean {
    if (client.revokedAt) return false;
    const a = Buffer.from(client.secretHash, 'hex');
    const b = Buffer.from(hashKey(secret), 'hex');
    return a.length === b.length && timingSafeEqual(a, b);
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
    const check = await this.check(token);
    return check.status === 'valid' ? check.principal : null;
  }

  /**
   * Whether an access token is valid, `unknown` (malformed, or not signed by us: nobody
   * issued it) or `inactive` (ours, but expired or its credential revoked).
   */
  async check(token: string): Promise<CredentialCheck> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] }));
    } catch (err) {
      // jose checks the signature before the claims: an expired token is one we issued.
      return { status: (err as { code?: string }).code === 'ERR_JWT_EXPIRED' ? 'inactive' : 'unknown' };
    }
    if (typeof payload.tid !== 'string' || typeof payload.cid !== 'string' || !Array.isArray(payload.scp)) return { status: 'unknown' };
    if (!(await this.keys.credentialActive(payload.cid, payload.tid))) return { status: 'inactive' };
    const principal: Principal = { tenantId: payload.tid, scopes: (payload.scp as string[]).filter(isScope), credentialId: payload.cid };
    if (typeof payload.pid === 'string') principal.partnerId = payload.pid;
    return { status: 'valid', principal };
  }
}

export const CLIENT_ID_RULE = '3-100 characters of A-Z a-z 0-9 _ . -, not starting with key_';
export const CLIENT_SECRET_RULE = '24-256 printable ASCII characters without spaces';

/**
 * Why `id` cannot be a client_id, or null when it can. `key_` is reserved: a token names
 * the credential behind it by id, and ids starting with it are API keys.
 */
export function clientIdProblem(id: string): string | null {
  if (!/^[A-Za-z0-9_.-]{3,100}$/.test(id) || id.startsWith(API_KEY_ID_PREFIX)) return `client_id must be ${CLIENT_ID_RULE}; got ${JSON.stringify(id.length > 120 ? id.slice(0, 120) + '…' : id)}`;
  return null;
}

/** Why `secret` cannot be a client_secret, or null when it can (never echoes the secret). */
export function clientSecretProblem(secret: string): string | null {
  if (!/^[\x21-\x7e]{24,256}$/.test(secret)) return `client_secret must be ${CLIENT_SECRET_RULE}; got ${secret.length} characters${/^[\x21-\x7e]*$/.test(secret) ? '' : ' including spaces or other characters'}`;
  return null;
}

export const looksLikeJwt = (credential: string) => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(credential);

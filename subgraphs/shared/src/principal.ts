import { createHash, randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';

/**
 * The principal the gateway forwards to subgraphs: who is calling, for which tenant,
 * with which scopes. Signed (HS256) with a secret the gateway and subgraphs share;
 * subgraphs refuse requests without a valid one. Several keys may be valid at once so
 * the secret can be rotated without downtime.
 */
export const PRINCIPAL_HEADER = 'x-gateway-principal';

export const ALL_SCOPES = [
  'links:read',
  'links:write',
  'events:read',
  'events:write',
  'kyc:read',
  'kyc:write',
  'commissions:read',
  'commissions:write',
  'postbacks:manage',
] as const;
export type Scope = (typeof ALL_SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (ALL_SCOPES as readonly string[]).includes(value);
}

export interface Principal {
  tenantId: string;
  /** Set for a partner principal: it may only see this partner's data. */
  partnerId?: string;
  scopes: Scope[];
  /** The credential (API key id) that authenticated the caller, for audit logs. */
  credentialId?: string;
}

export interface SigningKey {
  kid: string;
  secret: Uint8Array;
}

export function signingKey(secret: string): SigningKey {
  return { kid: createHash('sha256').update(secret).digest('hex').slice(0, 12), secret: new TextEncoder().encode(secret) };
}

const ISSUER = 'referral-gateway';
const AUDIENCE = 'referral-subgraph';

/**
 * The gateway's tokens are single-use at the subgraphs (ReplayGuard): a captured header
 * is worthless. `reusable` leaves out the token id, for a tool that holds the secret and
 * sends one token for a whole run (the benchmarks' load against the subgraphs and other
 * gateways); the expiry still bounds it.
 */
export async function signPrincipal(principal: Principal, key: SigningKey, ttlSeconds = 60, opts: { reusable?: boolean } = {}): Promise<string> {
  const claims: Record<string, unknown> = { tid: principal.tenantId, scp: principal.scopes };
  if (principal.partnerId) claims.pid = principal.partnerId;
  if (principal.credentialId) claims.cid = principal.credentialId;
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid: key.kid });
  if (!opts.reusable) jwt.setJti(randomBytes(12).toString('base64url'));
  return jwt
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key.secret);
}

/** A verified principal with its token's id and expiry (for replay protection). */
export interface VerifiedPrincipal {
  principal: Principal;
  jti: string | null;
  expiresAt: number;
  /** When the token was signed (ms; 0 when it carries no iat). */
  issuedAt: number;
}

/** Returns the principal, or null when the token is missing, altered, expired or signed by an unknown key. */
export async function verifyPrincipal(token: string | undefined, keys: SigningKey[]): Promise<Principal | null> {
  return (await verifyPrincipalToken(token, keys))?.principal ?? null;
}

export async function verifyPrincipalToken(token: string | undefined, keys: SigningKey[]): Promise<VerifiedPrincipal | null> {
  if (!token) return null;
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = keys.find((k) => k.kid === header.kid);
        if (!key) throw new Error('unknown key');
        return key.secret;
      },
      { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] },
    );
    if (typeof payload.tid !== 'string' || !Array.isArray(payload.scp)) return null;
    const scopes = (payload.scp as unknown[]).filter((s): s is Scope => typeof s === 'string' && isScope(s));
    const principal: Principal = { tenantId: payload.tid, scopes };
    if (typeof payload.pid === 'string') principal.partnerId = payload.pid;
    if (typeof payload.cid === 'string') principal.credentialId = payload.cid;
    return { principal, jti: typeof payload.jti === 'string' ? payload.jti : null, expiresAt: (payload.exp ?? 0) * 1000, issuedAt: (payload.iat ?? 0) * 1000 };
  } catch {
    return null;
  }
}

/**
 * Verifies a principal token and records its id as used: null when the token is missing, altered, expired, signed
 * by an unknown key or was used before (on HTTP or on a WebSocket: one guard for both). Tokens without an id
 * (`reusable`) are not recorded; only a holder of the secret can make one, and it still expires.
 */
export async function acceptPrincipalToken(token: unknown, keys: SigningKey[], guard: ReplayGuard): Promise<VerifiedPrincipal | null> {
  const verified = await verifyPrincipalToken(typeof token === 'string' ? token : undefined, keys);
  if (!verified) return null;
  if (verified.jti && !(await guard.firstUse(verified.jti, verified.expiresAt, verified.issuedAt))) return null;
  return verified;
}

/**
 * Remembers the ids of principal tokens already used until they expire, so a replayed
 * header is refused. In memory for one process; Redis (SET NX) when replicas share it.
 */
export interface ReplayGuard {
  /** True the first time `jti` is seen; false for a replay. */
  firstUse(jti: string, expiresAt: number, issuedAt?: number): Promise<boolean>;
}

export class MemoryReplayGuard implements ReplayGuard {
  private readonly seen = new Map<string, number>();
  private lastSweep = 0;

  async firstUse(jti: string, expiresAt: number): Promise<boolean> {
    const now = Date.now();
    if (now - this.lastSweep > 10_000) {
      this.lastSweep = now;
      for (const [k, exp] of this.seen) if (exp < now) this.seen.delete(k);
    }
    if (this.seen.has(jti)) return false;
    this.seen.set(jti, expiresAt);
    return true;
  }
}

export class RedisReplayGuard implements ReplayGuard {
  constructor(
    private readonly redis: { set(key: string, value: string, px: 'PX', ms: number, nx: 'NX'): Promise<string | null> },
    private readonly prefix: string,
  ) {}

  async firstUse(jti: string, expiresAt: number): Promise<boolean> {
    const ttl = Math.max(1000, expiresAt - Date.now());
    return (await this.redis.set(`${this.prefix}jti:${jti}`, '1', 'PX', ttl, 'NX')) === 'OK';
  }
}

import { createHash } from 'node:crypto';
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

export async function signPrincipal(principal: Principal, key: SigningKey, ttlSeconds = 60): Promise<string> {
  const claims: Record<string, unknown> = { tid: principal.tenantId, scp: principal.scopes };
  if (principal.partnerId) claims.pid = principal.partnerId;
  if (principal.credentialId) claims.cid = principal.credentialId;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', kid: key.kid })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(key.secret);
}

/** Returns the principal, or null when the token is missing, altered, expired or signed by an unknown key. */
export async function verifyPrincipal(token: string | undefined, keys: SigningKey[]): Promise<Principal | null> {
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
    return principal;
  } catch {
    return null;
  }
}

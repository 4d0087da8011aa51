import { GraphQLError } from 'graphql';
import type { IncomingHttpHeaders } from 'node:http';
import { Principal } from '../../../subgraphs/shared/src';
import { CredentialCheck, KeyStore } from './key-store';
import { looksLikeJwt, TokenService } from './tokens';

/** The credential presented: `X-API-Key: <key>` or `Authorization: Bearer <key>`. */
export function presentedCredential(headers: IncomingHttpHeaders): string | null {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.trim()) return apiKey.trim();
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1].trim();
  }
  return null;
}

export function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', http: { status: 401, headers: new Map([['www-authenticate', 'Bearer realm="referral-gateway"']]) } } });
}

/** The caller's principal, or the 401 to answer and whether the credential was unknown (a guess). */
export type Identified = { principal: Principal } | { refusal: GraphQLError; unknown: boolean };

export async function identify(headers: IncomingHttpHeaders, keys: KeyStore, tokens: TokenService): Promise<Identified> {
  const credential = presentedCredential(headers);
  if (!credential) return { refusal: unauthenticated('missing credentials: send X-API-Key: <key> or Authorization: Bearer <key or access token>'), unknown: false };
  const check = await checkCredential(credential, keys, tokens);
  if (check.status === 'valid') return { principal: check.principal };
  return {
    refusal: unauthenticated(
      looksLikeJwt(credential) ? 'invalid access token: it is altered, expired, or its client was revoked' : 'invalid credentials: the API key is unknown, revoked or expired',
    ),
    unknown: check.status === 'unknown',
  };
}

export async function authenticate(headers: IncomingHttpHeaders, keys: KeyStore, tokens: TokenService): Promise<Principal> {
  const who = await identify(headers, keys, tokens);
  if ('refusal' in who) throw who.refusal;
  return who.principal;
}

/** An API key or an access token (OAuth client or partner token). */
export function checkCredential(credential: string, keys: KeyStore, tokens: TokenService): Promise<CredentialCheck> {
  return looksLikeJwt(credential) ? tokens.check(credential) : keys.check(credential);
}

import { GraphQLError } from 'graphql';
import type { IncomingHttpHeaders } from 'node:http';
import { Principal } from '../../../subgraphs/shared/src';
import { KeyStore } from './key-store';
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

export async function authenticate(headers: IncomingHttpHeaders, keys: KeyStore, tokens: TokenService): Promise<Principal> {
  const credential = presentedCredential(headers);
  if (!credential) throw unauthenticated('missing credentials: send X-API-Key: <key> or Authorization: Bearer <key or access token>');
  const principal = await authenticateCredential(credential, keys, tokens);
  if (!principal) {
    throw unauthenticated(
      looksLikeJwt(credential) ? 'invalid access token: it is altered, expired, or its client was revoked' : 'invalid credentials: the API key is unknown, revoked or expired',
    );
  }
  return principal;
}

/** An API key or an access token (OAuth client or partner token). */
export function authenticateCredential(credential: string, keys: KeyStore, tokens: TokenService): Promise<Principal | null> {
  return looksLikeJwt(credential) ? tokens.authenticate(credential) : keys.authenticate(credential);
}

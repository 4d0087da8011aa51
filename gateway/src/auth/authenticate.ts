import { GraphQLError } from 'graphql';
import type { IncomingHttpHeaders } from 'node:http';
import { Principal } from '../../../subgraphs/shared/src';
import { KeyStore } from './key-store';

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

export async function authenticate(headers: IncomingHttpHeaders, keys: KeyStore): Promise<Principal> {
  const credential = presentedCredential(headers);
  if (!credential) throw unauthenticated('missing credentials: send X-API-Key: <key> or Authorization: Bearer <key>');
  const principal = await keys.authenticate(credential);
  if (!principal) throw unauthenticated('invalid credentials: the API key is unknown, revoked or expired');
  return principal;
}

import express from 'express';
import { ALL_SCOPES, isScope, logger, Principal, PRINCIPAL_HEADER, Scope } from '../../../subgraphs/shared/src';
import { authenticate } from '../auth/authenticate';
import { KeyStore } from '../auth/key-store';
import { PrincipalSigner } from '../auth/principal-forwarding';
import { TokenService } from '../auth/tokens';

/** Scopes a partner token gets when the caller names none: reading its own data, editing its links and code. */
export const DEFAULT_PARTNER_SCOPES: Scope[] = ['links:read', 'links:write', 'events:read', 'kyc:read', 'commissions:read'];
export const MAX_PARTNER_TOKEN_SECONDS = 3600;

/** RFC 6749 2.3.1: Basic credentials are URL-encoded first; a malformed escape is taken literally. */
function formDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const BASIC_RULE = 'the Authorization header must be "Basic " and the base64 of client_id:client_secret (RFC 7617; each URL-encoded, RFC 6749 2.3.1)';
const CONTROL = /[\u0000-\u001f\u007f]/;

/** The "id:secret" of a Basic header; null when it is not base64 of UTF-8 text with a colon. */
function decodeBasic(encoded: string): string | null {
  const text = encoded.trim();
  if (!text || !/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64');
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  return decoded.includes(':') ? decoded : null;
}

function oauthError(res: express.Response, status: number, error: string, description: string) {
  if (status === 401) res.set('www-authenticate', 'Basic realm="referral-gateway"');
  res.status(status).set('cache-control', 'no-store').json({ error, error_description: description });
}

/**
 * POST /oauth/token: OAuth 2.0 client credentials (form body, or HTTP Basic client
 * authentication), as Track360 does it. POST /oauth/partner-token: a tenant credential
 * mints a short-lived token confined to one of its partners (partner portals, partner
 * subscriptions).
 */
export function oauthRoutes(opts: { keys: KeyStore; tokens: TokenService; signer: PrincipalSigner; linksUrl: string }) {
  const log = logger('gateway.oauth');
  const router = express.Router();
  router.post('/oauth/token', express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, string | undefined>;
    let clientId = body.client_id;
    let clientSecret = body.client_secret;
    let rawSecret: string | undefined;
    const basic = /^Basic(?:\s+(.*))?$/i.exec(req.header('authorization') ?? '');
    if (basic) {
      const decoded = decodeBasic(basic[1] ?? '');
      if (decoded === null) return oauthError(res, 400, 'invalid_request', BASIC_RULE);
      // RFC 7617: the user-id ends at the first colon; the password may hold more.
      const colon = decoded.indexOf(':');
      clientId = formDecode(decoded.slice(0, colon));
      rawSecret = decoded.slice(colon + 1);
      clientSecret = formDecode(rawSecret);
    }
    // No stored id or secret holds a control character; PostgreSQL cannot even look up a NUL.
    if ([clientId, clientSecret].some((v) => v !== undefined && CONTROL.test(v))) {
      return oauthError(res, 400, 'invalid_request', 'client_id and client_secret must not contain control characters (U+0000-U+001F, U+007F)');
    }
    if (!body.grant_type) return oauthError(res, 400, 'invalid_request', 'grant_type is required (client_credentials)');
    if (body.grant_type !== 'client_credentials') return oauthError(res, 400, 'unsupported_grant_type', 'only grant_type=client_credentials is supported');
    if (!clientId || !clientSecret) return oauthError(res, 401, 'invalid_client', 'client_id and client_secret are required');
    // Many clients put the secret in Basic without URL-encoding it: a secret holding % matches as sent, too.
    const client = (await opts.tokens.verifyClient(clientId, clientSecret)) ?? (rawSecret && rawSecret !== clientSecret ? await opts.tokens.verifyClient(clientId, rawSecret) : null);
    if (!client) return oauthError(res, 401, 'invalid_client', 'unknown client, wrong secret, or revoked');
    const allowed = client.scopes.split(' ').filter(isScope);
    let scopes = allowed;
    if (body.scope) {
      const asked = body.scope.split(/\s+/).filter(Boolean);
      const bad = asked.find((s) => !allowed.includes(s as Scope));
      if (bad) return oauthError(res, 400, 'invalid_scope', `the client may not ask for ${bad}; it may ask for: ${allowed.join(' ')}`);
      scopes = asked as Scope[];
    }
    const token = await opts.tokens.issue({ tenantId: client.tenantId, scopes, credentialId: client.id });
    res.set('cache-control', 'no-store').json(token);
  });

  router.post('/oauth/partner-token', express.json({ limit: '16kb' }), async (req, res) => {
    let caller: Principal;
    try {
      caller = await authenticate(req.headers, opts.keys, opts.tokens);
    } catch (err) {
      return res.status(401).json({ errors: [{ message: (err as Error).message, extensions: { code: 'UNAUTHENTICATED' } }] });
    }
    const fail = (status: number, code: string, message: string, param?: string) => res.status(status).json({ errors: [{ message, extensions: { code, ...(param ? { param } : {}) } }] });
    if (caller.partnerId) return fail(403, 'FORBIDDEN', 'a partner credential cannot mint partner tokens');
    const { partnerId, scopes: askedScopes, expiresIn } = (req.body ?? {}) as { partnerId?: unknown; scopes?: unknown; expiresIn?: unknown };
    if (typeof partnerId !== 'string' || !partnerId) return fail(400, 'BAD_USER_INPUT', 'partnerId is required', 'partnerId');
    if (CONTROL.test(partnerId)) return fail(400, 'BAD_USER_INPUT', 'partnerId must not contain control characters (U+0000-U+001F, U+007F)', 'partnerId');
    const ttl = expiresIn === undefined ? 900 : Number(expiresIn);
    if (!Number.isInteger(ttl) || ttl < 60 || ttl > MAX_PARTNER_TOKEN_SECONDS) return fail(400, 'BAD_USER_INPUT', `expiresIn must be 60-${MAX_PARTNER_TOKEN_SECONDS} seconds`, 'expiresIn');
    const asked = askedScopes === undefined ? DEFAULT_PARTNER_SCOPES.filter((s) => caller.scopes.includes(s)) : askedScopes;
    if (!Array.isArray(asked) || !asked.length || !asked.every((s) => typeof s === 'string' && isScope(s))) {
      return fail(400, 'BAD_USER_INPUT', `scopes must be a non-empty list of: ${ALL_SCOPES.join(' ')}`, 'scopes');
    }
    const missing = (asked as Scope[]).find((s) => !caller.scopes.includes(s));
    if (missing) return fail(403, 'FORBIDDEN', `the caller lacks ${missing}, so it cannot grant it`, 'scopes');
    // The partner must exist in the caller's tenant: ask links, as the caller.
    const check = await fetch(opts.linksUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [PRINCIPAL_HEADER]: await opts.signer.token({ ...caller, scopes: ['links:read'] }) },
      body: JSON.stringify({ query: 'query($id: ID!) { partner(id: $id) { id } }', variables: { id: partnerId } }),
    }).then((r) => r.json() as Promise<{ data?: { partner?: { id: string } | null } }>).catch((err) => {
      log.warn({ err: (err as Error).message }, 'links unreachable while minting a partner token');
      return null;
    });
    if (!check) return fail(503, 'INTERNAL_SERVER_ERROR', 'the links service is unreachable; try again');
    if (!check.data?.partner) return fail(404, 'NOT_FOUND', `no partner with id ${partnerId}`, 'partnerId');
    const token = await opts.tokens.issue({ tenantId: caller.tenantId, partnerId, scopes: asked as Scope[], credentialId: caller.credentialId }, ttl);
    res.set('cache-control', 'no-store').json(token);
  });
  return router;
}

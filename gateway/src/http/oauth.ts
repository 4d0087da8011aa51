import express from 'express';
import { ALL_SCOPES, isScope, logger, Principal, PRINCIPAL_HEADER, Scope } from '../../../subgraphs/shared/src';
import { identify } from '../auth/authenticate';
import { KeyStore } from '../auth/key-store';
import { PrincipalSigner } from '../auth/principal-forwarding';
import { TokenService } from '../auth/tokens';
import { addressOf, AuthThrottle, FailureSubject } from '../limits/auth-throttle';
import { RateLimiter } from '../limits/rate-limiter';
import { credentialBudgets, RequestBudgets, rateLimitRefusal } from '../limits/request-cost';

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

/** RFC 6749 has no error for throttling: 429 with Retry-After and `too_many_requests`. */
function oauthThrottled(res: express.Response, retryAfter: number, description: string) {
  res.set('retry-after', String(retryAfter));
  oauthError(res, 429, 'too_many_requests', `${description}; retry after ${retryAfter} s`);
}

/** Partner-token answers use the GraphQL error shape. */
function graphqlError(res: express.Response, status: number, code: string, message: string, extensions: Record<string, unknown> = {}) {
  res.status(status).json({ errors: [{ message, extensions: { code, ...extensions } }] });
}

/**
 * POST /oauth/token: OAuth 2.0 client credentials (form body, or HTTP Basic client
 * authentication), as Track360 does it. POST /oauth/partner-token: a tenant credential
 * mints a short-lived token confined to one of its partners (partner portals, partner
 * subscriptions).
 */
export function oauthRoutes(opts: {
  keys: KeyStore;
  tokens: TokenService;
  signer: PrincipalSigner;
  linksUrl: string;
  throttle: AuthThrottle;
  limiter: RateLimiter;
  budgets: RequestBudgets;
  trustedProxies: string[];
}) {
  const log = logger('gateway.oauth');
  const limitName = `AUTH_FAILURES_PER_MINUTE ${opts.throttle.limit}`;
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
    const client = await opts.tokens.findClient(clientId);
    if (!client) {
      // No such client: a guess, counted against the address (never against real clients).
      const wait = await opts.throttle.failed(addressOf(req, opts.trustedProxies), 'oauth_token');
      if (wait) return oauthThrottled(res, wait, `too many unknown client_ids from this address (${limitName})`);
      return oauthError(res, 401, 'invalid_client', 'unknown client, wrong secret, or revoked');
    }
    // Wrong secrets count against the client_id: once locked, even the right secret is
    // refused until the minute ends, and the secret is not even compared.
    const subject: FailureSubject = { per: 'client_id', id: client.id };
    const locked = await opts.throttle.lockedFor(subject, 'oauth_token');
    if (locked) return oauthThrottled(res, locked, `too many failed attempts for this client_id (${limitName})`);
    // Many clients put the secret in Basic without URL-encoding it: a secret holding % matches as sent, too.
    const matches = opts.tokens.secretMatches(client, clientSecret) || (!!rawSecret && rawSecret !== clientSecret && opts.tokens.secretMatches(client, rawSecret));
    if (!matches) {
      const wait = await opts.throttle.failed(subject, 'oauth_token');
      if (wait) return oauthThrottled(res, wait, `too many failed attempts for this client_id (${limitName})`);
      return oauthError(res, 401, 'invalid_client', 'unknown client, wrong secret, or revoked');
    }
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
    const who = await identify(req.headers, opts.keys, opts.tokens);
    if ('refusal' in who) {
      const wait = who.unknown ? await opts.throttle.failed(addressOf(req, opts.trustedProxies), 'partner_token') : 0;
      if (wait) {
        res.set('retry-after', String(wait));
        return graphqlError(res, 429, 'RATE_LIMITED', `too many unknown credentials from this address (${limitName}); retry after ${wait} s`, { limit: 'AUTH_FAILURES_PER_MINUTE', retryAfter: wait });
      }
      return graphqlError(res, 401, 'UNAUTHENTICATED', who.refusal.message);
    }
    const caller: Principal = who.principal;
    // The requester's refused requests (403, 404) are its failures; every request also
    // draws on the credential's request budget, like a /graphql operation. One round trip.
    const requester: FailureSubject = { per: 'requester', id: caller.credentialId ?? caller.tenantId };
    const guard = opts.throttle.guard(requester);
    const units = { requests: 1, records: 0, largestBatch: 0 };
    const hit = await opts.limiter.admit(guard.key, guard.limit, credentialBudgets(`cred:${requester.id}`, units, opts.budgets));
    if (!hit.allowed) {
      res.set('retry-after', String(hit.retryAfter));
      if (hit.guarded) {
        opts.throttle.lock(requester, 'partner_token', hit.retryAfter);
        const message = `too many refused partner-token requests by this credential (${limitName}); retry after ${hit.retryAfter} s`;
        return graphqlError(res, 429, 'RATE_LIMITED', message, { limit: 'AUTH_FAILURES_PER_MINUTE', retryAfter: hit.retryAfter });
      }
      const refusal = rateLimitRefusal(hit, units, opts.budgets);
      return graphqlError(res, 429, 'RATE_LIMITED', refusal.message, { limit: refusal.limit, retryAfter: hit.retryAfter });
    }
    const fail = async (status: number, code: string, message: string, param?: string) => {
      // Refusals of what the credential may do are its failed attempts (asking for other
      // tenants' partners, scopes it lacks); input mistakes (400) are not.
      if (status === 403 || status === 404) await opts.throttle.failed(requester, 'partner_token');
      graphqlError(res, status, code, message, param ? { param } : {});
    };
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

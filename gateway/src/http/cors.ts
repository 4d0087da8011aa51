import type express from 'express';

/**
 * CORS for browser apps on other origins (CORS_ORIGINS). Only /graphql and the click
 * redirect use it; /oauth/* never does: client secrets and tenant keys have no place in
 * a browser, so a browser on another origin must not be able to read those answers.
 */

/** `npm start`'s default: any port on the local machine, for front-ends in development. */
export const LOCAL_DEV_ORIGINS = ['http://localhost:*', 'http://127.0.0.1:*'];

/** Headers a browser may send: ours, and what Apollo Client, urql and graphql-request send. */
export const CORS_ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  'x-api-key',
  'accept',
  'apollo-require-preflight',
  'x-apollo-operation-name',
  'apollographql-client-name',
  'apollographql-client-version',
  'graphql-client-name',
  'graphql-client-version',
];
export const CORS_EXPOSED_HEADERS = ['retry-after'];
const MAX_AGE_SECONDS = 600;

/** The allowed origins: `*` (any), or exact origins and `scheme://host:*` (any port of that host). */
export type CorsOrigins = readonly string[];

/**
 * Parses CORS_ORIGINS: comma-separated origins (`https://app.broker.example`,
 * `http://localhost:*` for any port), `*` alone for any origin, or `none`. Returns the
 * normalized list or a problem saying what is allowed.
 */
export function parseCorsOrigins(value: string): { origins: CorsOrigins } | { problem: string } {
  const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
  if (entries.length === 1 && entries[0].toLowerCase() === 'none') return { origins: [] };
  if (entries.includes('*')) {
    return entries.length === 1 ? { origins: ['*'] } : { problem: 'CORS_ORIGINS: * allows every origin, so it must be the only entry' };
  }
  if (!entries.length) return { problem: 'CORS_ORIGINS must list origins such as https://app.example.com, or be * or none' };
  const origins: string[] = [];
  for (const entry of entries) {
    const anyPort = /:\*\/?$/.test(entry);
    const text = anyPort ? entry.replace(/:\*\/?$/, '') : entry;
    let url: URL | null = null;
    try {
      url = new URL(text);
    } catch {
      url = null;
    }
    const bare = url && (url.protocol === 'http:' || url.protocol === 'https:') && !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash && !text.endsWith('?') && !text.endsWith('#');
    if (!url || !bare || (anyPort && url.port)) {
      return {
        problem: `CORS_ORIGINS: "${entry}" is not an origin; write scheme://host[:port] with no path (https://app.example.com, http://localhost:3000, http://localhost:* for any port), * for any origin, or none`,
      };
    }
    origins.push(anyPort ? `${url.origin}:*` : url.origin);
  }
  return { origins: [...new Set(origins)] };
}

/** Whether a request's Origin header is one of `allowed`. */
export function originAllowed(origin: string, allowed: CorsOrigins): boolean {
  if (allowed.includes('*')) return true;
  if (allowed.includes(origin)) return true;
  // "http://localhost:*": the origin is that scheme and host with an explicit port, or the default one.
  const m = /^(https?:\/\/[^/:]+|https?:\/\/\[[^\]/]+\])(?::(\d{1,5}))?$/.exec(origin);
  return !!m && allowed.includes(`${m[1]}:*`);
}

/**
 * Answers preflights (204 with the allow headers; 403 without them for an origin not in
 * CORS_ORIGINS) and adds Access-Control-Allow-Origin to the answers of allowed origins.
 * Requests without Origin (servers, curl) pass untouched.
 */
export function corsMiddleware(allowed: CorsOrigins, methods: string[]): express.RequestHandler {
  const allowMethods = methods.join(', ');
  const allowHeaders = CORS_ALLOWED_HEADERS.join(', ');
  const expose = CORS_EXPOSED_HEADERS.join(', ');
  return (req, res, next) => {
    const origin = req.headers.origin;
    const preflight = req.method === 'OPTIONS' && typeof req.headers['access-control-request-method'] === 'string';
    if (!allowed.length || typeof origin !== 'string') return next();
    // The answer depends on Origin: shared caches must keep one per origin.
    res.vary('Origin');
    if (!originAllowed(origin, allowed)) {
      if (!preflight) return next();
      res.status(403).set('cache-control', 'no-store').json({ error: 'origin_not_allowed', error_description: `the origin ${origin} is not allowed to call this API from a browser (CORS_ORIGINS)` });
      return;
    }
    res.set('access-control-allow-origin', allowed.includes('*') ? '*' : origin);
    if (!preflight) {
      res.set('access-control-expose-headers', expose);
      return next();
    }
    res.set({
      'access-control-allow-methods': allowMethods,
      'access-control-allow-headers': allowHeaders,
      'access-control-max-age': String(MAX_AGE_SECONDS),
      'content-length': '0',
    });
    res.status(204).end();
  };
}

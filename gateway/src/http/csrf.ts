/**
 * Apollo Server's CSRF prevention refuses a request a browser could send cross-site without
 * a CORS preflight (a form post, an <img src>, a GET without content-type) unless it carries
 * one of these headers. Our credentials are such headers: no form or tag can set
 * `x-api-key` or `authorization`, and a script on another origin must pass the preflight
 * (CORS_ORIGINS) to send them. The gateway uses no cookies and only ever challenges with
 * `Bearer`, so a browser never attaches an `authorization` header by itself. With these,
 * urql's and graphql-request's GET queries (no content-type) work unchanged; a GET without
 * any of them stays refused, and a mutation over GET stays 405 (GraphQL over HTTP).
 */
export const CSRF_PREFLIGHT_HEADERS = [
  // Apollo's own recommendation (what Apollo Client and Apollo's tools send).
  'x-apollo-operation-name',
  'apollo-require-preflight',
  // Our credentials (auth/authenticate.ts, presentedCredential).
  'x-api-key',
  'authorization',
];

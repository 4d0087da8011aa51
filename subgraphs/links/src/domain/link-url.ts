import { codeMessage, COUNTRY_RULE, isCountryCode } from '../../../shared/src/codes';
import { badInput } from '../../../shared/src/errors';

/**
 * Referral link URLs (FYNXT "Create a referral link"): the tenant's domain, a landing
 * path, then `ref=<code>` or `Formx=<encrypted partner id>` and the UTM tags.
 *
 * Everything here is checked strictly because the link is a redirect target: a path
 * that a browser could read as another host (`//evil.example`, `/\evil.example`) or a
 * value that could smuggle in its own query parameters would turn our redirector into
 * an open redirect or let a visitor overwrite the attribution.
 */
export interface Utm {
  source?: string | null;
  medium?: string | null;
  campaign?: string | null;
  term?: string | null;
  content?: string | null;
}

const UTM_FIELDS = ['source', 'medium', 'campaign', 'term', 'content'] as const;

export const PATH_RULE =
  "path must start with / and be at most 500 characters of A-Z a-z 0-9 - . _ ~ ! $ & ' ( ) * + , ; = : @ / " +
  'and %XX escapes (percent-encode anything else), with no query (?) or fragment (#), no // at the start and no .. segments';
const PATH_MAX = 500;
/** RFC 3986 pchar plus `/`; `%` is checked separately to be a whole escape. */
const PATH_CHARS_RE = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
const BAD_ESCAPE_RE = /%(?![0-9A-Fa-f]{2})/;

function pathError(problem: string, param: string) {
  return badInput(`${problem}: ${PATH_RULE}`, param, 'link.path_invalid');
}

export function validatePath(path: string, param = 'input.path'): string {
  if (typeof path !== 'string' || !path.startsWith('/')) throw pathError('path must start with /', param);
  if (path.length > PATH_MAX) throw pathError(`path is ${path.length} characters`, param);
  // A browser reads `//host/...` as another host: the link would leave the tenant's domain.
  if (path.startsWith('//')) throw pathError('path must not start with //', param);
  if (/[?#]/.test(path)) throw pathError('path must not contain ? or # (the query comes from ref and the UTM tags)', param);
  // Covers whitespace, control characters, backslashes (browsers treat \ as /) and non-ASCII.
  if (!PATH_CHARS_RE.test(path)) throw pathError('path has a character that is not allowed', param);
  if (BAD_ESCAPE_RE.test(path)) throw pathError('path has a % that is not a %XX escape', param);
  // URL parsers resolve `..` and its escaped spellings (%2e%2e, .%2E, ...) alike.
  for (const segment of path.split('/')) {
    if (segment.replace(/%2e/gi, '.') === '..') throw pathError('path must not have .. segments', param);
  }
  return path;
}

export const UTM_RULE = 'must be 1-200 characters of letters, digits, space and _ - . ~ + : /';
const UTM_MAX = 200;
/** No `&`, `=`, `#`, `?` or controls: even encoded they invite double-decoding mix-ups downstream. */
const UTM_RE = /^[\p{L}\p{M}\p{N} _\-.~+:/]+$/u;

/** The UTM tags trimmed; an empty (or blank) tag is refused like any bad one: leave it out instead. Throws naming the first bad tag. */
export function validateUtm(utm: Utm | null | undefined, param = 'input.utm'): Utm {
  const out: Utm = { source: null, medium: null, campaign: null, term: null, content: null };
  if (!utm) return out;
  for (const field of UTM_FIELDS) {
    const raw = utm[field];
    if (raw === undefined || raw === null) continue;
    const value = typeof raw === 'string' ? raw.trim() : raw;
    if (typeof value !== 'string' || value.length > UTM_MAX || !UTM_RE.test(value)) {
      throw badInput(`utm.${field} ${UTM_RULE}`, `${param}.${field}`, 'link.utm_invalid');
    }
    out[field] = value;
  }
  return out;
}

export const DOMAIN_RULE =
  'must be an https:// (or http://) origin such as https://www.broker.example, with no path, query, fragment or credentials';

/** The normalized origin (lower-case host, no default port, no trailing slash). */
export function validateDomain(value: string, param: string): string {
  const fail = () => badInput(`domain ${DOMAIN_RULE}`, param, 'link.domain_invalid');
  // The URL parser silently drops tabs and newlines and accepts `https:host`: refuse what
  // it would have to repair, so what is stored is what the tenant typed.
  if (typeof value !== 'string' || !/^https?:\/\/[^\s\\]+$/i.test(value) || /[\u0000-\u001f\u007f]/.test(value)) {
    throw fail();
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw fail();
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw fail();
  if (url.username || url.password || !url.hostname) throw fail();
  if (url.pathname !== '/' || value.includes('?') || value.includes('#')) throw fail();
  return url.origin;
}

/**
 * The link to distribute: domain + path + `ref=` or `Formx=` + the present UTM tags in
 * the fixed order source, medium, campaign, term, content (stable URLs compare equal).
 */
export function buildLinkUrl(opts: {
  domain: string;
  path: string;
  ref?: string | null;
  formx?: string | null;
  utm?: Utm | null;
}): string {
  const hasRef = opts.ref !== undefined && opts.ref !== null && opts.ref !== '';
  const hasFormx = opts.formx !== undefined && opts.formx !== null && opts.formx !== '';
  // Both would attribute the click twice; neither would make a link that attributes nothing.
  if (hasRef === hasFormx) throw new Error('a link carries exactly one of ref and Formx');
  const params = new URLSearchParams();
  if (hasRef) params.append('ref', opts.ref as string);
  else params.append('Formx', opts.formx as string);
  for (const field of UTM_FIELDS) {
    const v = opts.utm?.[field];
    if (v !== undefined && v !== null && v !== '') params.append(`utm_${field}`, v);
  }
  return `${opts.domain.replace(/\/+$/, '')}${opts.path}?${params.toString()}`;
}

function decodeParamName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/**
 * Sets one query parameter: replaces the first with that name in place (dropping any
 * repeats) or appends it. The other parameters keep their order and their exact
 * spelling, and a fragment stays at the end; re-serializing them through URL would
 * re-encode what the tenant wrote.
 */
export function appendParam(url: string, name: string, value: string): string {
  const hashAt = url.indexOf('#');
  const fragment = hashAt >= 0 ? url.slice(hashAt) : '';
  const beforeHash = hashAt >= 0 ? url.slice(0, hashAt) : url;
  const queryAt = beforeHash.indexOf('?');
  const base = queryAt >= 0 ? beforeHash.slice(0, queryAt) : beforeHash;
  const query = queryAt >= 0 ? beforeHash.slice(queryAt + 1) : '';
  const pair = new URLSearchParams([[name, value]]).toString();
  const out: string[] = [];
  let replaced = false;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (decodeParamName(eq >= 0 ? part.slice(0, eq) : part) === name) {
      if (!replaced) out.push(pair);
      replaced = true;
    } else {
      out.push(part);
    }
  }
  if (!replaced) out.push(pair);
  return `${base}?${out.join('&')}${fragment}`;
}

export interface RegionalDomain {
  domain: string;
  countries: string[];
}

/** Geo-routing: the first regional domain serving the visitor's country, else the primary. */
export function routeDomain(primary: string, regional: RegionalDomain[], country: string | null | undefined): string {
  if (!country) return primary;
  const c = country.toUpperCase();
  const hit = regional.find((r) => r.countries.some((rc) => rc.toUpperCase() === c));
  return hit ? hit.domain : primary;
}

const MAX_COUNTRIES = 250;

/**
 * ISO 3166-1 alpha-2 codes in capitals, as every country input takes them (shared/src/codes.ts): `de` is refused,
 * not upper-cased. 1-250 of them, no repeats.
 */
export function validateCountries(countries: string[], param: string): string[] {
  if (!Array.isArray(countries) || countries.length < 1 || countries.length > MAX_COUNTRIES) {
    throw badInput(`countries must list 1-${MAX_COUNTRIES} ISO 3166-1 alpha-2 codes such as GB`, param, 'link.countries_invalid');
  }
  const seen = new Set<string>();
  return countries.map((raw, i) => {
    if (!isCountryCode(raw)) throw badInput(codeMessage('countries', COUNTRY_RULE, raw), `${param}.${i}`, 'link.countries_invalid');
    const code = raw;
    // A repeat is almost always a typo for another country.
    if (seen.has(code)) throw badInput(`${code} is listed twice`, `${param}.${i}`, 'link.countries_invalid');
    seen.add(code);
    return code;
  });
}

import { isIP } from 'node:net';
import { getCodes as countryCodes } from 'country-list';
import ISO6391 from 'iso-639-1';

/**
 * The code lists an input is checked against, from maintained packages rather than a format: `XX` has the shape of a
 * country code and names none. Every input path of every subgraph uses these, so a code accepted in one place is
 * accepted in all of them.
 *
 * Case is part of the code, as the seeds' JSON Schemas write it (Track360: country `^[A-Z]{2}$`, language
 * `^[a-z]{2}$`): `de` is refused as a country rather than guessed, because a stored value is compared as written
 * (with GeoIP's capitals, with rule conditions) and an API that silently rewrites some inputs invites clients to
 * rely on it for others.
 */

/** ISO 3166-1 alpha-2, the `country-list` package's 249 assigned codes (user-assigned `XX`, `ZZ`, ... are not). */
const COUNTRIES: ReadonlySet<string> = new Set(countryCodes().map((c) => c.toUpperCase()));

export const COUNTRY_RULE = 'an ISO 3166-1 alpha-2 country code in capitals such as MX or GB';
export const LANGUAGE_RULE = 'an ISO 639-1 language code in lower case such as es or en';
export const IP_RULE = 'an IPv4 address such as 203.0.113.7 or an IPv6 address such as 2001:db8::1';

export function isCountryCode(code: unknown): code is string {
  return typeof code === 'string' && /^[A-Z]{2}$/.test(code) && COUNTRIES.has(code);
}

/** ISO 639-1, the `iso-639-1` package's 183 two-letter codes. */
export function isLanguageCode(code: unknown): code is string {
  return typeof code === 'string' && /^[a-z]{2}$/.test(code) && ISO6391.validate(code);
}

/** `node:net`'s parser: dotted quads of 0-255 (no leading zeros) or any valid IPv6 form. */
export function isIpAddress(value: unknown): value is string {
  return typeof value === 'string' && isIP(value) !== 0;
}

/** The message for a code that is not on its list: what is allowed, and what came, cut short. */
export function codeMessage(field: string, rule: string, got: unknown): string {
  const text = typeof got === 'string' && got.length > 60 ? `${got.slice(0, 60)}…` : got;
  return `${field} must be ${rule}; got ${JSON.stringify(text)}`;
}

import {
  appendParam,
  buildLinkUrl,
  routeDomain,
  validateCountries,
  validateDomain,
  validatePath,
  validateUtm,
} from '../../subgraphs/links/src/domain/link-url';
import { errorOf } from '../helpers/errors';


describe('validatePath', () => {
  it.each([
    '/',
    '/en/open-account',
    '/en/open-account/',
    "/a-b_c.d~e!$&'()*+,;=:@/f",
    '/promo%20page',
    '/caf%C3%A9',
    '/v1.2/x',
    '/...',
    '/a..b',
    '/' + 'a'.repeat(499),
  ])('accepts %s and returns it unchanged', (path) => {
    expect(validatePath(path)).toBe(path);
  });

  it.each([
    ['empty', ''],
    ['no leading slash', 'en/open-account'],
    ['a full URL', 'https://evil.example/x'],
    ['a scheme', 'javascript:alert(1)'],
    ['protocol-relative', '//evil.example/x'],
    ['three slashes', '///evil.example'],
    ['a backslash (browsers read /\\ as //)', '/\\evil.example'],
    ['a query', '/en?x=1'],
    ['a fragment', '/en#top'],
    ['a space', '/open account'],
    ['a tab', '/open\taccount'],
    ['a newline', '/open\naccount'],
    ['a NUL', '/open\u0000'],
    ['DEL', '/open\u007f'],
    ['non-ASCII', '/café'],
    ['a double quote', '/a"b'],
    ['angle brackets', '/<script>'],
    ['a lone %', '/100%'],
    ['a % with one hex digit', '/a%2'],
    ['a % with non-hex', '/a%zz'],
    ['a .. segment', '/en/../admin'],
    ['a trailing .. segment', '/en/..'],
    ['an escaped .. segment', '/en/%2e%2e/admin'],
    ['a half-escaped .. segment', '/en/.%2E/admin'],
    ['501 characters', '/' + 'a'.repeat(500)],
  ])('refuses %s', (_label, path) => {
    const err = errorOf(() => validatePath(path));
    expect(err.extensions.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.param).toBe('input.path');
    expect(err.extensions.reason).toBe('link.path_invalid');
    expect(err.message).toContain('path must start with / and be at most 500 characters');
  });

  it('names the given param', () => {
    expect(errorOf(() => validatePath('x', 'input.landing')).extensions.param).toBe('input.landing');
  });

  it('says what was wrong before the rule', () => {
    expect(errorOf(() => validatePath('/en?x=1')).message).toMatch(/^path must not contain \? or #/);
    expect(errorOf(() => validatePath('//x')).message).toMatch(/^path must not start with \/\//);
  });
});

describe('validateUtm', () => {
  it('trims values and turns missing ones into null', () => {
    expect(validateUtm({ source: ' newsletter ', medium: null, campaign: 'Summer 2026', term: undefined })).toEqual({
      source: 'newsletter',
      medium: null,
      campaign: 'Summer 2026',
      term: null,
      content: null,
    });
  });

  it('is all null for null or undefined', () => {
    const empty = { source: null, medium: null, campaign: null, term: null, content: null };
    expect(validateUtm(null)).toEqual(empty);
    expect(validateUtm(undefined)).toEqual(empty);
  });

  it('UTM values 1-200 characters: an empty or blank value is refused with its param, not dropped', () => {
    for (const blank of ['', '   ']) {
      const err = errorOf(() => validateUtm({ source: 'newsletter', medium: blank }));
      expect(err.extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: 'input.utm.medium', reason: 'link.utm_invalid' });
      expect(err.message).toBe('utm.medium must be 1-200 characters of letters, digits, space and _ - . ~ + : /');
    }
  });

  it('accepts letters, digits, space and _ - . ~ + : /, and letters beyond ASCII', () => {
    expect(validateUtm({ content: 'a_b-c.d~e+f:g/h 9' }).content).toBe('a_b-c.d~e+f:g/h 9');
    expect(validateUtm({ campaign: 'été München' }).campaign).toBe('été München');
  });

  it('accepts 200 characters and refuses 201', () => {
    expect(validateUtm({ term: 'x'.repeat(200) }).term).toHaveLength(200);
    expect(errorOf(() => validateUtm({ term: 'x'.repeat(201) })).extensions.param).toBe('input.utm.term');
  });

  it.each([
    ['&', 'a&b'],
    ['=', 'a=b'],
    ['#', 'a#b'],
    ['?', 'a?b'],
    ['%', 'a%20b'],
    ['a newline', 'a\nb'],
    ['a tab', 'a\tb'],
    ['a NUL', 'a\u0000b'],
    ['quotes', 'a"b'],
    ['angle brackets', '<b>'],
  ])('refuses %s with the tag as param', (_label, value) => {
    const err = errorOf(() => validateUtm({ source: 'ok', campaign: value }));
    expect(err.extensions.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.param).toBe('input.utm.campaign');
    expect(err.extensions.reason).toBe('link.utm_invalid');
    expect(err.message).toBe('utm.campaign must be 1-200 characters of letters, digits, space and _ - . ~ + : /');
  });

  it('uses the given param prefix', () => {
    expect(errorOf(() => validateUtm({ medium: 'a&b' }, 'input.defaults.utm')).extensions.param).toBe('input.defaults.utm.medium');
  });
});

describe('validateDomain', () => {
  it.each([
    ['https://www.broker.example', 'https://www.broker.example'],
    ['https://www.broker.example/', 'https://www.broker.example'],
    ['HTTPS://WWW.Broker.Example', 'https://www.broker.example'],
    ['http://broker.example', 'http://broker.example'],
    ['https://broker.example:443', 'https://broker.example'],
    ['https://broker.example:8443', 'https://broker.example:8443'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
  ])('accepts %s as %s', (value, origin) => {
    expect(validateDomain(value, 'input.domain')).toBe(origin);
  });

  it.each([
    ['no scheme', 'www.broker.example'],
    ['another scheme', 'ftp://broker.example'],
    ['javascript:', 'javascript://broker.example'],
    ['https: without slashes', 'https:broker.example'],
    ['a path', 'https://broker.example/en'],
    ['a query', 'https://broker.example?x=1'],
    ['an empty query', 'https://broker.example/?'],
    ['a fragment', 'https://broker.example#x'],
    ['credentials', 'https://user:pw@broker.example'],
    ['a user name', 'https://user@broker.example'],
    ['no host', 'https://'],
    ['a space', 'https://broker .example'],
    ['a newline the URL parser would drop', 'https://bro\nker.example'],
    ['a backslash', 'https://broker.example\\'],
    ['leading space', ' https://broker.example'],
    ['the empty string', ''],
  ])('refuses %s', (_label, value) => {
    const err = errorOf(() => validateDomain(value, 'input.regionalDomains[1].domain'));
    expect(err.extensions.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.param).toBe('input.regionalDomains[1].domain');
    expect(err.extensions.reason).toBe('link.domain_invalid');
    expect(err.message).toContain('https://');
  });
});

describe('buildLinkUrl', () => {
  it('is domain + path + ref', () => {
    expect(buildLinkUrl({ domain: 'https://www.broker.example', path: '/en/open-account', ref: 'ib_jane' })).toBe(
      'https://www.broker.example/en/open-account?ref=ib_jane',
    );
  });

  it('carries Formx instead of ref for an encrypted partner id', () => {
    expect(buildLinkUrl({ domain: 'https://b.example', path: '/', formx: 'v1.lek_1.AbC-_x' })).toBe(
      'https://b.example/?Formx=v1.lek_1.AbC-_x',
    );
  });

  it('appends the present UTM tags in the order source, medium, campaign, term, content', () => {
    const url = buildLinkUrl({
      domain: 'https://b.example',
      path: '/en',
      ref: 'abc',
      utm: { content: 'banner', term: null, campaign: 'Summer 2026', medium: '', source: 'newsletter' },
    });
    expect(url).toBe('https://b.example/en?ref=abc&utm_source=newsletter&utm_campaign=Summer+2026&utm_content=banner');
  });

  it('percent-encodes with URLSearchParams semantics', () => {
    const url = buildLinkUrl({ domain: 'https://b.example', path: '/', ref: 'a b', utm: { source: 'x:y/z+w', campaign: 'été' } });
    expect(url).toBe('https://b.example/?ref=a+b&utm_source=x%3Ay%2Fz%2Bw&utm_campaign=%C3%A9t%C3%A9');
    expect(new URL(url).searchParams.get('utm_source')).toBe('x:y/z+w');
    expect(new URL(url).searchParams.get('utm_campaign')).toBe('été');
  });

  it('does not double the slash after a domain with a trailing slash', () => {
    expect(buildLinkUrl({ domain: 'https://b.example/', path: '/en', ref: 'abc' })).toBe('https://b.example/en?ref=abc');
  });

  it('needs exactly one of ref and Formx', () => {
    expect(() => buildLinkUrl({ domain: 'https://b.example', path: '/', ref: 'a', formx: 'v1.k.x' })).toThrow(/exactly one/);
    expect(() => buildLinkUrl({ domain: 'https://b.example', path: '/' })).toThrow(/exactly one/);
    expect(() => buildLinkUrl({ domain: 'https://b.example', path: '/', ref: '', formx: null })).toThrow(/exactly one/);
  });
});

describe('appendParam', () => {
  it('appends to a URL without a query', () => {
    expect(appendParam('https://b.example/en', 'clk', 'clk_abc')).toBe('https://b.example/en?clk=clk_abc');
  });

  it('appends after the existing parameters, keeping their order and spelling', () => {
    expect(appendParam('https://b.example/en?utm_source=a%20b&ref=x', 'clk', 'v')).toBe(
      'https://b.example/en?utm_source=a%20b&ref=x&clk=v',
    );
  });

  it('replaces an existing parameter in place', () => {
    expect(appendParam('https://b.example/?a=1&ref=old&b=2', 'ref', 'new')).toBe('https://b.example/?a=1&ref=new&b=2');
  });

  it('drops repeats of the replaced parameter', () => {
    expect(appendParam('https://b.example/?ref=1&a=2&ref=3', 'ref', 'x')).toBe('https://b.example/?ref=x&a=2');
  });

  it('matches names case-sensitively', () => {
    expect(appendParam('https://b.example/?formx=1', 'Formx', 't')).toBe('https://b.example/?formx=1&Formx=t');
  });

  it('matches an encoded name', () => {
    expect(appendParam('https://b.example/?utm%5Fsource=a', 'utm_source', 'b')).toBe('https://b.example/?utm_source=b');
  });

  it('encodes the value', () => {
    expect(appendParam('https://b.example/', 'q', 'a&b=c d')).toBe('https://b.example/?q=a%26b%3Dc+d');
  });

  it('keeps the fragment at the end', () => {
    expect(appendParam('https://b.example/en?a=1#form', 'b', '2')).toBe('https://b.example/en?a=1&b=2#form');
    expect(appendParam('https://b.example/en#form', 'b', '2')).toBe('https://b.example/en?b=2#form');
  });

  it('handles a bare ? and empty pairs', () => {
    expect(appendParam('https://b.example/?', 'a', '1')).toBe('https://b.example/?a=1');
    expect(appendParam('https://b.example/?&x=1&', 'a', '1')).toBe('https://b.example/?x=1&a=1');
  });

  it('keeps a parameter without a value', () => {
    expect(appendParam('https://b.example/?flag&a=1', 'a', '2')).toBe('https://b.example/?flag&a=2');
  });
});

describe('routeDomain', () => {
  const regional = [
    { domain: 'https://eu.broker.example', countries: ['DE', 'FR', 'GB'] },
    { domain: 'https://uk.broker.example', countries: ['GB'] },
    { domain: 'https://asia.broker.example', countries: ['sg', 'MY'] },
  ];
  const primary = 'https://www.broker.example';

  it('picks the first regional domain serving the country', () => {
    expect(routeDomain(primary, regional, 'FR')).toBe('https://eu.broker.example');
    expect(routeDomain(primary, regional, 'GB')).toBe('https://eu.broker.example');
    expect(routeDomain(primary, regional, 'MY')).toBe('https://asia.broker.example');
  });

  it('compares countries ignoring case', () => {
    expect(routeDomain(primary, regional, 'de')).toBe('https://eu.broker.example');
    expect(routeDomain(primary, regional, 'SG')).toBe('https://asia.broker.example');
  });

  it('falls back to the primary for an unlisted or unknown country', () => {
    expect(routeDomain(primary, regional, 'US')).toBe(primary);
    expect(routeDomain(primary, regional, null)).toBe(primary);
    expect(routeDomain(primary, regional, undefined)).toBe(primary);
    expect(routeDomain(primary, regional, '')).toBe(primary);
    expect(routeDomain(primary, [], 'DE')).toBe(primary);
  });
});

describe('validateCountries', () => {
  it('keeps the order', () => {
    expect(validateCountries(['GB', 'DE', 'FR'], 'input.countries')).toEqual(['GB', 'DE', 'FR']);
  });

  it('refuses lower case (de), as every country input does, and codes that name no country (XX, ZZ)', () => {
    for (const [bad, i] of [['de', 1], ['XX', 1], ['ZZ', 1], ['De', 1]] as const) {
      const err = errorOf(() => validateCountries(['GB', bad], 'input.regionalDomains.0.countries'));
      expect(err.extensions).toMatchObject({ code: 'BAD_USER_INPUT', param: `input.regionalDomains.0.countries.${i}`, reason: 'link.countries_invalid' });
      expect(err.message).toBe(`countries must be an ISO 3166-1 alpha-2 country code in capitals such as MX or GB; got "${bad}"`);
    }
  });

  it('accepts every assigned ISO 3166-1 alpha-2 code at once', () => {
    const codes = require('country-list').getCodes() as string[];
    expect(validateCountries(codes, 'c')).toHaveLength(249);
  });

  it('refuses none and 251', () => {
    expect(errorOf(() => validateCountries([], 'input.countries')).extensions.param).toBe('input.countries');
    const codes: string[] = [];
    for (let a = 65; a < 91; a++) for (let b = 65; b < 91; b++) codes.push(String.fromCharCode(a, b));
    const err = errorOf(() => validateCountries(codes.slice(0, 251), 'input.countries'));
    expect(err.message).toBe('countries must list 1-250 ISO 3166-1 alpha-2 codes such as GB');
  });

  it.each([['GBR'], ['G'], [''], ['G1'], ['É1'], [' GB']])('refuses %j naming its index', (bad) => {
    const err = errorOf(() => validateCountries(['DE', bad], 'input.countries'));
    expect(err.extensions.code).toBe('BAD_USER_INPUT');
    expect(err.extensions.param).toBe('input.countries.1');
    expect(err.extensions.reason).toBe('link.countries_invalid');
  });

  it('refuses a repeat', () => {
    const err = errorOf(() => validateCountries(['DE', 'FR', 'DE'], 'input.countries'));
    expect(err.message).toBe('DE is listed twice');
    expect(err.extensions.param).toBe('input.countries.2');
  });
});

import { GraphQLError } from 'graphql';
import {
  addressRefusal,
  classifyIp,
  resolveAndCheck,
  TargetPolicy,
  validateTargetUrl,
} from '../../subgraphs/events/src/domain/postback-target';

const SECURE: TargetPolicy = { allowInsecure: false };
const INSECURE: TargetPolicy = { allowInsecure: true };

describe('classifyIp', () => {
  test.each([
    // public
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['172.15.255.255', 'public'], // just below 172.16/12
    ['172.32.0.0', 'public'], // just above 172.16/12
    ['100.63.255.255', 'public'], // just below CGNAT
    ['100.128.0.0', 'public'], // just above CGNAT
    ['198.20.0.0', 'public'], // just above 198.18/15
    ['2606:4700:4700::1111', 'public'],
    ['2001:4860:4860::8888', 'public'],
    ['::ffff:8.8.8.8', 'public'],
    // private
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fec0::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a00:1', 'private'], // the same mapped address as the URL parser spells it
    ['::ffff:192.168.0.10', 'private'],
    ['64:ff9b::10.0.0.1', 'private'], // NAT64
    ['2002:a00:1::', 'private'], // 6to4 of 10.0.0.1
    // loopback
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    // link-local
    ['169.254.0.1', 'link-local'],
    ['169.254.169.253', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf::1', 'link-local'],
    ['::ffff:169.254.1.1', 'link-local'],
    // metadata
    ['169.254.169.254', 'metadata'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    // unspecified
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['::', 'unspecified'],
    ['::ffff:0.0.0.0', 'unspecified'],
    // multicast
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['ff05::1:3', 'multicast'],
    // reserved
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['198.18.0.1', 'reserved'],
    ['198.19.255.255', 'reserved'],
    ['192.0.2.1', 'reserved'],
    ['198.51.100.7', 'reserved'],
    ['203.0.113.9', 'reserved'],
    ['192.0.0.8', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['2001:db8:ffff::1', 'reserved'],
    ['2001::1', 'reserved'], // Teredo
    ['3fff::1', 'reserved'],
    ['100::1', 'reserved'],
    ['::1.2.3.4', 'reserved'], // deprecated IPv4-compatible
    ['4000::1', 'reserved'], // outside 2000::/3
    ['::ffff:203.0.113.1', 'reserved'],
  ])('%s is %s', (ip, expected) => {
    expect(classifyIp(ip)).toBe(expected);
  });

  test('throws on something that is not an IP address', () => {
    expect(() => classifyIp('example.com')).toThrow('not an IP address: "example.com"');
    expect(() => classifyIp('010.0.0.1')).toThrow('not an IP address');
    expect(() => classifyIp('')).toThrow('not an IP address');
  });
});

describe('addressRefusal', () => {
  test.each([
    ['8.8.8.8', SECURE, null],
    ['10.0.0.1', SECURE, 'a private address'],
    ['10.0.0.1', INSECURE, null],
    ['127.0.0.1', SECURE, 'a loopback address'],
    ['127.0.0.1', INSECURE, null],
    ['169.254.169.254', INSECURE, 'a cloud metadata address'],
    ['fe80::1', INSECURE, 'a link-local address'],
    ['0.0.0.0', INSECURE, 'an unspecified address'],
    ['224.0.0.1', INSECURE, 'a multicast address'],
    ['192.0.2.1', INSECURE, 'a reserved address'],
    ['not-an-ip', INSECURE, 'not an IP address'],
  ])('%s with %o -> %s', (ip, policy, expected) => {
    expect(addressRefusal(ip, policy)).toBe(expected);
  });
});

/** The BAD_USER_INPUT error validateTargetUrl throws, or null when it accepts. */
function rejection(url: string, policy: TargetPolicy, param?: string): GraphQLError | null {
  try {
    validateTargetUrl(url, policy, param);
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(GraphQLError);
    return e as GraphQLError;
  }
}

describe('validateTargetUrl', () => {
  test('accepts a public https URL and returns it parsed', () => {
    const url = validateTargetUrl('https://hooks.example.com:8443/fynxt/postbacks?x=1', SECURE);
    expect(url.href).toBe('https://hooks.example.com:8443/fynxt/postbacks?x=1');
    expect(url.hostname).toBe('hooks.example.com');
  });

  test('accepts a public IP literal', () => {
    expect(validateTargetUrl('https://93.184.216.34/hook', SECURE).hostname).toBe('93.184.216.34');
    expect(validateTargetUrl('https://[2606:4700:4700::1111]/hook', SECURE).hostname).toBe('[2606:4700:4700::1111]');
  });

  test('errors carry BAD_USER_INPUT, the param, the reason and say what is allowed', () => {
    const err = rejection('http://hooks.example.com/', SECURE)!;
    expect(err.extensions).toEqual({ code: 'BAD_USER_INPUT', param: 'input.url', reason: 'postback.url_invalid' });
    expect(err.message).toBe(
      'The URL uses http://. Postback URLs must be absolute https:// URLs of at most 2000 characters, without ' +
        'user:password@, pointing to a public host (not localhost, private, link-local or cloud metadata addresses).',
    );
    expect(rejection('http://hooks.example.com/', SECURE, 'input.postback.url')!.extensions.param).toBe(
      'input.postback.url',
    );
  });

  test('http is refused by default and allowed with allowInsecure', () => {
    expect(rejection('http://hooks.example.com/', SECURE)!.message).toMatch(/^The URL uses http:\/\/\./);
    expect(validateTargetUrl('http://hooks.example.com/', INSECURE).protocol).toBe('http:');
  });

  test('other schemes are refused even with allowInsecure', () => {
    expect(rejection('ftp://files.example.com/', INSECURE)!.message).toMatch(
      /^The URL uses ftp:\/\/\. Postback URLs must be absolute http:\/\/ or https:\/\/ URLs/,
    );
    expect(rejection('file:///etc/passwd', INSECURE)!.message).toMatch(/^The URL uses file:\/\/\./);
    expect(rejection('gopher://example.com/', SECURE)!.message).toMatch(/^The URL uses gopher:\/\/\./);
  });

  test('relative and malformed URLs are refused', () => {
    expect(rejection('/hooks', SECURE)!.message).toMatch(/^The URL is not an absolute URL\./);
    expect(rejection('hooks.example.com/postback', SECURE)!.message).toMatch(/^The URL is not an absolute URL\./);
    expect(rejection('https://', SECURE)!.message).toMatch(/^The URL is not an absolute URL\./);
  });

  test('credentials are refused, user-only and password-only included', () => {
    for (const url of ['https://user:pass@hooks.example.com/', 'https://user@hooks.example.com/', 'https://:pw@x.com/'])
      expect(rejection(url, INSECURE)!.message).toMatch(/^The URL contains credentials\./);
  });

  test('more than 2000 characters is refused; exactly 2000 is accepted', () => {
    const prefix = 'https://hooks.example.com/';
    const exactly = prefix + 'a'.repeat(2000 - prefix.length);
    expect(exactly).toHaveLength(2000);
    expect(validateTargetUrl(exactly, SECURE).hostname).toBe('hooks.example.com');
    expect(rejection(exactly + 'a', SECURE)!.message).toMatch(/^The URL is 2001 characters long\./);
  });

  test('localhost names are refused unless allowInsecure', () => {
    for (const url of ['https://localhost/', 'https://LOCALHOST./', 'https://api.localhost:3000/']) {
      expect(rejection(url, SECURE)!.message).toMatch(/ is a loopback host\./);
      expect(rejection(url, INSECURE)).toBeNull();
    }
    expect(rejection('https://localhost/', SECURE)!.message).toMatch(/^localhost is a loopback host\./);
  });

  test('*.internal is refused unless allowInsecure; the metadata host name always', () => {
    expect(rejection('https://db.internal/', SECURE)!.message).toMatch(/^db\.internal is a private host\./);
    expect(rejection('https://db.internal/', INSECURE)).toBeNull();
    expect(rejection('http://metadata.google.internal/computeMetadata/v1/', INSECURE)!.message).toMatch(
      /^metadata\.google\.internal is a cloud metadata host\./,
    );
    expect(rejection('http://metadata/', INSECURE)!.message).toMatch(/^metadata is a cloud metadata host\./);
  });

  test('private and loopback literals are refused unless allowInsecure', () => {
    expect(rejection('https://10.0.0.5/', SECURE)!.message).toMatch(/^10\.0\.0\.5 is a private address\./);
    expect(rejection('https://127.0.0.1/', SECURE)!.message).toMatch(/^127\.0\.0\.1 is a loopback address\./);
    expect(rejection('https://[::1]/', SECURE)!.message).toMatch(/^::1 is a loopback address\./);
    expect(validateTargetUrl('http://10.0.0.5:8080/', INSECURE).port).toBe('8080');
    expect(validateTargetUrl('http://127.0.0.1/', INSECURE).hostname).toBe('127.0.0.1');
    expect(validateTargetUrl('http://[::1]:4000/', INSECURE).hostname).toBe('[::1]');
  });

  test('obfuscated IPv4 spellings are normalised by the URL parser and still caught', () => {
    expect(rejection('https://2130706433/', SECURE)!.message).toMatch(/^127\.0\.0\.1 is a loopback address\./);
    expect(rejection('https://0x7f.1/', SECURE)!.message).toMatch(/^127\.0\.0\.1 is a loopback address\./);
    expect(rejection('https://[::ffff:10.0.0.1]/', SECURE)!.message).toMatch(/^::ffff:a00:1 is a private address\./);
  });

  test('metadata, link-local and reserved literals are refused even with allowInsecure', () => {
    expect(rejection('http://169.254.169.254/latest/meta-data/', INSECURE)!.message).toMatch(
      /^169\.254\.169\.254 is a cloud metadata address\. Postback URLs must be absolute http:\/\/ or https:\/\//,
    );
    expect(rejection('http://[fd00:ec2::254]/', INSECURE)!.message).toMatch(/^fd00:ec2::254 is a cloud metadata address\./);
    expect(rejection('http://[::ffff:169.254.169.254]/', INSECURE)!.message).toMatch(/is a cloud metadata address\./);
    expect(rejection('http://169.254.10.1/', INSECURE)!.message).toMatch(/is a link-local address\./);
    expect(rejection('http://0.0.0.0:8080/', INSECURE)!.message).toMatch(/^0\.0\.0\.0 is an unspecified address\./);
    expect(rejection('http://224.0.0.1/', INSECURE)!.message).toMatch(/is a multicast address\./);
    expect(rejection('https://192.0.2.10/', INSECURE)!.message).toMatch(/^192\.0\.2\.10 is a reserved address\./);
  });
});

type Answer = { address: string; family: number };
/** A lookup that answers from a table and records what it was asked. */
function fakeLookup(table: Record<string, Answer[]>) {
  const asked: string[] = [];
  const lookup = async (host: string): Promise<Answer[]> => {
    asked.push(host);
    const answer = table[host];
    if (!answer) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return answer;
  };
  return { lookup, asked };
}

const v4 = (address: string): Answer => ({ address, family: 4 });
const v6 = (address: string): Answer => ({ address, family: 6 });

describe('resolveAndCheck', () => {
  const { lookup, asked } = fakeLookup({
    'hooks.example.com': [v4('93.184.216.34'), v6('2606:2800:220:1::1')],
    'internal.example.com': [v4('10.0.0.5')],
    'rebind.example.com': [v4('93.184.216.34'), v4('10.0.0.5')],
    'rebind6.example.com': [v6('2606:2800:220:1::1'), v6('::ffff:127.0.0.1')],
    'loop.example.com': [v4('127.0.0.1')],
    'meta.example.com': [v4('169.254.169.254')],
    'empty.example.com': [],
  });

  beforeEach(() => {
    asked.length = 0;
  });

  test('a public name is allowed, every checked address returned, the first as address', async () => {
    await expect(resolveAndCheck(new URL('https://hooks.example.com/x'), SECURE, lookup)).resolves.toEqual({
      ok: true,
      address: '93.184.216.34',
      addresses: ['93.184.216.34', '2606:2800:220:1::1'],
    });
    expect(asked).toEqual(['hooks.example.com']);
  });

  test('a name resolving to a private address is refused unless allowInsecure', async () => {
    await expect(resolveAndCheck(new URL('https://internal.example.com/'), SECURE, lookup)).resolves.toEqual({
      ok: false,
      reason: 'resolves to 10.0.0.5, a private address',
    });
    await expect(resolveAndCheck(new URL('http://internal.example.com/'), INSECURE, lookup)).resolves.toEqual({
      ok: true,
      address: '10.0.0.5',
      addresses: ['10.0.0.5'],
    });
  });

  test('mixed public and private answers are refused (DNS rebinding)', async () => {
    await expect(resolveAndCheck(new URL('https://rebind.example.com/'), SECURE, lookup)).resolves.toEqual({
      ok: false,
      reason: 'resolves to 10.0.0.5, a private address',
    });
    await expect(resolveAndCheck(new URL('https://rebind6.example.com/'), SECURE, lookup)).resolves.toEqual({
      ok: false,
      reason: 'resolves to ::ffff:127.0.0.1, a loopback address',
    });
  });

  test('loopback is allowed only with allowInsecure', async () => {
    await expect(resolveAndCheck(new URL('https://loop.example.com/'), SECURE, lookup)).resolves.toEqual({
      ok: false,
      reason: 'resolves to 127.0.0.1, a loopback address',
    });
    await expect(resolveAndCheck(new URL('http://loop.example.com/'), INSECURE, lookup)).resolves.toEqual({
      ok: true,
      address: '127.0.0.1',
      addresses: ['127.0.0.1'],
    });
  });

  test('metadata is refused even with allowInsecure', async () => {
    await expect(resolveAndCheck(new URL('http://meta.example.com/'), INSECURE, lookup)).resolves.toEqual({
      ok: false,
      reason: 'resolves to 169.254.169.254, a cloud metadata address',
    });
  });

  test('lookup failure and empty answers are refusals with a reason', async () => {
    await expect(resolveAndCheck(new URL('https://nope.example.com/'), SECURE, lookup)).resolves.toEqual({
      ok: false,
      reason: 'could not resolve nope.example.com (ENOTFOUND)',
    });
    await expect(resolveAndCheck(new URL('https://empty.example.com/'), SECURE, lookup)).resolves.toEqual({
      ok: false,
      reason: 'empty.example.com resolves to no address',
    });
    const failing = async (): Promise<Answer[]> => {
      throw new Error('resolver exploded');
    };
    await expect(resolveAndCheck(new URL('https://x.example.com/'), SECURE, failing)).resolves.toEqual({
      ok: false,
      reason: 'could not resolve x.example.com (resolver exploded)',
    });
  });

  test('a lookup answer that is not an IP address is refused', async () => {
    const bogus = async (): Promise<Answer[]> => [{ address: 'garbage', family: 4 }];
    await expect(resolveAndCheck(new URL('https://x.example.com/'), INSECURE, bogus)).resolves.toEqual({
      ok: false,
      reason: 'resolves to garbage, not an IP address',
    });
  });

  test('IP literals are checked without a lookup', async () => {
    await expect(resolveAndCheck(new URL('https://93.184.216.34/'), SECURE, lookup)).resolves.toEqual({
      ok: true,
      address: '93.184.216.34',
      addresses: ['93.184.216.34'],
    });
    await expect(resolveAndCheck(new URL('https://[::1]/'), SECURE, lookup)).resolves.toEqual({
      ok: false,
      reason: '::1 is a loopback address',
    });
    await expect(resolveAndCheck(new URL('http://[::1]/'), INSECURE, lookup)).resolves.toEqual({
      ok: true,
      address: '::1',
      addresses: ['::1'],
    });
    expect(asked).toEqual([]);
  });

  test('refused host names are refused without a lookup', async () => {
    await expect(resolveAndCheck(new URL('https://localhost/'), SECURE, lookup)).resolves.toEqual({
      ok: false,
      reason: 'localhost is a loopback host',
    });
    await expect(resolveAndCheck(new URL('http://metadata.google.internal/'), INSECURE, lookup)).resolves.toEqual({
      ok: false,
      reason: 'metadata.google.internal is a cloud metadata host',
    });
    expect(asked).toEqual([]);
  });

  test('the default lookup resolves through the system resolver (localhost, allowInsecure)', async () => {
    const result = await resolveAndCheck(new URL('http://localhost/'), INSECURE);
    expect(result.ok).toBe(true);
    expect(classifyIp((result as { address: string }).address)).toBe('loopback'); // 127.0.0.1 or ::1, per /etc/hosts
  });
});

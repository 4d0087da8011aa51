import { promises as dns, LookupAddress, LookupOptions } from 'node:dns';
import { isIP, LookupFunction } from 'node:net';
import { badInput } from '../../../shared/src/errors';

/**
 * SSRF protection for postback (webhook) targets. A partner chooses the URL and our servers POST to it, so without
 * these checks a partner could make the gateway reach the cloud metadata service, the database or anything else on
 * the internal network, and read the answer back through the delivery log.
 *
 * Two stages, because neither is enough alone:
 *  - `validateTargetUrl` runs when an endpoint is created or updated: syntax, scheme, credentials, and IP literals /
 *    well-known internal host names. No DNS here: a name's answer can change after registration.
 *  - `resolveAndCheck` runs before every delivery: it resolves the name, refuses if ANY answer is refused (a
 *    rebinding name that answers both a public and a private address must not win by luck), and hands back the
 *    addresses the caller may connect to, so the socket goes to an address that was checked rather than to a
 *    second, possibly different, resolution (`pinnedLookup` hands them to Node's connect in place of DNS).
 */

export interface TargetPolicy {
  /**
   * POSTBACKS_ALLOW_INSECURE: allows http:// and private/loopback targets, for local development and tests (the
   * receiver is a container on the same network). Never lifts the link-local/metadata/reserved refusals: those are
   * never a legitimate webhook receiver, in development either.
   */
  allowInsecure: boolean;
}

export type IpClass =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link-local'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'reserved';

export type LookupFn = (host: string) => Promise<{ address: string; family: number }[]>;

export const MAX_TARGET_URL_LENGTH = 2000;
const REASON = 'postback.url_invalid';

// ---------------------------------------------------------------------------------------------------------------
// Address classification

const ALWAYS_REFUSED: ReadonlySet<IpClass> = new Set(['link-local', 'metadata', 'unspecified', 'multicast', 'reserved']);
const INSECURE_ONLY: ReadonlySet<IpClass> = new Set(['private', 'loopback']);

const CLASS_NOUN: Record<IpClass, string> = {
  public: 'a public address',
  private: 'a private address',
  loopback: 'a loopback address',
  'link-local': 'a link-local address',
  metadata: 'a cloud metadata address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};

function parseIpv4(ip: string): number {
  const [a, b, c, d] = ip.split('.').map(Number);
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** [base, prefix length] pairs; `inV4` masks with unsigned arithmetic (`>>>`) because JS bit operations are signed. */
function inV4(v: number, base: string, bits: number): boolean {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((v & mask) >>> 0) === ((parseIpv4(base) & mask) >>> 0);
}

function classifyIpv4(v: number): IpClass {
  if (inV4(v, '0.0.0.0', 8)) return 'unspecified';
  if (inV4(v, '127.0.0.0', 8)) return 'loopback';
  // AWS/GCP/Azure/OCI metadata; Alibaba's sits inside CGNAT space, which would otherwise pass as merely 'private'
  // and so be reachable with allowInsecure.
  if (v === parseIpv4('169.254.169.254') || v === parseIpv4('100.100.100.200')) return 'metadata';
  if (inV4(v, '169.254.0.0', 16)) return 'link-local';
  if (inV4(v, '10.0.0.0', 8) || inV4(v, '172.16.0.0', 12) || inV4(v, '192.168.0.0', 16)) return 'private';
  if (inV4(v, '100.64.0.0', 10)) return 'private'; // CGNAT: not routable from outside, so only internal hosts live there
  if (inV4(v, '224.0.0.0', 4)) return 'multicast';
  if (
    inV4(v, '240.0.0.0', 4) || // future use, includes 255.255.255.255 broadcast
    inV4(v, '198.18.0.0', 15) || // benchmarking
    inV4(v, '192.0.2.0', 24) || // TEST-NET-1
    inV4(v, '198.51.100.0', 24) || // TEST-NET-2
    inV4(v, '203.0.113.0', 24) || // TEST-NET-3
    inV4(v, '192.0.0.0', 24) || // IETF protocol assignments
    inV4(v, '192.88.99.0', 24) // deprecated 6to4 relay anycast
  )
    return 'reserved';
  return 'public';
}

/** Parses a syntactically valid IPv6 address (already checked by net.isIP) into a 128-bit integer. */
function parseIpv6(ip: string): bigint {
  let s = ip;
  const zone = s.indexOf('%'); // fe80::1%eth0: the zone names an interface, not part of the address
  if (zone >= 0) s = s.slice(0, zone);
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) >= 0) {
    // Trailing dotted quad (::ffff:10.0.0.1): rewrite as two hex groups so one parser handles both spellings.
    const v4 = parseIpv4(s.slice(lastColon + 1));
    s = `${s.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = s.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const groups = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

function inV6(v: bigint, base: string, bits: number): boolean {
  const shift = BigInt(128 - bits);
  return v >> shift === parseIpv6(base) >> shift;
}

const LOW32 = 0xffffffffn;

function classifyIpv6(v: bigint): IpClass {
  if (v === 0n) return 'unspecified';
  if (v === 1n) return 'loopback';
  // Addresses that carry an IPv4 address reach that IPv4 host, so they take its class: IPv4-mapped (what a
  // dual-stack socket shows), NAT64 well-known prefix (a NAT64 gateway forwards to the embedded address) and 6to4.
  if (inV6(v, '::ffff:0:0', 96)) return classifyIpv4(Number(v & LOW32));
  if (inV6(v, '64:ff9b::', 96)) return classifyIpv4(Number(v & LOW32));
  if (inV6(v, '2002::', 16)) return classifyIpv4(Number((v >> 80n) & LOW32));
  if (inV6(v, '::', 96)) return 'reserved'; // deprecated IPv4-compatible addresses (::a.b.c.d)
  if (v === parseIpv6('fd00:ec2::254')) return 'metadata'; // AWS IMDS over IPv6 (inside fc00::/7, so checked first)
  if (inV6(v, 'fc00::', 7)) return 'private'; // unique local
  if (inV6(v, 'fe80::', 10)) return 'link-local';
  if (inV6(v, 'fec0::', 10)) return 'private'; // deprecated site-local, still means "this site"
  if (inV6(v, 'ff00::', 8)) return 'multicast';
  if (
    inV6(v, '2001:db8::', 32) || // documentation
    inV6(v, '3fff::', 20) || // documentation (RFC 9637)
    inV6(v, '2001::', 23) || // IETF protocol assignments: Teredo, benchmarking, ORCHID
    inV6(v, '100::', 64) // discard-only
  )
    return 'reserved';
  // Only 2000::/3 is allocated as global unicast; anything else outside the ranges above is unassigned.
  if (!inV6(v, '2000::', 3)) return 'reserved';
  return 'public';
}

/**
 * The class of an IPv4 or IPv6 address (IPv6 may be bracketed or carry a zone id). Throws on anything that is not
 * an IP address: callers either know they hold one or go through `addressRefusal`, which refuses instead.
 */
export function classifyIp(ip: string): IpClass {
  const bare = ip.startsWith('[') && ip.endsWith(']') ? ip.slice(1, -1) : ip;
  const version = isIP(bare);
  if (version === 4) return classifyIpv4(parseIpv4(bare));
  if (version === 6) return classifyIpv6(parseIpv6(bare));
  throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
}

/** Whether the policy lets us connect to an address of this class. */
export function isClassAllowed(cls: IpClass, policy: TargetPolicy): boolean {
  if (ALWAYS_REFUSED.has(cls)) return false;
  if (INSECURE_ONLY.has(cls)) return policy.allowInsecure;
  return true;
}

/** Null when the address may be contacted, else why not ("a private address"); non-addresses are refused. */
export function addressRefusal(ip: string, policy: TargetPolicy): string | null {
  let cls: IpClass;
  try {
    cls = classifyIp(ip);
  } catch {
    return 'not an IP address';
  }
  return isClassAllowed(cls, policy) ? null : CLASS_NOUN[cls];
}

/**
 * Host names that mean "this machine" or "the metadata service" whatever DNS says: refusing them by name gives a
 * clear registration error and does not depend on the resolver (`localhost` is often answered from /etc/hosts).
 * `.internal` is the ICANN-reserved private-use TLD (and what GCP/Docker use for internal names), so it counts as
 * private. Returns null for ordinary names.
 */
function hostNameClass(hostname: string): IpClass | null {
  const h = hostname.toLowerCase().replace(/\.$/, ''); // "localhost." is the same name as "localhost"
  if (h === 'metadata.google.internal' || h === 'metadata') return 'metadata';
  if (h === 'localhost' || h.endsWith('.localhost')) return 'loopback';
  if (h === 'internal' || h.endsWith('.internal')) return 'private';
  return null;
}

/** The URL's host without IPv6 brackets. */
function bareHost(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

// ---------------------------------------------------------------------------------------------------------------
// Registration-time validation

function allowedText(policy: TargetPolicy): string {
  return policy.allowInsecure
    ? `Postback URLs must be absolute http:// or https:// URLs of at most ${MAX_TARGET_URL_LENGTH} characters, ` +
        'without user:password@, and must not point to link-local, cloud metadata, multicast, unspecified or ' +
        'reserved addresses.'
    : `Postback URLs must be absolute https:// URLs of at most ${MAX_TARGET_URL_LENGTH} characters, without ` +
        'user:password@, pointing to a public host (not localhost, private, link-local or cloud metadata addresses).';
}

/**
 * Checks a postback URL's syntax and literal host (no DNS) and returns it parsed. Throws BAD_USER_INPUT with reason
 * `postback.url_invalid`; the message says what was wrong and what is allowed.
 */
export function validateTargetUrl(url: string, policy: TargetPolicy, param = 'input.url'): URL {
  const fail = (problem: string) => badInput(`${problem} ${allowedText(policy)}`, param, REASON);

  if (url.length > MAX_TARGET_URL_LENGTH) throw fail(`The URL is ${url.length} characters long.`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw fail('The URL is not an absolute URL.');
  }
  const httpOk = policy.allowInsecure && parsed.protocol === 'http:';
  if (parsed.protocol !== 'https:' && !httpOk) throw fail(`The URL uses ${parsed.protocol}//.`);
  // Credentials in the URL would be stored and shown in plain text, and logged with every delivery; the signing
  // secret is how a receiver authenticates us.
  if (parsed.username !== '' || parsed.password !== '') throw fail('The URL contains credentials.');
  const host = bareHost(parsed);
  if (host === '') throw fail('The URL has no host.');

  if (isIP(host)) {
    const refusal = addressRefusal(host, policy);
    if (refusal) throw fail(`${host} is ${refusal}.`);
  } else {
    const cls = hostNameClass(host);
    if (cls && !isClassAllowed(cls, policy)) throw fail(`${host} is ${CLASS_NOUN[cls].replace('address', 'host')}.`);
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------------------------
// Delivery-time check

const defaultLookup: LookupFn = (host) => dns.lookup(host, { all: true });

/**
 * Resolves the URL's host and checks every answer. On success the caller must connect to one of `addresses` (all
 * checked; `address` is the first), keeping the URL's host name for TLS SNI and the Host header; on refusal `reason`
 * is a sentence fragment for the delivery log: "resolves to 10.0.0.5, a private address".
 */
export async function resolveAndCheck(
  url: URL,
  policy: TargetPolicy,
  lookup: LookupFn = defaultLookup,
): Promise<{ ok: true; address: string; addresses: string[] } | { ok: false; reason: string }> {
  const host = bareHost(url);
  if (isIP(host)) {
    const refusal = addressRefusal(host, policy);
    return refusal ? { ok: false, reason: `${host} is ${refusal}` } : { ok: true, address: host, addresses: [host] };
  }
  // Re-checked here as well as at registration: the policy may have changed since (allowInsecure switched off).
  const nameClass = hostNameClass(host);
  if (nameClass && !isClassAllowed(nameClass, policy))
    return { ok: false, reason: `${host} is ${CLASS_NOUN[nameClass].replace('address', 'host')}` };

  let answers: { address: string; family: number }[];
  try {
    answers = await lookup(host);
  } catch (err) {
    const code = (err as { code?: unknown })?.code;
    const detail = typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
    return { ok: false, reason: `could not resolve ${host} (${detail})` };
  }
  if (answers.length === 0) return { ok: false, reason: `${host} resolves to no address` };
  for (const { address } of answers) {
    const refusal = addressRefusal(address, policy);
    if (refusal) return { ok: false, reason: `resolves to ${address}, ${refusal}` };
  }
  const addresses = [...new Set(answers.map((a) => a.address))];
  return { ok: true, address: addresses[0], addresses };
}

/**
 * A `lookup` for `http.request` / `net.connect` that answers only the addresses `resolveAndCheck` checked, so the
 * socket cannot reach a second, different DNS answer. It keeps Node's lookup contract: with `options.all` (what
 * Node 20's connect asks for, because it tries IPv6 and IPv4 in turn: autoSelectFamily) the callback gets a list
 * `[{ address, family }]`; without it, one `address, family`. Answering one address to an `all` request makes
 * Node fail with "Invalid IP address: undefined". Node never calls it for an IP-literal host (nothing to resolve).
 */
export function pinnedLookup(addresses: readonly string[]): LookupFunction {
  const pinned: LookupAddress[] = addresses.map((address) => ({ address, family: isIP(address) }));
  return (hostname: string, options: LookupOptions, callback) => {
    const family = options?.family === 'IPv4' ? 4 : options?.family === 'IPv6' ? 6 : (options?.family ?? 0);
    const usable = family === 4 || family === 6 ? pinned.filter((a) => a.family === family) : pinned;
    if (usable.length === 0) {
      const err: NodeJS.ErrnoException = new Error(`${hostname} has no checked IPv${family} address`);
      err.code = 'ENOTFOUND';
      process.nextTick(callback, err, options?.all ? [] : '', undefined);
      return;
    }
    // Asynchronous like dns.lookup: net sets up its handlers after calling lookup.
    if (options?.all) process.nextTick(callback, null, usable.map((a) => ({ ...a })));
    else process.nextTick(callback, null, usable[0].address, usable[0].family);
  };
}

import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import { EnvReader } from './config';

const compiledTrust = new WeakMap<string[], ReturnType<typeof proxyaddr.compile>>();

/** `::ffff:1.2.3.4` is how a dual-stack socket reports an IPv4 client; use the IPv4. */
function unmapIPv4(ip: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  return m ? m[1] : ip;
}

/**
 * The client's IP. X-Forwarded-For is anyone's to write, so it is believed only hop by
 * hop through trusted proxies: the answer is the right-most address that is not a
 * trusted proxy (proxy-addr). `trustedProxies` holds IPs, CIDRs or 'loopback',
 * 'linklocal', 'uniquelocal'; an invalid entry throws (a configuration error).
 */
export function clientIp(
  remoteAddress: string | undefined,
  forwardedFor: string | string[] | undefined,
  trustedProxies: string[],
): string | null {
  // No socket address (the connection is already gone): nothing vouches for the header.
  if (!remoteAddress) return null;
  let trust = compiledTrust.get(trustedProxies);
  if (!trust) {
    trust = proxyaddr.compile(trustedProxies);
    compiledTrust.set(trustedProxies, trust);
  }
  const header = Array.isArray(forwardedFor) ? forwardedFor.join(', ') : forwardedFor;
  const req = {
    socket: { remoteAddress },
    connection: { remoteAddress },
    headers: header === undefined ? {} : { 'x-forwarded-for': header },
  };
  const ip = unmapIPv4(proxyaddr(req as unknown as IncomingMessage, trust).trim());
  // A trusted proxy that forwarded `unknown` or a port-suffixed entry gives no usable IP.
  return isIP(ip) ? ip : null;
}

/**
 * TRUSTED_PROXIES: comma-separated IPs, CIDRs or loopback/linklocal/uniquelocal whose
 * X-Forwarded-For is believed. A bad entry is a start-up problem naming the variable.
 */
export function readTrustedProxies(env: EnvReader, fallback: string): string[] {
  const trusted = env
    .string('TRUSTED_PROXIES', fallback)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  try {
    proxyaddr.compile(trusted);
  } catch (err) {
    env.problems.push(`TRUSTED_PROXIES must be IPs, CIDRs or loopback/linklocal/uniquelocal, comma-separated: ${(err as Error).message}`);
  }
  return trusted;
}

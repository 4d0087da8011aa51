import { createHash } from 'node:crypto';

/**
 * A visitor's fingerprint: SHA-256 hex of `ip + "\n" + userAgent`. The fallback
 * attribution signal when an event arrives without a click id. It lives here, not in
 * either subgraph, because the links subgraph (on the click) and the events subgraph
 * (on the event) must compute exactly the same value for the same visitor; hashing also
 * keeps the raw IP out of the lookup column.
 *
 * Null when either part is missing: an IP alone would lump a whole office or carrier NAT
 * together, and a user agent alone matches thousands of strangers.
 */
export function fingerprint(ip: string | null | undefined, userAgent: string | null | undefined): string | null {
  const i = typeof ip === 'string' ? ip.trim() : '';
  const ua = typeof userAgent === 'string' ? userAgent.trim() : '';
  if (!i || !ua) return null;
  // The newline cannot occur in either part (it ends an HTTP header), so the join is unambiguous.
  return createHash('sha256').update(`${i}\n${ua}`, 'utf8').digest('hex');
}

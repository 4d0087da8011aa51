import { createHmac, timingSafeEqual } from 'node:crypto';
import { bytesToUlid, hasPrefix, ulidToBytes } from './ids';

/**
 * The click id a visitor carries (click-id cookie and redirect query parameter).
 *
 * It names the click, its link and its partner, so the events subgraph can attribute an
 * event without a call to the links subgraph, and it is MACed so a visitor cannot put
 * someone else's partner id in it. The tenant is in the MAC but not in the payload: the
 * tracking request already says which tenant it is for, and one tenant's click id must
 * never verify for another tenant.
 *
 *   clk_<click ulid>.base64url( version 1 | link ulid 16 | partner ulid 16 | mac 12 )
 *   mac = first 12 bytes of HMAC-SHA256(secret, tenantId | 0x00 | version | click | link | partner)
 *
 * The click's ULID comes first in plain text so click ids sort by time like every other
 * id (lists page on the id).
 */
export interface ClickRef {
  clickUlid: string;
  /** `ln_<ulid>` */
  linkId: string;
  /** `prt_<ulid>` */
  partnerId: string;
}

const PREFIX = 'clk_';
const VERSION = 1;
/** 96 bits: forging one needs ~2^96 tries against a server that answers one at a time. */
const MAC_BYTES = 12;
/** What follows the dot: version, link, partner, mac. */
const TAIL_BYTES = 1 + 16 * 2 + MAC_BYTES;
/** base64url without padding of 45 bytes. */
const ENCODED_CHARS = Math.ceil((TAIL_BYTES * 4) / 3);
const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;
const BASE64URL_RE = /^[A-Za-z0-9_-]+$/;

function mac(secret: string, tenantId: string, payload: Buffer): Buffer {
  // The 0x00 separator keeps tenant "ab" + payload "c..." apart from tenant "abc" + "...".
  return createHmac('sha256', secret)
    .update(tenantId, 'utf8')
    .update(Buffer.of(0))
    .update(payload)
    .digest()
    .subarray(0, MAC_BYTES);
}

export function encodeClickId(ref: ClickRef, tenantId: string, secret: string): string {
  // An empty key would make every click id forgeable by anyone who reads this file.
  if (!secret) throw new Error('a click id secret is required');
  if (!tenantId) throw new Error('a click id needs a tenant');
  if (!hasPrefix(ref.linkId, 'ln')) throw new Error(`not a link id: ${ref.linkId}`);
  if (!hasPrefix(ref.partnerId, 'prt')) throw new Error(`not a partner id: ${ref.partnerId}`);
  const link = ulidToBytes(ref.linkId.slice(3));
  const partner = ulidToBytes(ref.partnerId.slice(4));
  const payload = Buffer.concat([Buffer.of(VERSION), ulidToBytes(ref.clickUlid), link, partner]);
  const tail = Buffer.concat([Buffer.of(VERSION), link, partner, mac(secret, tenantId, payload)]);
  return `${PREFIX}${ref.clickUlid}.${tail.toString('base64url')}`;
}

/** The ref of a genuine click id of this tenant, or null for anything else. */
export function decodeClickId(clickId: string, tenantId: string, secrets: string[]): ClickRef | null {
  if (typeof clickId !== 'string' || !clickId.startsWith(PREFIX) || !tenantId) return null;
  const [clickUlid, body, ...rest] = clickId.slice(PREFIX.length).split('.');
  if (rest.length || !clickUlid || !body || !ULID_RE.test(clickUlid)) return null;
  // Buffer.from(_, 'base64url') skips characters it does not know instead of failing.
  if (body.length !== ENCODED_CHARS || !BASE64URL_RE.test(body)) return null;
  const bytes = Buffer.from(body, 'base64url');
  // The last character has spare bits: insist on the one canonical spelling so a click
  // id cannot be varied while still verifying (it is used as a key downstream).
  if (bytes.length !== TAIL_BYTES || bytes.toString('base64url') !== body) return null;
  if (bytes[0] !== VERSION) return null;
  const link = bytes.subarray(1, 17);
  const partner = bytes.subarray(17, 33);
  const payload = Buffer.concat([Buffer.of(VERSION), ulidToBytes(clickUlid), link, partner]);
  const given = bytes.subarray(33);
  // Several secrets so a rotation does not orphan the click ids already in cookies.
  let ok = false;
  for (const secret of secrets) {
    if (secret && timingSafeEqual(mac(secret, tenantId, payload), given)) ok = true;
  }
  if (!ok) return null;
  return { clickUlid, linkId: `ln_${bytesToUlid(link)}`, partnerId: `prt_${bytesToUlid(partner)}` };
}

/** When the click happened: a ULID starts with its 48-bit millisecond timestamp. */
export function clickTime(clickUlid: string): Date {
  return new Date(ulidToBytes(clickUlid).readUIntBE(0, 6));
}

import { createHash } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const ULID_RE = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

/** The creation time a ULID-bodied id (`evt_01J...`) carries in its first 10 characters; null for any other id. */
export function idTime(id: string): Date | null {
  const body = id.slice(id.indexOf('_') + 1);
  if (!ULID_RE.test(body)) return null;
  let ms = 0;
  for (const ch of body.slice(0, 10)) ms = ms * 32 + ALPHABET.indexOf(ch);
  return new Date(ms);
}

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

/**
 * The id of the commission a source pays under one rule to one tier: `com_` + a ULID-shaped body whose time part
 * is `at` (so ids still sort by creation, as keyset pagination expects) and whose 80 other bits are a SHA-256 of
 * (source, rule, tier). The same inputs always give the same id: the commissions a `trackEvent` response computes
 * before the bus consumer has run are the rows the consumer stores, id for id.
 */
export function commissionId(sourceKey: string, ruleIndex: number, tier: number, at: Date): string {
  const digest = createHash('sha256').update(`${sourceKey}\u0000${ruleIndex}\u0000${tier}`).digest();
  let random = '';
  // 16 characters x 5 bits from the first 10 bytes of the digest.
  let acc = 0;
  let bits = 0;
  let i = 0;
  while (random.length < 16) {
    acc = (acc << 8) | digest[i++];
    bits += 8;
    while (bits >= 5 && random.length < 16) {
      bits -= 5;
      random += ALPHABET[(acc >> bits) & 31];
    }
    acc &= (1 << bits) - 1;
  }
  return `com_${encodeTime(Math.max(0, Math.min(at.getTime(), 2 ** 48 - 1)))}${random}`;
}

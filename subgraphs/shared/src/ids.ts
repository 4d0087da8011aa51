import { randomBytes } from 'node:crypto';

/**
 * Opaque prefixed ids (`prt_01J...`): a ULID body, so ids sort by creation time and
 * keyset pagination on the id is creation order. Monotonic within a process.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
let lastTime = -1;
let lastRandom: number[] = [];

function encodeTime(time: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[time % 32] + out;
    time = Math.floor(time / 32);
  }
  return out;
}

function nextRandom(time: number): number[] {
  if (time === lastTime) {
    // Same millisecond: increment the previous random part so order is preserved.
    const r = lastRandom.slice();
    for (let i = r.length - 1; i >= 0; i--) {
      if (r[i] < 31) {
        r[i]++;
        break;
      }
      r[i] = 0;
    }
    lastRandom = r;
    return r;
  }
  const bytes = randomBytes(16);
  lastTime = time;
  lastRandom = Array.from({ length: 16 }, (_, i) => bytes[i] % 32);
  return lastRandom;
}

export function ulid(now: number = Date.now()): string {
  return encodeTime(now) + nextRandom(now).map((d) => ALPHABET[d]).join('');
}

export function newId(prefix: string): string {
  return `${prefix}_${ulid()}`;
}

/** True when `id` has the given prefix and a well-formed body. */
export function hasPrefix(id: string, prefix: string): boolean {
  return id.startsWith(`${prefix}_`) && /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id.slice(prefix.length + 1));
}

/**
 * The 16 bytes a ULID stands for, for compact binary carriers (click ids). Only the
 * canonical form is accepted (upper case, no I/L/O/U aliases, first character 0-7):
 * anything else would decode to bytes that encode back to a different string, and an
 * id must have exactly one spelling.
 */
export function ulidToBytes(ulid: string): Buffer {
  if (typeof ulid !== 'string' || ulid.length !== 26) throw new Error('a ULID is 26 characters');
  const out = Buffer.alloc(16);
  // 26 characters carry 130 bits for 128: the first character holds only 3 of them.
  let acc = ALPHABET.indexOf(ulid[0]);
  if (acc < 0 || acc > 7) throw new Error('a ULID starts with 0-7');
  let bits = 3;
  let pos = 0;
  for (let i = 1; i < 26; i++) {
    const v = ALPHABET.indexOf(ulid[i]);
    if (v < 0) throw new Error(`a ULID has no character ${JSON.stringify(ulid[i])}`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[pos++] = (acc >> bits) & 0xff;
      acc &= (1 << bits) - 1;
    }
  }
  return out;
}

/** The inverse of ulidToBytes. */
export function bytesToUlid(b: Buffer): string {
  if (!Buffer.isBuffer(b) || b.length !== 16) throw new Error('a ULID is 16 bytes');
  // Two leading zero bits pad the 128 bits to 130, a whole number of characters.
  let acc = 0;
  let bits = 2;
  let out = '';
  for (const byte of b) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >> bits) & 31];
      acc &= (1 << bits) - 1;
    }
  }
  return out;
}

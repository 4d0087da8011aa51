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

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decryptPartnerToken,
  encryptPartnerId,
  generateTokenSecret,
  TokenKey,
} from '../../subgraphs/links/src/domain/partner-token';

const SOURCE = join(__dirname, '../../subgraphs/links/src/domain/partner-token.ts');
const PARTNER = 'prt_01JQ0000000000000000000002';
const KEY: TokenKey = { id: 'lek_01JQ00000000000000000000AA', secret: Buffer.alloc(32, 7) };
const OTHER: TokenKey = { id: 'lek_01JQ00000000000000000000BB', secret: Buffer.alloc(32, 9) };
const keys = new Map([
  [KEY.id, KEY.secret],
  [OTHER.id, OTHER.secret],
]);
const lookup = (id: string) => keys.get(id);

/** Replace one base64url character of the body with another valid one. */
function flipChar(token: string, index: number): string {
  const c = token[index];
  return token.slice(0, index) + (c === 'A' ? 'B' : 'A') + token.slice(index + 1);
}

describe('partner tokens', () => {
  it('round-trip the partner id', () => {
    const token = encryptPartnerId(PARTNER, KEY);
    expect(decryptPartnerToken(token, lookup)).toBe(PARTNER);
  });

  it('have the shape v1.<key id>.<iv | ciphertext | tag>', () => {
    const token = encryptPartnerId(PARTNER, KEY);
    const [v, keyId, body] = token.split('.');
    expect(v).toBe('v1');
    expect(keyId).toBe(KEY.id);
    // 12-byte iv + 30 bytes of ciphertext (GCM keeps the length) + 16-byte tag
    expect(Buffer.from(body, 'base64url')).toHaveLength(58);
    expect(token).toHaveLength(3 + KEY.id.length + 1 + 78);
  });

  it('match a fixed vector for a fixed iv (the tenant decrypts this format)', () => {
    const token = encryptPartnerId(PARTNER, KEY, Buffer.alloc(12, 1));
    // Computed independently with node:crypto; AQEB... is the iv, twelve 0x01 bytes.
    expect(token).toBe(
      'v1.lek_01JQ00000000000000000000AA.AQEBAQEBAQEBAQEBBpP96KCOpl_h5OwRQAdAAZjLJMQopwsjaAFzUlaGUAr7auQmrqaBuAE9K_rEiA',
    );
    expect(decryptPartnerToken(token, lookup)).toBe(PARTNER);
  });

  it('are URL-safe', () => {
    for (let i = 0; i < 100; i++) {
      const token = encryptPartnerId(`prt_${i}`, KEY);
      expect(token).toMatch(/^[A-Za-z0-9._-]+$/);
      expect(encodeURIComponent(token)).toBe(token);
    }
  });

  it('differ for two encryptions of the same id, and both decrypt', () => {
    const a = encryptPartnerId(PARTNER, KEY);
    const b = encryptPartnerId(PARTNER, KEY);
    expect(a).not.toBe(b);
    expect(decryptPartnerToken(a, lookup)).toBe(PARTNER);
    expect(decryptPartnerToken(b, lookup)).toBe(PARTNER);
  });

  it('are null when any character of the body is altered', () => {
    const token = encryptPartnerId(PARTNER, KEY);
    const bodyStart = token.lastIndexOf('.') + 1;
    for (let i = bodyStart; i < token.length; i++) {
      expect(decryptPartnerToken(flipChar(token, i), lookup)).toBeNull();
    }
  });

  it('are null when a byte of the ciphertext is flipped', () => {
    const token = encryptPartnerId(PARTNER, KEY);
    const [v, id, body] = token.split('.');
    const raw = Buffer.from(body, 'base64url');
    raw[20] ^= 0x01;
    expect(decryptPartnerToken(`${v}.${id}.${raw.toString('base64url')}`, lookup)).toBeNull();
  });

  it('are null under the wrong key', () => {
    const token = encryptPartnerId(PARTNER, KEY);
    expect(decryptPartnerToken(token, () => OTHER.secret)).toBeNull();
    expect(decryptPartnerToken(token, () => undefined)).toBeNull();
    expect(decryptPartnerToken(token, () => Buffer.alloc(16))).toBeNull();
  });

  it('are null when the key id in the prefix is swapped, even if that key has the same secret', () => {
    const token = encryptPartnerId(PARTNER, KEY);
    const swapped = token.replace(KEY.id, OTHER.id);
    expect(decryptPartnerToken(swapped, lookup)).toBeNull();
    // Same secret under both ids: only the AAD can tell them apart.
    expect(decryptPartnerToken(swapped, () => KEY.secret)).toBeNull();
    expect(decryptPartnerToken(token, () => KEY.secret)).toBe(PARTNER);
  });

  it.each([
    ['the empty string', ''],
    ['a referral code', 'summer2026'],
    ['another version', `v2.${KEY.id}.AAAA`],
    ['two parts', `v1.${KEY.id}`],
    ['four parts', `v1.${KEY.id}.AAAA.AAAA`],
    ['an empty key id', 'v1..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a body too short for iv and tag', `v1.${KEY.id}.${Buffer.alloc(28).toString('base64url')}`],
    ['standard base64 characters', `v1.${KEY.id}.${'+/'.repeat(30)}`],
  ])('are null for %s', (_label, token) => {
    expect(decryptPartnerToken(token, lookup)).toBeNull();
  });

  it('are null when percent-encoded or padded (only the canonical spelling)', () => {
    const token = encryptPartnerId(PARTNER, KEY);
    expect(decryptPartnerToken(`${token}=`, lookup)).toBeNull();
    expect(decryptPartnerToken(`${token}%3D`, lookup)).toBeNull();
  });

  it('refuse to encrypt with a bad key or iv', () => {
    expect(() => encryptPartnerId(PARTNER, { id: 'lek.1', secret: KEY.secret })).toThrow(/key id/);
    expect(() => encryptPartnerId(PARTNER, { id: KEY.id, secret: Buffer.alloc(16) })).toThrow('a token key secret is 32 bytes');
    expect(() => encryptPartnerId(PARTNER, KEY, Buffer.alloc(16))).toThrow('the iv is 12 bytes');
    expect(() => encryptPartnerId('', KEY)).toThrow(/empty/);
  });

  it('generateTokenSecret gives 32 fresh random bytes that work as a key', () => {
    const a = generateTokenSecret();
    const b = generateTokenSecret();
    expect(a).toHaveLength(32);
    expect(a.equals(b)).toBe(false);
    const token = encryptPartnerId(PARTNER, { id: 'lek_x', secret: a });
    expect(decryptPartnerToken(token, (id) => (id === 'lek_x' ? a : undefined))).toBe(PARTNER);
  });
});

describe("the tenant's decrypt snippet in the file header", () => {
  const text = readFileSync(SOURCE, 'utf8');
  const begin = text.indexOf('// BEGIN DECRYPT SNIPPET');
  const end = text.indexOf('// END DECRYPT SNIPPET');
  const snippet = text.slice(begin, end + '// END DECRYPT SNIPPET'.length);
  type Decrypt = (token: string, keys: Record<string, Buffer>) => string | null;
  // Run as plain JavaScript with Node's require, as the tenant's backend would.
  const decrypt = new Function('require', `${snippet}\nreturn decryptPartnerToken;`)(require) as Decrypt;

  it('is present, inside a comment, and uses only node:crypto', () => {
    expect(begin).toBeGreaterThan(-1);
    expect(end).toBeGreaterThan(begin);
    expect(text.lastIndexOf('/*', begin)).toBeGreaterThan(text.lastIndexOf('*/', begin));
    expect(snippet).not.toContain('*/');
    expect(snippet.match(/require\([^)]*\)/g)).toEqual(["require('node:crypto')"]);
  });

  it('decrypts a token made by encryptPartnerId', () => {
    const token = encryptPartnerId(PARTNER, KEY);
    expect(decrypt(token, { [KEY.id]: KEY.secret })).toBe(PARTNER);
  });

  it('decrypts a non-ASCII id, and picks the right key among several', () => {
    const token = encryptPartnerId('partner-ü-42', OTHER);
    expect(decrypt(token, { [KEY.id]: KEY.secret, [OTHER.id]: OTHER.secret })).toBe('partner-ü-42');
  });

  it('returns null for an altered token, a swapped key id, an unknown key and garbage', () => {
    const token = encryptPartnerId(PARTNER, KEY);
    const both = { [KEY.id]: KEY.secret, [OTHER.id]: KEY.secret };
    expect(decrypt(flipChar(token, token.length - 30), both)).toBeNull();
    expect(decrypt(token.replace(KEY.id, OTHER.id), both)).toBeNull();
    expect(decrypt(token, {})).toBeNull();
    expect(decrypt(token, { [KEY.id]: OTHER.secret })).toBeNull();
    expect(decrypt('v1.__proto__.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', {})).toBeNull();
    expect(decrypt('garbage', {})).toBeNull();
  });
});

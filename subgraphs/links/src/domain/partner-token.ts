/*
 * How the tenant's backend decrypts a token
 *
 * A link made with "encrypt partner id" carries `Formx=<token>` instead of `ref=<code>`,
 * so the partner id is not readable (or editable) in the URL, yet the tenant's own
 * backend can recover it without calling us. A token is
 *
 *   v1.<key id>.<base64url( iv 12 bytes | ciphertext | GCM tag 16 bytes )>
 *
 * AES-256-GCM with the additional authenticated data `v1.<key id>` (ASCII). The tenant
 * gets each key's 32-byte secret once, and keeps old keys until their links are retired.
 * The function below needs only Node's own crypto module; `keys` maps a key id to its
 * 32-byte secret as a Buffer (for instance Buffer.from(secretBase64, 'base64')). It
 * returns the partner id, or null for a token that is malformed, for an unknown key, or
 * was altered in any way.
 *
 * The test suite runs the code between the markers verbatim, so this copy cannot rot.
 */
/*
// BEGIN DECRYPT SNIPPET
const crypto = require('node:crypto');

function decryptPartnerToken(token, keys) {
  const parts = String(token).split('.');
  if (parts.length !== 3 || parts[0] !== 'v1') return null;
  const keyId = parts[1];
  if (!Object.prototype.hasOwnProperty.call(keys, keyId)) return null;
  const raw = Buffer.from(parts[2], 'base64url');
  if (raw.length < 12 + 16 + 1) return null;
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', keys[keyId], raw.subarray(0, 12));
    decipher.setAAD(Buffer.from('v1.' + keyId, 'ascii'));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
    return plain.toString('utf8');
  } catch (err) {
    return null; // wrong key, or the token was altered
  }
}

// const partnerId = decryptPartnerToken(req.query.Formx, { 'lek_01JQ...': Buffer.from('<secret>', 'base64') });
// END DECRYPT SNIPPET
*/
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface TokenKey {
  /** e.g. `lek_01...`; it travels in the token so the tenant knows which secret to use. */
  id: string;
  /** 32 bytes (AES-256). */
  secret: Buffer;
}

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The key id sits between dots in a URL: no dot, nothing that needs escaping. */
const KEY_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64URL_RE = /^[A-Za-z0-9_-]+$/;

/** The AAD binds the ciphertext to its key id: a token cannot be relabelled to another key. */
function aad(keyId: string): Buffer {
  return Buffer.from(`${VERSION}.${keyId}`, 'ascii');
}

export function encryptPartnerId(partnerId: string, key: TokenKey, iv: Buffer = randomBytes(IV_BYTES)): string {
  if (!partnerId) throw new Error('nothing to encrypt: the partner id is empty');
  if (!KEY_ID_RE.test(key.id)) throw new Error(`a token key id is 1-64 characters of A-Z a-z 0-9 _ -: ${key.id}`);
  if (key.secret.length !== 32) throw new Error('a token key secret is 32 bytes');
  // GCM with a repeated iv under one key leaks the XOR of plaintexts and the MAC key:
  // callers pass one only for reproducible tests.
  if (iv.length !== IV_BYTES) throw new Error('the iv is 12 bytes');
  const cipher = createCipheriv('aes-256-gcm', key.secret, iv);
  cipher.setAAD(aad(key.id));
  const ciphertext = Buffer.concat([cipher.update(partnerId, 'utf8'), cipher.final()]);
  const body = Buffer.concat([iv, ciphertext, cipher.getAuthTag()]).toString('base64url');
  return `${VERSION}.${key.id}.${body}`;
}

/** The partner id in a token, or null when it is malformed, its key is unknown, or it was altered. */
export function decryptPartnerToken(token: string, lookup: (keyId: string) => Buffer | undefined): string | null {
  if (typeof token !== 'string') return null;
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) return null;
  const [, keyId, body] = parts;
  if (!KEY_ID_RE.test(keyId) || !BASE64URL_RE.test(body)) return null;
  const raw = Buffer.from(body, 'base64url');
  // Buffer.from skips what it does not understand; only the canonical spelling is a token.
  if (raw.toString('base64url') !== body || raw.length < IV_BYTES + 1 + TAG_BYTES) return null;
  const secret = lookup(keyId);
  if (!secret || secret.length !== 32) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', secret, raw.subarray(0, IV_BYTES));
    decipher.setAAD(aad(keyId));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
    return plain.toString('utf8');
  } catch {
    // final() throws when the tag does not authenticate: wrong key or altered token.
    return null;
  }
}

export function generateTokenSecret(): Buffer {
  return randomBytes(32);
}

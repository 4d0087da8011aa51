// BEGIN VERIFY SNIPPET
/*
const crypto = require('node:crypto');

// Verifies a postback delivery (Standard Webhooks, https://www.standardwebhooks.com).
//   secret:    the endpoint's signing secret, "whsec_..." (shown once, when the endpoint was created).
//   headers:   the request headers, as Node's req.headers (lower-case names) or a fetch Headers object.
//   rawBody:   the request body exactly as received (string or Buffer), BEFORE any JSON parsing: re-serialising a
//              parsed body changes the bytes and the signature no longer matches.
// Returns true for an authentic delivery signed within toleranceSeconds of now, false otherwise (bad or missing
// headers, wrong signature, stale or future timestamp). Throws a TypeError only when rawBody is neither a string
// nor a Buffer, which is a mistake in the calling code rather than a bad delivery.
function verifyWebhook(secret, headers, rawBody, toleranceSeconds = 300) {
  if (typeof rawBody !== 'string' && !Buffer.isBuffer(rawBody)) {
    throw new TypeError('verifyWebhook needs the raw request body (string or Buffer), not a parsed object');
  }
  const header = (name) => (typeof headers.get === 'function' ? headers.get(name) : headers[name]);
  const id = header('webhook-id');
  const timestamp = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  if (!/^\d+$/.test(timestamp)) return false;
  // The timestamp is signed too, so an attacker cannot refresh it: this bounds how long a captured request replays.
  if (Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp)) > toleranceSeconds) return false;
  const key = Buffer.from(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret, 'base64');
  const expected = crypto.createHmac('sha256', key).update(id + '.' + timestamp + '.').update(rawBody).digest();
  // Several space-separated signatures while the sender rotates its secret: any one of them may match.
  return signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',');
    if (version !== 'v1' || !value) return false;
    const actual = Buffer.from(value, 'base64');
    return actual.length === expected.length && crypto.timingSafeEqual(actual, expected);
  });
}
*/
// END VERIFY SNIPPET

import { createHmac, randomBytes } from 'node:crypto';

/**
 * Postback signing per Standard Webhooks (https://www.standardwebhooks.com), so receivers can verify deliveries
 * with the snippet above or any of that specification's libraries instead of something bespoke to us.
 *
 * Signed content is `${msgId}.${timestamp}.${body}`: the id lets receivers deduplicate retries safely and the
 * timestamp bounds replays, and both are only trustworthy because they are inside the HMAC.
 */

const SECRET_PREFIX = 'whsec_';
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes (256 bits: as strong as SHA-256's output). */
export function generateSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

/**
 * The HMAC key of a secret. The `whsec_` prefix is optional, as in the reference libraries; anything that is not
 * strict base64 throws, because Buffer.from(…, 'base64') would otherwise silently skip bad characters and sign
 * with a key no receiver can reproduce.
 */
function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) throw new Error('signing secret is not whsec_ + base64');
  return Buffer.from(encoded, 'base64');
}

/** One signature: `v1,` + base64(HMAC-SHA256(key, `${msgId}.${timestampSeconds}.${body}`)). */
export function sign(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0)
    throw new Error(`timestamp must be whole seconds since the epoch, got ${timestampSeconds}`);
  const mac = createHmac('sha256', secretKey(secret)).update(`${msgId}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/**
 * The `webhook-signature` value: one signature per secret, space-separated, so that during a rotation receivers
 * holding either the old or the new secret accept the delivery.
 */
export function signatureHeader(secrets: string[], msgId: string, timestampSeconds: number, body: string): string {
  if (secrets.length === 0) throw new Error('at least one signing secret is required');
  return secrets.map((s) => sign(s, msgId, timestampSeconds, body)).join(' ');
}

/** The headers of one delivery attempt; `body` must be sent byte-for-byte as signed. */
export function webhookHeaders(
  secrets: string[],
  msgId: string,
  body: string,
  now = new Date(),
): Record<string, string> {
  // Signed per attempt with the attempt's time, not the event's: a retry hours later must still pass receivers'
  // tolerance window, and the unchanged webhook-id is what tells them it is the same message.
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': msgId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatureHeader(secrets, msgId, timestamp, body),
    'content-type': 'application/json',
    'user-agent': 'referral-gateway-postbacks/1',
  };
}

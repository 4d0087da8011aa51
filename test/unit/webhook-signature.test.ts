import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateSigningSecret,
  sign,
  signatureHeader,
  webhookHeaders,
} from '../../subgraphs/events/src/domain/webhook-signature';

const SOURCE = join(__dirname, '../../subgraphs/events/src/domain/webhook-signature.ts');

// The Standard Webhooks specification's published test vector (also in its reference libraries' tests).
const SPEC_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SPEC_ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const SPEC_TS = 1614265330;
const SPEC_BODY = '{"test": 2432232314}';
const SPEC_SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';

// Our own fixed vector: key bytes 0x00..0x1f.
const KEY = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const SECRET_A = `whsec_${KEY.toString('base64')}`;
const SECRET_B = `whsec_${Buffer.alloc(32, 0xab).toString('base64')}`;
const BODY = '{"id":42,"eventType":"FIRST_DEPOSIT","amount":250,"currency":"EUR"}';

describe('generateSigningSecret', () => {
  test('is whsec_ + base64 of 32 random bytes, different every time', () => {
    const a = generateSigningSecret();
    const b = generateSigningSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(a).not.toBe(b);
  });
});

describe('sign', () => {
  test('reproduces the Standard Webhooks specification vector', () => {
    expect(sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY)).toBe(SPEC_SIGNATURE);
  });

  test('matches an HMAC computed independently over "msgId.timestamp.body"', () => {
    const expected = createHmac('sha256', KEY).update(`msg_1.1700000000.${BODY}`).digest('base64');
    expect(sign(SECRET_A, 'msg_1', 1700000000, BODY)).toBe(`v1,${expected}`);
    // Pinned as a literal (computed once with createHmac) so a change to the signed content shows up as a diff.
    expect(sign(SECRET_A, 'msg_1', 1700000000, '{}')).toBe('v1,fhksJF5ElKjlPoT/jtefCO5XjQPvhf7Dhf/8R1ad9yU=');
  });

  test('accepts the secret without its whsec_ prefix', () => {
    expect(sign(SPEC_SECRET.slice('whsec_'.length), SPEC_ID, SPEC_TS, SPEC_BODY)).toBe(SPEC_SIGNATURE);
  });

  test('each signed part changes the signature', () => {
    const base = sign(SECRET_A, 'msg_1', 1700000000, BODY);
    expect(sign(SECRET_A, 'msg_2', 1700000000, BODY)).not.toBe(base);
    expect(sign(SECRET_A, 'msg_1', 1700000001, BODY)).not.toBe(base);
    expect(sign(SECRET_A, 'msg_1', 1700000000, BODY + ' ')).not.toBe(base);
    expect(sign(SECRET_B, 'msg_1', 1700000000, BODY)).not.toBe(base);
  });

  test('refuses secrets that are not base64 and timestamps that are not whole seconds', () => {
    expect(() => sign('whsec_not base64!', 'm', 1, '')).toThrow('signing secret is not whsec_ + base64');
    expect(() => sign('whsec_', 'm', 1, '')).toThrow('signing secret is not whsec_ + base64');
    expect(() => sign('whsec_abc', 'm', 1, '')).toThrow('signing secret is not whsec_ + base64');
    expect(() => sign(SECRET_A, 'm', 1700000000123 / 1000, '')).toThrow(
      'timestamp must be whole seconds since the epoch, got 1700000000.123',
    );
    expect(() => sign(SECRET_A, 'm', -1, '')).toThrow('timestamp must be whole seconds since the epoch, got -1');
  });
});

describe('signatureHeader', () => {
  test('one space-separated signature per secret, in order', () => {
    const header = signatureHeader([SECRET_A, SECRET_B], 'msg_1', 1700000000, BODY);
    expect(header).toBe(`${sign(SECRET_A, 'msg_1', 1700000000, BODY)} ${sign(SECRET_B, 'msg_1', 1700000000, BODY)}`);
    expect(header.split(' ')).toHaveLength(2);
    expect(signatureHeader([SPEC_SECRET], SPEC_ID, SPEC_TS, SPEC_BODY)).toBe(SPEC_SIGNATURE);
  });

  test('needs at least one secret', () => {
    expect(() => signatureHeader([], 'msg_1', 1700000000, BODY)).toThrow('at least one signing secret is required');
  });
});

describe('webhookHeaders', () => {
  test('produces the Standard Webhooks headers with the timestamp in whole seconds', () => {
    const now = new Date('2026-03-10T14:30:00.999Z');
    expect(webhookHeaders([SECRET_A], 'msg_42', BODY, now)).toEqual({
      'webhook-id': 'msg_42',
      'webhook-timestamp': '1773153000',
      'webhook-signature': sign(SECRET_A, 'msg_42', 1773153000, BODY),
      'content-type': 'application/json',
      'user-agent': 'referral-gateway-postbacks/1',
    });
  });

  test('defaults to the current time', () => {
    const before = Math.floor(Date.now() / 1000);
    const ts = Number(webhookHeaders([SECRET_A], 'msg_1', BODY)['webhook-timestamp']);
    expect(ts).toBeGreaterThanOrEqual(before);
    expect(ts).toBeLessThanOrEqual(before + 1);
  });
});

type Verify = (
  secret: string,
  headers: unknown,
  rawBody: unknown,
  toleranceSeconds?: number,
) => boolean;

/** The receiver snippet exactly as the README will show it: the text between the markers, minus the comment. */
function snippetText(): string {
  const source = readFileSync(SOURCE, 'utf8');
  const begin = source.indexOf('// BEGIN VERIFY SNIPPET\n/*\n');
  const end = source.indexOf('*/\n// END VERIFY SNIPPET');
  expect(begin).toBe(0); // at the very top of the file
  expect(end).toBeGreaterThan(begin);
  return source.slice(begin + '// BEGIN VERIFY SNIPPET\n/*\n'.length, end);
}

function loadVerify(): Verify {
  // Plain JavaScript, run as a receiver would: with require and nothing else from this code base.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('require', `${snippetText()}\nreturn verifyWebhook;`)(require) as Verify;
}

describe('verify snippet (receiver side)', () => {
  const verifyWebhook = loadVerify();
  const headers = (secrets: string[], body = BODY, now = new Date()) => webhookHeaders(secrets, 'msg_99', body, now);

  test('is plain JavaScript that only requires node:crypto', () => {
    const text = snippetText();
    expect(text.startsWith("const crypto = require('node:crypto');\n")).toBe(true);
    expect(text.match(/require\(/g)).toEqual(['require(']);
    expect(text).toContain('function verifyWebhook(secret, headers, rawBody, toleranceSeconds = 300)');
    expect(text).not.toMatch(/: string|: number|as const|interface /);
  });

  test('accepts a valid delivery, body as string or Buffer', () => {
    const h = headers([SECRET_A]);
    expect(verifyWebhook(SECRET_A, h, BODY)).toBe(true);
    expect(verifyWebhook(SECRET_A, h, Buffer.from(BODY, 'utf8'))).toBe(true);
  });

  test('accepts the specification vector within tolerance of its timestamp', () => {
    const realNow = Date.now;
    Date.now = () => (SPEC_TS + 10) * 1000;
    try {
      const h = { 'webhook-id': SPEC_ID, 'webhook-timestamp': String(SPEC_TS), 'webhook-signature': SPEC_SIGNATURE };
      expect(verifyWebhook(SPEC_SECRET, h, SPEC_BODY)).toBe(true);
    } finally {
      Date.now = realNow;
    }
  });

  test('with two secrets (rotation) either one verifies', () => {
    const h = headers([SECRET_A, SECRET_B]);
    expect(verifyWebhook(SECRET_A, h, BODY)).toBe(true);
    expect(verifyWebhook(SECRET_B, h, BODY)).toBe(true);
    expect(verifyWebhook(generateSigningSecret(), h, BODY)).toBe(false);
  });

  test('accepts a fetch Headers object', () => {
    expect(verifyWebhook(SECRET_A, new Headers(headers([SECRET_A])), BODY)).toBe(true);
  });

  test('rejects a tampered body', () => {
    const h = headers([SECRET_A]);
    expect(verifyWebhook(SECRET_A, h, BODY.replace('250', '2500'))).toBe(false);
    expect(verifyWebhook(SECRET_A, h, JSON.stringify(JSON.parse(BODY), null, 2))).toBe(false);
  });

  test('rejects the wrong secret', () => {
    expect(verifyWebhook(SECRET_B, headers([SECRET_A]), BODY)).toBe(false);
  });

  test('rejects tampered headers', () => {
    const h = headers([SECRET_A]);
    expect(verifyWebhook(SECRET_A, { ...h, 'webhook-id': 'msg_other' }, BODY)).toBe(false);
    expect(
      verifyWebhook(SECRET_A, { ...h, 'webhook-timestamp': String(Number(h['webhook-timestamp']) - 1) }, BODY),
    ).toBe(false);
    expect(verifyWebhook(SECRET_A, { ...h, 'webhook-signature': h['webhook-signature'].replace('v1,', 'v2,') }, BODY)).toBe(
      false,
    );
  });

  test('rejects missing or malformed headers', () => {
    const h = headers([SECRET_A]);
    const { 'webhook-signature': _sig, ...noSignature } = h;
    expect(verifyWebhook(SECRET_A, noSignature, BODY)).toBe(false);
    expect(verifyWebhook(SECRET_A, { ...h, 'webhook-timestamp': '1e9' }, BODY)).toBe(false);
    expect(verifyWebhook(SECRET_A, { ...h, 'webhook-signature': 'v1,' }, BODY)).toBe(false);
    expect(verifyWebhook(SECRET_A, { ...h, 'webhook-signature': '' }, BODY)).toBe(false);
  });

  test('rejects stale and future timestamps beyond the tolerance, accepts within it', () => {
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
    expect(verifyWebhook(SECRET_A, headers([SECRET_A], BODY, minutesAgo(10)), BODY)).toBe(false);
    expect(verifyWebhook(SECRET_A, headers([SECRET_A], BODY, minutesAgo(-10)), BODY)).toBe(false);
    expect(verifyWebhook(SECRET_A, headers([SECRET_A], BODY, minutesAgo(4)), BODY)).toBe(true);
    expect(verifyWebhook(SECRET_A, headers([SECRET_A], BODY, minutesAgo(10)), BODY, 900)).toBe(true);
  });

  test('throws a TypeError for a parsed (non-raw) body', () => {
    expect(() => verifyWebhook(SECRET_A, headers([SECRET_A]), JSON.parse(BODY))).toThrow(
      new TypeError('verifyWebhook needs the raw request body (string or Buffer), not a parsed object'),
    );
  });
});

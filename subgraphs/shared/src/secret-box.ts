import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/**
 * Secrets we must be able to use again (partner-token keys, postback signing secrets)
 * are stored encrypted with SECRETS_KEY: AES-256-GCM, `v1.<base64url(iv|ciphertext|tag)>`.
 * Secrets we only need to recognise (API keys) are hashed instead.
 */
function key(masterKey: string): Buffer {
  return createHash('sha256').update(masterKey).digest();
}

export function sealSecret(plain: Buffer, masterKey: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key(masterKey), iv);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return `v1.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
}

export function openSecret(sealed: string, masterKey: string): Buffer {
  const [version, data] = sealed.split('.');
  if (version !== 'v1' || !data) throw new Error('unknown sealed secret format');
  const raw = Buffer.from(data, 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key(masterKey), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
}

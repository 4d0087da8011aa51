import { SignJWT } from 'jose';
import {
  Principal,
  PRINCIPAL_HEADER,
  Scope,
  signingKey,
  signPrincipal,
  verifyPrincipal,
  verifyPrincipalToken,
} from '../../subgraphs/shared/src/principal';

const SECRET = 'a-shared-secret-of-at-least-32-characters!';
const OTHER_SECRET = 'another-secret-that-is-also-long-enough!!';
const key = signingKey(SECRET);

/** Changes one character of the token's payload segment. */
function alterPayload(token: string): string {
  const [header, payload, signature] = token.split('.');
  const i = Math.floor(payload.length / 2);
  const swapped = payload[i] === 'A' ? 'B' : 'A';
  return [header, payload.slice(0, i) + swapped + payload.slice(i + 1), signature].join('.');
}

describe('gateway principal', () => {
  it('uses the documented header name', () => {
    expect(PRINCIPAL_HEADER).toBe('x-gateway-principal');
  });

  it('gives every token an id of its own (single use), unless asked for a reusable one, which still expires', async () => {
    const p: Principal = { tenantId: 'ten_1', scopes: ['links:read'] };
    const [a, b] = await Promise.all([signPrincipal(p, key), signPrincipal(p, key)]);
    const [va, vb] = await Promise.all([verifyPrincipalToken(a, [key]), verifyPrincipalToken(b, [key])]);
    expect(va!.jti).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(vb!.jti).not.toBe(va!.jti);
    const reusable = await verifyPrincipalToken(await signPrincipal(p, key, 600, { reusable: true }), [key]);
    expect(reusable).toMatchObject({ principal: p, jti: null });
    expect(reusable!.expiresAt).toBeGreaterThan(Date.now() + 590_000);
    expect(reusable!.expiresAt).toBeLessThanOrEqual(Date.now() + 601_000);
  });

  it('verifies what it signed: tenant, partner, scopes and credential come back', async () => {
    const principal: Principal = {
      tenantId: 'ten_1',
      partnerId: 'prt_9',
      scopes: ['links:read', 'events:write'],
      credentialId: 'key_7',
    };
    const token = await signPrincipal(principal, key);
    await expect(verifyPrincipal(token, [key])).resolves.toEqual(principal);
  });

  it('leaves partnerId and credentialId out for a tenant principal', async () => {
    const token = await signPrincipal({ tenantId: 'ten_1', scopes: ['kyc:read'] }, key);
    const verified = await verifyPrincipal(token, [key]);
    expect(verified).toEqual({ tenantId: 'ten_1', scopes: ['kyc:read'] });
    expect(verified).not.toHaveProperty('partnerId');
    expect(verified).not.toHaveProperty('credentialId');
  });

  it('derives a stable kid from the secret without exposing it', () => {
    expect(signingKey(SECRET).kid).toBe(key.kid);
    expect(key.kid).toMatch(/^[0-9a-f]{12}$/);
    expect(signingKey(OTHER_SECRET).kid).not.toBe(key.kid);
  });

  it('refuses a token signed with another secret', async () => {
    const token = await signPrincipal({ tenantId: 'ten_1', scopes: ['links:read'] }, signingKey(OTHER_SECRET));
    await expect(verifyPrincipal(token, [key])).resolves.toBeNull();
  });

  it('refuses a token signed with another secret under the trusted kid', async () => {
    const forged = await signPrincipal({ tenantId: 'ten_1', scopes: ['links:read'] }, { kid: key.kid, secret: new TextEncoder().encode(OTHER_SECRET) });
    await expect(verifyPrincipal(forged, [key])).resolves.toBeNull();
  });

  it('refuses a token with one altered character in the payload', async () => {
    const token = await signPrincipal({ tenantId: 'ten_1', scopes: ['links:read'] }, key);
    const altered = alterPayload(token);
    expect(altered).not.toBe(token);
    await expect(verifyPrincipal(token, [key])).resolves.not.toBeNull();
    await expect(verifyPrincipal(altered, [key])).resolves.toBeNull();
  });

  it('refuses a token whose payload was swapped for another tenant', async () => {
    const token = await signPrincipal({ tenantId: 'ten_1', scopes: ['links:read'] }, key);
    const [header, , signature] = token.split('.');
    const payload = Buffer.from(JSON.stringify({ tid: 'ten_2', scp: ['links:read'] })).toString('base64url');
    await expect(verifyPrincipal(`${header}.${payload}.${signature}`, [key])).resolves.toBeNull();
  });

  it('refuses an expired token', async () => {
    const expired = await new SignJWT({ tid: 'ten_1', scp: ['links:read'] })
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .setIssuer('referral-gateway')
      .setAudience('referral-subgraph')
      .setIssuedAt(Math.floor(Date.now() / 1000) - 600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 300)
      .sign(key.secret);
    await expect(verifyPrincipal(expired, [key])).resolves.toBeNull();
  });

  it('accepts the same crafted token while it is still valid (control for the expiry case)', async () => {
    const valid = await new SignJWT({ tid: 'ten_1', scp: ['links:read'] })
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .setIssuer('referral-gateway')
      .setAudience('referral-subgraph')
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + 300)
      .sign(key.secret);
    await expect(verifyPrincipal(valid, [key])).resolves.toEqual({ tenantId: 'ten_1', scopes: ['links:read'] });
  });

  it('refuses a token for another audience or issuer', async () => {
    const base = () =>
      new SignJWT({ tid: 'ten_1', scp: ['links:read'] }).setProtectedHeader({ alg: 'HS256', kid: key.kid }).setIssuedAt().setExpirationTime('60s');
    const wrongAudience = await base().setIssuer('referral-gateway').setAudience('someone-else').sign(key.secret);
    const wrongIssuer = await base().setIssuer('someone-else').setAudience('referral-subgraph').sign(key.secret);
    await expect(verifyPrincipal(wrongAudience, [key])).resolves.toBeNull();
    await expect(verifyPrincipal(wrongIssuer, [key])).resolves.toBeNull();
  });

  it('refuses a token without a tenant', async () => {
    const token = await new SignJWT({ scp: ['links:read'] })
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .setIssuer('referral-gateway')
      .setAudience('referral-subgraph')
      .setExpirationTime('60s')
      .sign(key.secret);
    await expect(verifyPrincipal(token, [key])).resolves.toBeNull();
  });

  it('returns null for a missing or empty token and for garbage', async () => {
    await expect(verifyPrincipal(undefined, [key])).resolves.toBeNull();
    await expect(verifyPrincipal('', [key])).resolves.toBeNull();
    await expect(verifyPrincipal('not.a.jwt', [key])).resolves.toBeNull();
  });

  it('accepts a token signed with the previous key during a rotation', async () => {
    const previous = signingKey(OTHER_SECRET);
    const token = await signPrincipal({ tenantId: 'ten_1', scopes: ['commissions:read'] }, previous);
    await expect(verifyPrincipal(token, [key, previous])).resolves.toEqual({ tenantId: 'ten_1', scopes: ['commissions:read'] });
    // ...and not once the previous key is retired
    await expect(verifyPrincipal(token, [key])).resolves.toBeNull();
  });

  it('drops scopes it does not know', async () => {
    const token = await signPrincipal({ tenantId: 'ten_1', scopes: ['links:read', 'admin:all', 'kyc:write'] as unknown as Scope[] }, key);
    await expect(verifyPrincipal(token, [key])).resolves.toEqual({ tenantId: 'ten_1', scopes: ['links:read', 'kyc:write'] });
  });

  it('drops non-string scopes in a crafted token', async () => {
    const token = await new SignJWT({ tid: 'ten_1', scp: ['links:read', 7, null, { s: 'kyc:read' }] })
      .setProtectedHeader({ alg: 'HS256', kid: key.kid })
      .setIssuer('referral-gateway')
      .setAudience('referral-subgraph')
      .setExpirationTime('60s')
      .sign(key.secret);
    await expect(verifyPrincipal(token, [key])).resolves.toEqual({ tenantId: 'ten_1', scopes: ['links:read'] });
  });

  it('expires a short-lived token after its ttl', async () => {
    const token = await signPrincipal({ tenantId: 'ten_1', scopes: ['links:read'] }, key, 1);
    await expect(verifyPrincipal(token, [key])).resolves.not.toBeNull();
    jest.useFakeTimers({ now: Date.now() + 5_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    try {
      await expect(verifyPrincipal(token, [key])).resolves.toBeNull();
    } finally {
      jest.useRealTimers();
    }
  });
});

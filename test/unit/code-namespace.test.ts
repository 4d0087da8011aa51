import {
  CodeHolder,
  decideReservation,
  decideSync,
  describeCollisions,
  MAX_SYNC_BATCH,
  parseKycReservation,
  parseKycSync,
  STALE_KYC_RESERVATION_MS,
} from '../../subgraphs/links/src/domain/code-namespace';
import { readReserveAnswer, readSyncAnswer, reservationsUrl } from '../../subgraphs/kyc/src/domain/code-namespace';
import { readKycConfig } from '../../subgraphs/kyc/src/config';
import { EnvReader } from '../../subgraphs/shared/src/config';

const NOW = new Date('2026-03-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const partnerHolder: CodeHolder = { ownerKind: 'partner', ownerId: 'prt_A', reservedAt: ago(1000) };
const kycHolder = (id: string, age: number): CodeHolder => ({ ownerKind: 'kyc', ownerId: id, reservedAt: ago(age) });

describe('links: who gets a referral code in the one namespace', () => {
  it('a free code is inserted for whoever asks first', () => {
    expect(decideReservation(null, { ownerKind: 'kyc', ownerId: 'rc_1' }, NOW)).toEqual({ action: 'insert' });
    expect(decideReservation(null, { ownerKind: 'partner', ownerId: 'prt_A' }, NOW)).toEqual({ action: 'insert' });
  });

  it("a partner's code (current or past) is its own to take again, and nobody else's", () => {
    expect(decideReservation(partnerHolder, { ownerKind: 'partner', ownerId: 'prt_A' }, NOW)).toEqual({ action: 'held' });
    expect(decideReservation(partnerHolder, { ownerKind: 'partner', ownerId: 'prt_B' }, NOW)).toEqual({ action: 'taken', holder: partnerHolder });
    expect(decideReservation(partnerHolder, { ownerKind: 'kyc', ownerId: 'rc_1' }, NOW)).toEqual({ action: 'taken', holder: partnerHolder });
  });

  it('a KYC code is never handed to a partner, even an old one', () => {
    const old = kycHolder('rc_1', 365 * 86_400_000);
    expect(decideReservation(old, { ownerKind: 'partner', ownerId: 'prt_A', replaces: 'rc_1' }, NOW)).toEqual({ action: 'taken', holder: old });
  });

  it('a retry of the same KYC code is idempotent (keyed by the KYC code id)', () => {
    expect(decideReservation(kycHolder('rc_1', 10), { ownerKind: 'kyc', ownerId: 'rc_1' }, NOW)).toEqual({ action: 'held' });
  });

  it('another KYC reservation is taken over only when named and at least 10 minutes old', () => {
    const young = kycHolder('rc_1', STALE_KYC_RESERVATION_MS - 1);
    const stale = kycHolder('rc_1', STALE_KYC_RESERVATION_MS);
    expect(decideReservation(young, { ownerKind: 'kyc', ownerId: 'rc_2', replaces: 'rc_1' }, NOW)).toEqual({ action: 'taken', holder: young });
    expect(decideReservation(stale, { ownerKind: 'kyc', ownerId: 'rc_2' }, NOW)).toEqual({ action: 'taken', holder: stale });
    expect(decideReservation(stale, { ownerKind: 'kyc', ownerId: 'rc_2', replaces: 'rc_9' }, NOW)).toEqual({ action: 'taken', holder: stale });
    expect(decideReservation(stale, { ownerKind: 'kyc', ownerId: 'rc_2', replaces: 'rc_1' }, NOW)).toEqual({ action: 'take-over', from: 'rc_1' });
  });

  it("kyc's start-up sync: its own codes are reserved, stray KYC reservations give way, a partner's code is a collision", () => {
    expect(decideSync(null, 'rc_1')).toBe('insert');
    expect(decideSync(kycHolder('rc_1', 0), 'rc_1')).toBe('held');
    expect(decideSync(kycHolder('rc_0', 0), 'rc_1')).toBe('replace');
    expect(decideSync(partnerHolder, 'rc_1')).toBe('collision');
  });
});

describe('links: the internal reservation endpoint reads its bodies strictly', () => {
  it('takes a KYC code of 3-64 characters and a KYC code id', () => {
    expect(parseKycReservation({ code: 'PARTNER2024', kycCodeId: 'rc_01J' })).toEqual({ ok: true, value: { code: 'PARTNER2024', kycCodeId: 'rc_01J', replaces: null } });
    expect(parseKycReservation({ code: 'x'.repeat(64), kycCodeId: 'rc_1', replaces: 'rc_0' })).toMatchObject({ ok: true });
  });

  it.each([
    [{ code: 'ab', kycCodeId: 'rc_1' }, /code must be 3-64/],
    [{ code: 'has space', kycCodeId: 'rc_1' }, /code must be/],
    [{ code: 'x'.repeat(65), kycCodeId: 'rc_1' }, /code must be/],
    [{ code: 'abc', kycCodeId: 'prt_1' }, /kycCodeId must be/],
    [{ code: 'abc', kycCodeId: 'rc_1', replaces: 5 }, /replaces must be/],
    [null, /code must be/],
  ])('refuses %j', (body, problem) => {
    const parsed = parseKycReservation(body);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problem).toMatch(problem);
  });

  it(`a sync batch holds 1-${MAX_SYNC_BATCH} codes and names the bad one`, () => {
    expect(parseKycSync({ codes: [] })).toMatchObject({ ok: false });
    expect(parseKycSync({ codes: Array.from({ length: MAX_SYNC_BATCH + 1 }, (_, i) => ({ code: `code${i}`, kycCodeId: `rc_${i}` })) })).toMatchObject({ ok: false });
    expect(parseKycSync({ codes: [{ code: 'good', kycCodeId: 'rc_1' }, { code: 'b', kycCodeId: 'rc_2' }] })).toEqual({ ok: false, problem: 'codes.1: code must be 3-64 characters of A-Z a-z 0-9 _ -' });
    expect(parseKycSync({ codes: [{ code: 'good', kycCodeId: 'rc_1' }] })).toEqual({ ok: true, value: [{ code: 'good', kycCodeId: 'rc_1' }] });
  });

  it('a collision report names each code with its partner and KYC code, and counts the rest', () => {
    const rows = Array.from({ length: 3 }, (_, i) => ({ tenantId: 'ten_a', code: `C${i}`, partnerId: `prt_${i}`, kycCodeId: `rc_${i}` }));
    expect(describeCollisions(rows, 2)).toBe('ten_a/C0 (partner prt_0, KYC code rc_0); ten_a/C1 (partner prt_1, KYC code rc_1), and 1 more');
    expect(describeCollisions(rows.slice(0, 1))).toBe('ten_a/C0 (partner prt_0, KYC code rc_0)');
  });
});

describe('kyc: asking links for a code', () => {
  it('finds the internal endpoint beside the links /graphql URL', () => {
    expect(reservationsUrl('http://links:4001/graphql')).toBe('http://links:4001/internal/code-reservations');
    expect(reservationsUrl('http://links:4001/graphql/', 'release')).toBe('http://links:4001/internal/code-reservations/release');
    expect(reservationsUrl('https://internal.example/links/graphql', 'sync')).toBe('https://internal.example/links/internal/code-reservations/sync');
  });

  it('reads yes, taken (with the holder), and anything else as unavailable', () => {
    expect(readReserveAnswer(200, { reserved: true })).toEqual({ outcome: 'reserved' });
    expect(readReserveAnswer(409, { reserved: false, holder: { kind: 'partner', id: 'prt_A', reservedAt: '2026-01-01T00:00:00.000Z' } })).toEqual({
      outcome: 'taken',
      holder: { kind: 'partner', id: 'prt_A', reservedAt: '2026-01-01T00:00:00.000Z' },
    });
    expect(readReserveAnswer(401, { error: { code: 'unauthenticated', message: 'no principal' } })).toEqual({ outcome: 'unavailable', why: 'links answered HTTP 401: unauthenticated no principal' });
    expect(readReserveAnswer(200, null)).toMatchObject({ outcome: 'unavailable' });
    expect(readReserveAnswer(409, { reserved: false })).toMatchObject({ outcome: 'unavailable' });
    expect(readReserveAnswer(502, '<html>')).toEqual({ outcome: 'unavailable', why: 'links answered HTTP 502' });
  });

  it('reads the sync answer only from a 200 with results', () => {
    expect(readSyncAnswer(200, { results: [{ kycCodeId: 'rc_1', reserved: true }, { kycCodeId: 'rc_2', reserved: false, partnerId: 'prt_A' }, { bad: 1 }] })).toEqual([
      { kycCodeId: 'rc_1', reserved: true },
      { kycCodeId: 'rc_2', reserved: false, partnerId: 'prt_A' },
    ]);
    expect(readSyncAnswer(500, { results: [] })).toBeNull();
  });

  it('LINKS_URL defaults to the local links port, must be a URL, and is required in production', () => {
    const read = (env: Record<string, string>) => {
      const e = new EnvReader(env);
      const config = readKycConfig(e, { standalone: true });
      return { linksUrl: config.linksUrl, problems: e.problems };
    };
    const secret = { PRINCIPAL_SECRET: 's'.repeat(32) };
    expect(read(secret)).toEqual({ linksUrl: 'http://localhost:4001/graphql', problems: [] });
    expect(read({ ...secret, LINKS_URL: 'http://links:4001/graphql' })).toEqual({ linksUrl: 'http://links:4001/graphql', problems: [] });
    expect(read({ ...secret, LINKS_URL: 'links:4001' }).problems).toEqual(['LINKS_URL must be a http:// or https:// URL; got "links:4001"']);
    const production = read({ ...secret, NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x', REDIS_URL: 'redis://r:6379' });
    expect(production.problems).toEqual([expect.stringMatching(/^LINKS_URL is required when NODE_ENV=production/)]);
  });
});

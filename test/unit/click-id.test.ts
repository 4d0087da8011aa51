import { ClickRef, clickTime, decodeClickId, encodeClickId } from '../../subgraphs/shared/src/click-id';
import { newId, ulid } from '../../subgraphs/shared/src/ids';

const TENANT = 'ten_01JQ0000000000000000000000';
const SECRET = 'click-secret-2026';

function ref(): ClickRef {
  return { clickUlid: ulid(1773312300000), linkId: newId('ln'), partnerId: newId('prt') };
}

/** Replace one base64url character of the body with another valid one. */
function flipChar(id: string, index: number): string {
  const c = id[index];
  return id.slice(0, index) + (c === 'A' ? 'B' : 'A') + id.slice(index + 1);
}

describe('click ids', () => {
  it('round-trip the click, link and partner', () => {
    const r = ref();
    const id = encodeClickId(r, TENANT, SECRET);
    expect(id.startsWith('clk_')).toBe(true);
    expect(decodeClickId(id, TENANT, [SECRET])).toEqual(r);
  });

  it('decode a fixed vector to fixed ids (the format is a contract between subgraphs)', () => {
    const r: ClickRef = {
      clickUlid: '01JQ1234567890ABCDEFGHJKMN',
      linkId: 'ln_01JQ0000000000000000000001',
      partnerId: 'prt_01JQ0000000000000000000002',
    };
    const id = encodeClickId(r, TENANT, SECRET);
    expect(id).toHaveLength(91);
    // The click ULID in plain text (so ids sort by time), then version byte 1 ('AQ' in base64url), link, partner, MAC.
    expect(id.slice(0, 33)).toBe('clk_01JQ1234567890ABCDEFGHJKMN.AQ');
    const bytes = Buffer.from(id.slice(31), 'base64url');
    expect(bytes).toHaveLength(45);
    expect(bytes[0]).toBe(1);
    expect(decodeClickId(id, TENANT, [SECRET])).toEqual(r);
    // Deterministic: same ref, tenant and secret give the same id.
    expect(encodeClickId(r, TENANT, SECRET)).toBe(id);
  });

  it('stay under 100 characters, use only URL- and cookie-safe characters and sort by click time', () => {
    const ids: string[] = [];
    for (let i = 0; i < 50; i++) {
      const id = encodeClickId({ ...ref(), clickUlid: ulid(1773312300000 + i) }, TENANT, SECRET);
      expect(id.length).toBeLessThan(100);
      expect(id).toMatch(/^clk_[0-9A-Z]{26}\.[A-Za-z0-9_-]+$/);
      ids.push(id);
    }
    expect([...ids].sort()).toEqual(ids);
  });

  it('are null when any byte is tampered with', () => {
    const id = encodeClickId(ref(), TENANT, SECRET);
    // Every position of the body: version, the three ids and the MAC.
    for (let i = 4; i < id.length; i++) {
      expect(decodeClickId(flipChar(id, i), TENANT, [SECRET])).toBeNull();
    }
  });

  it('are null when a partner id is swapped in from another click id', () => {
    const a = Buffer.from(encodeClickId(ref(), TENANT, SECRET).slice(4), 'base64url');
    const b = Buffer.from(encodeClickId(ref(), TENANT, SECRET).slice(4), 'base64url');
    b.copy(a, 33, 33, 49);
    expect(decodeClickId(`clk_${a.toString('base64url')}`, TENANT, [SECRET])).toBeNull();
  });

  it('are null for another tenant', () => {
    const id = encodeClickId(ref(), TENANT, SECRET);
    expect(decodeClickId(id, 'ten_01JQ0000000000000000000099', [SECRET])).toBeNull();
    expect(decodeClickId(id, '', [SECRET])).toBeNull();
  });

  it('are null for another secret, and for no secret at all', () => {
    const id = encodeClickId(ref(), TENANT, SECRET);
    expect(decodeClickId(id, TENANT, ['another-secret'])).toBeNull();
    expect(decodeClickId(id, TENANT, [])).toBeNull();
    expect(decodeClickId(id, TENANT, [''])).toBeNull();
  });

  it('still verify with the old secret after a rotation', () => {
    const r = ref();
    const old = encodeClickId(r, TENANT, 'old-secret');
    const fresh = encodeClickId(r, TENANT, 'new-secret');
    expect(old).not.toBe(fresh);
    expect(decodeClickId(old, TENANT, ['new-secret', 'old-secret'])).toEqual(r);
    expect(decodeClickId(fresh, TENANT, ['new-secret', 'old-secret'])).toEqual(r);
    // Once the old secret is retired its ids stop verifying.
    expect(decodeClickId(old, TENANT, ['new-secret'])).toBeNull();
  });

  it('are null for a wrong version byte even with a valid MAC shape', () => {
    const bytes = Buffer.from(encodeClickId(ref(), TENANT, SECRET).slice(4), 'base64url');
    bytes[0] = 2;
    expect(decodeClickId(`clk_${bytes.toString('base64url')}`, TENANT, [SECRET])).toBeNull();
  });

  it('are null for a non-canonical spelling of the same bytes', () => {
    const id = encodeClickId(ref(), TENANT, SECRET);
    // 61 bytes leave 4 unused bits in the last character; setting one decodes the same.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(id[id.length - 1]);
    const variant = id.slice(0, -1) + alphabet[last ^ 1];
    expect(Buffer.from(variant.slice(4), 'base64url')).toEqual(Buffer.from(id.slice(4), 'base64url'));
    expect(decodeClickId(variant, TENANT, [SECRET])).toBeNull();
  });

  it.each([
    ['the empty string', ''],
    ['just the prefix', 'clk_'],
    ['another prefix', 'evt_AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['a numeric legacy id', '12345'],
    ['82 characters that are not base64url', `clk_${'!'.repeat(82)}`],
    ['padding', `clk_${'A'.repeat(80)}==`],
    ['standard base64 characters', `clk_${'+'.repeat(82)}`],
    ['one character short', `clk_${'A'.repeat(81)}`],
    ['one character long', `clk_${'A'.repeat(83)}`],
    ['all zero bytes', `clk_${Buffer.alloc(61).toString('base64url')}`],
  ])('are null for %s', (_label, input) => {
    expect(decodeClickId(input, TENANT, [SECRET])).toBeNull();
  });

  it('are null for a valid id with the prefix removed or upper-cased', () => {
    const id = encodeClickId(ref(), TENANT, SECRET);
    expect(decodeClickId(id.slice(4), TENANT, [SECRET])).toBeNull();
    expect(decodeClickId(`CLK_${id.slice(4)}`, TENANT, [SECRET])).toBeNull();
  });

  it('refuse to encode with an empty secret or malformed ids', () => {
    const r = ref();
    expect(() => encodeClickId(r, TENANT, '')).toThrow('a click id secret is required');
    expect(() => encodeClickId({ ...r, linkId: r.partnerId }, TENANT, SECRET)).toThrow(/not a link id/);
    expect(() => encodeClickId({ ...r, partnerId: r.linkId }, TENANT, SECRET)).toThrow(/not a partner id/);
    expect(() => encodeClickId({ ...r, clickUlid: 'nope' }, TENANT, SECRET)).toThrow(/ULID/);
  });
});

describe('clickTime', () => {
  it('is the millisecond timestamp of the click ULID', () => {
    expect(clickTime(ulid(1773312300000)).toISOString()).toBe('2026-03-12T10:45:00.000Z');
    expect(clickTime(ulid(0)).getTime()).toBe(0);
    expect(clickTime('01JQ1234567890ABCDEFGHJKMN').getTime()).toBe(1742718734502); // '01JQ123456' read as base 32;
  });

  it('survives the round trip through a click id', () => {
    const r = ref();
    const back = decodeClickId(encodeClickId(r, TENANT, SECRET), TENANT, [SECRET])!;
    expect(clickTime(back.clickUlid).getTime()).toBe(1773312300000);
  });
});

import { hasPrefix, newId, ulid } from '../../subgraphs/shared/src/ids';

const CROCKFORD = /^[0-9A-HJKMNP-TV-Z]{26}$/;

describe('prefixed ids', () => {
  it('are the prefix, an underscore and a 26-character ULID', () => {
    const id = newId('prt');
    expect(id).toMatch(/^prt_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(id).toHaveLength(30);
  });

  it('encode the creation time in the first 10 characters', () => {
    expect(ulid(0).slice(0, 10)).toBe('0000000000');
    // 2026-03-12T10:45:00.000Z = 1773312300000 ms; the time part decodes back to it
    const body = ulid(1773312300000);
    expect(body).toMatch(CROCKFORD);
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const decoded = [...body.slice(0, 10)].reduce((acc, c) => acc * 32 + alphabet.indexOf(c), 0);
    expect(decoded).toBe(1773312300000);
  });

  it('sort by creation time across milliseconds', () => {
    const earlier = ulid(1773312300000);
    const later = ulid(1773312300001);
    expect(earlier < later).toBe(true);
  });

  it('hasPrefix accepts its own ids', () => {
    expect(hasPrefix(newId('evt'), 'evt')).toBe(true);
    expect(hasPrefix(newId('trd'), 'trd')).toBe(true);
  });

  it('hasPrefix refuses another prefix, a prefix of the prefix, and malformed bodies', () => {
    const id = newId('evt');
    expect(hasPrefix(id, 'prt')).toBe(false);
    expect(hasPrefix(id, 'ev')).toBe(false);
    expect(hasPrefix(`evt${id.slice(3).replace('_', '-')}`, 'evt')).toBe(false);
    expect(hasPrefix('evt_', 'evt')).toBe(false);
    expect(hasPrefix(`${id}0`, 'evt')).toBe(false); // 27 characters
    expect(hasPrefix(id.slice(0, -1), 'evt')).toBe(false); // 25 characters
    expect(hasPrefix(`evt_${'0'.repeat(25)}I`, 'evt')).toBe(false); // I is not Crockford base32
    expect(hasPrefix(`evt_${'0'.repeat(25)}U`, 'evt')).toBe(false);
    expect(hasPrefix(id.toLowerCase(), 'evt')).toBe(false);
  });

  it('10 000 generated in a tight loop are unique and strictly increasing', () => {
    const ids: string[] = [];
    for (let i = 0; i < 10_000; i++) ids.push(newId('evt'));
    expect(new Set(ids).size).toBe(10_000);
    for (let i = 1; i < ids.length; i++) {
      if (!(ids[i - 1] < ids[i])) throw new Error(`ids out of order at ${i}: ${ids[i - 1]} then ${ids[i]}`);
    }
  });

  it('are monotonic within one millisecond', () => {
    const now = 1773312300000 + 17;
    const same = Array.from({ length: 1000 }, () => ulid(now));
    expect(new Set(same.map((u) => u.slice(0, 10))).size).toBe(1);
    expect(new Set(same).size).toBe(1000);
    for (let i = 1; i < same.length; i++) expect(same[i - 1] < same[i]).toBe(true);
  });
});

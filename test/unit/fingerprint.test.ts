import { createHash } from 'node:crypto';
import { fingerprint } from '../../subgraphs/shared/src/fingerprint';

const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

describe('fingerprint', () => {
  it('is the SHA-256 hex of ip, newline, user agent', () => {
    expect(fingerprint('203.0.113.7', 'curl/8.0')).toBe(
      createHash('sha256').update('203.0.113.7\ncurl/8.0').digest('hex'),
    );
  });

  it('matches a fixed vector (the links and events subgraphs must agree forever)', () => {
    // printf '1.2.3.4\nUA' | sha256sum
    expect(fingerprint('1.2.3.4', 'UA')).toBe('e8c8c22a7af9f5ce02ec4fb40079635e2469fd86815a574086ba2afc40147b63');
  });

  it('is 64 lower-case hex characters', () => {
    expect(fingerprint('2001:db8::1', UA)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('trims both parts', () => {
    expect(fingerprint('  203.0.113.7 ', `\t${UA}  `)).toBe(fingerprint('203.0.113.7', UA));
  });

  it('differs when the ip or the user agent differs', () => {
    const base = fingerprint('203.0.113.7', UA);
    expect(fingerprint('203.0.113.8', UA)).not.toBe(base);
    expect(fingerprint('203.0.113.7', UA.replace('124', '125'))).not.toBe(base);
  });

  it.each([
    ['a null ip', null, UA],
    ['an undefined ip', undefined, UA],
    ['an empty ip', '', UA],
    ['a blank ip', '   ', UA],
    ['a null user agent', '203.0.113.7', null],
    ['an undefined user agent', '203.0.113.7', undefined],
    ['an empty user agent', '203.0.113.7', ''],
    ['a blank user agent', '203.0.113.7', ' \t '],
  ])('is null for %s', (_label, ip, ua) => {
    expect(fingerprint(ip, ua)).toBeNull();
  });
});

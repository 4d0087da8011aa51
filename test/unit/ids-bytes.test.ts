import { bytesToUlid, ulid, ulidToBytes } from '../../subgraphs/shared/src/ids';

describe('ULID <-> 16 bytes', () => {
  it('round-trips ids made by ulid()', () => {
    for (let i = 0; i < 1000; i++) {
      const id = ulid();
      const bytes = ulidToBytes(id);
      expect(bytes).toHaveLength(16);
      expect(bytesToUlid(bytes)).toBe(id);
    }
  });

  it('maps the extremes to all-zero and all-one bytes', () => {
    expect(ulidToBytes('0'.repeat(26))).toEqual(Buffer.alloc(16, 0));
    expect(ulidToBytes(`7${'Z'.repeat(25)}`)).toEqual(Buffer.alloc(16, 0xff));
    expect(bytesToUlid(Buffer.alloc(16, 0xff))).toBe(`7${'Z'.repeat(25)}`);
  });

  it('puts the 48-bit millisecond time in the first 6 bytes, big-endian', () => {
    const bytes = ulidToBytes(ulid(1773312300000));
    expect(bytes.readUIntBE(0, 6)).toBe(1773312300000);
  });

  it('decodes a known value bit for bit', () => {
    // 0x01 followed by fifteen zero bytes is 2^120: 120 / 5 = 24 zero characters at the end.
    const b = Buffer.alloc(16);
    b[0] = 0x01;
    expect(bytesToUlid(b)).toBe(`01${'0'.repeat(24)}`);
    expect(ulidToBytes(`01${'0'.repeat(24)}`)).toEqual(b);
    b[0] = 0;
    b[15] = 31;
    expect(bytesToUlid(b)).toBe(`${'0'.repeat(25)}Z`);
  });

  it.each([
    ['25 characters', '0'.repeat(25)],
    ['27 characters', '0'.repeat(27)],
    ['the empty string', ''],
    ['I (not Crockford)', `${'0'.repeat(25)}I`],
    ['L (not Crockford)', `${'0'.repeat(25)}L`],
    ['O (not Crockford)', `${'0'.repeat(25)}O`],
    ['U (not Crockford)', `${'0'.repeat(25)}U`],
    ['lower case', `${'0'.repeat(25)}z`],
    ['a hyphen', `${'0'.repeat(25)}-`],
    ['a first character above 7 (more than 128 bits)', `8${'0'.repeat(25)}`],
  ])('ulidToBytes throws on %s', (_label, input) => {
    expect(() => ulidToBytes(input)).toThrow(/ULID/);
  });

  it('bytesToUlid throws unless given exactly 16 bytes', () => {
    expect(() => bytesToUlid(Buffer.alloc(15))).toThrow('a ULID is 16 bytes');
    expect(() => bytesToUlid(Buffer.alloc(17))).toThrow('a ULID is 16 bytes');
    expect(() => bytesToUlid(Buffer.alloc(0))).toThrow('a ULID is 16 bytes');
  });
});

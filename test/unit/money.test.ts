import { fromMinor, isCurrency, minorDigits, toMinor } from '../../subgraphs/shared/src/money';

describe('money: to minor units', () => {
  it('knows the minor unit of USD, JPY and BHD', () => {
    expect(minorDigits('USD')).toBe(2);
    expect(minorDigits('JPY')).toBe(0);
    expect(minorDigits('BHD')).toBe(3);
  });

  it('throws for an unknown currency', () => {
    expect(() => minorDigits('XYZ')).toThrow('unknown currency XYZ');
    expect(() => toMinor('1.00', 'XYZ')).toThrow('unknown currency XYZ');
  });

  it('converts plain amounts', () => {
    expect(toMinor('20.00', 'USD')).toBe('2000');
    expect(toMinor('20', 'USD')).toBe('2000');
    expect(toMinor('0.01', 'USD')).toBe('1');
    expect(toMinor('-3.50', 'USD')).toBe('-350');
    expect(toMinor('1500', 'JPY')).toBe('1500');
    expect(toMinor('1.234', 'BHD')).toBe('1234');
  });

  it('rounds half to even on the cent', () => {
    expect(toMinor('0.125', 'USD')).toBe('12');
    expect(toMinor('0.135', 'USD')).toBe('14');
    expect(toMinor('0.145', 'USD')).toBe('14');
    expect(toMinor('0.1251', 'USD')).toBe('13'); // above half rounds up
    expect(toMinor('-0.125', 'USD')).toBe('-12');
  });

  it('rounds half to even on the yen', () => {
    expect(toMinor('2.5', 'JPY')).toBe('2');
    expect(toMinor('3.5', 'JPY')).toBe('4');
    expect(toMinor('2.51', 'JPY')).toBe('3');
  });

  it('rounds to three digits for BHD', () => {
    expect(toMinor('1.0005', 'BHD')).toBe('1000');
    expect(toMinor('1.0015', 'BHD')).toBe('1002');
    expect(toMinor('0.1', 'BHD')).toBe('100');
  });

  it('stays exact beyond 2^53 minor units', () => {
    expect(toMinor('123456789012345678.91', 'USD')).toBe('12345678901234567891');
  });
});

describe('money: from minor units', () => {
  it('formats with the currency digits', () => {
    expect(fromMinor('2000', 'USD')).toBe('20.00');
    expect(fromMinor('5', 'USD')).toBe('0.05');
    expect(fromMinor('0', 'USD')).toBe('0.00');
    expect(fromMinor(2000, 'USD')).toBe('20.00');
  });

  it('formats negative values', () => {
    expect(fromMinor('-2050', 'USD')).toBe('-20.50');
    expect(fromMinor(-5, 'USD')).toBe('-0.05');
  });

  it('accepts bigint input and stays exact', () => {
    expect(fromMinor(12345678901234567891n, 'USD')).toBe('123456789012345678.91');
    expect(fromMinor(2n ** 64n, 'USD')).toBe('184467440737095516.16');
  });

  it('formats JPY without decimals and BHD with three', () => {
    expect(fromMinor('1500', 'JPY')).toBe('1500');
    expect(fromMinor(0n, 'JPY')).toBe('0');
    expect(fromMinor('1234', 'BHD')).toBe('1.234');
    expect(fromMinor('5', 'BHD')).toBe('0.005');
  });

  it('round-trips with toMinor', () => {
    for (const amount of ['0.00', '19.99', '-7.10', '1000000.01']) expect(fromMinor(toMinor(amount, 'USD'), 'USD')).toBe(amount);
  });
});

describe('money: currency codes', () => {
  it('accepts ISO 4217 codes in capitals', () => {
    expect(isCurrency('USD')).toBe(true);
    expect(isCurrency('EUR')).toBe(true);
    expect(isCurrency('JPY')).toBe(true);
  });

  it('refuses lower case, unknown codes and other shapes', () => {
    expect(isCurrency('usd')).toBe(false);
    expect(isCurrency('Usd')).toBe(false);
    expect(isCurrency('XYZ')).toBe(false);
    expect(isCurrency('US')).toBe(false);
    expect(isCurrency('USDD')).toBe(false);
    expect(isCurrency(' USD')).toBe(false);
    expect(isCurrency('')).toBe(false);
  });
});

describe('money: sums', () => {
  it('adds 0.10 and 0.20 to exactly 0.30 through minor units, where floats give 0.30000000000000004', () => {
    expect(0.1 + 0.2).toBe(0.30000000000000004);
    const minor = BigInt(toMinor('0.1', 'USD')) + BigInt(toMinor('0.2', 'USD'));
    expect(minor).toBe(30n);
    expect(fromMinor(minor, 'USD')).toBe('0.30');
  });

  it('adds many cents without drift', () => {
    let minor = 0n;
    for (let i = 0; i < 1000; i++) minor += BigInt(toMinor('0.01', 'USD'));
    expect(fromMinor(minor, 'USD')).toBe('10.00');
  });
});

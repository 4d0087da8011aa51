import { GraphQLError, parseValue } from 'graphql';
import {
  DateScalar,
  DateTimeScalar,
  DecimalScalar,
  parseDate,
  parseDateTime,
  parseDecimal,
  isPlainDate,
  rangeEnd,
} from '../../subgraphs/shared/src/scalars';

/** Runs `fn` and returns the GraphQLError it throws (fails the test when it does not throw one). */
function errorOf(fn: () => unknown): GraphQLError {
  let thrown: unknown;
  let returned: unknown;
  try {
    returned = fn();
  } catch (err) {
    thrown = err;
  }
  if (thrown === undefined) {
    const shown = returned instanceof Date ? returned.toISOString() : typeof returned === 'string' && returned.length > 60 ? `${returned.slice(0, 60)}... (${returned.length} chars)` : returned;
    throw new Error(`expected a GraphQLError, but it returned ${JSON.stringify(shown)}`);
  }
  expect(thrown).toBeInstanceOf(GraphQLError);
  return thrown as GraphQLError;
}

function expectBadInput(fn: () => unknown): GraphQLError {
  const err = errorOf(fn);
  expect(err.extensions.code).toBe('BAD_USER_INPUT');
  return err;
}

describe('DateTime scalar', () => {
  it('accepts an ISO instant in UTC (Z) and keeps the instant', () => {
    const d = DateTimeScalar.parseValue('2026-03-12T10:45:00.000Z') as Date;
    expect(d).toBeInstanceOf(Date);
    expect(d.toISOString()).toBe('2026-03-12T10:45:00.000Z');
  });

  it('accepts an explicit offset and normalises it to UTC', () => {
    const d = DateTimeScalar.parseValue('2026-03-12T12:45:00+02:00') as Date;
    expect(d.toISOString()).toBe('2026-03-12T10:45:00.000Z');
    expect(DateTimeScalar.serialize(d)).toBe('2026-03-12T10:45:00.000Z');
  });

  it('accepts a negative offset and a time without seconds', () => {
    expect((parseDateTime('2026-03-12T05:15-05:30') as Date).toISOString()).toBe('2026-03-12T10:45:00.000Z');
  });

  it('accepts fractional seconds', () => {
    expect(parseDateTime('2026-03-12T10:45:00.123Z').toISOString()).toBe('2026-03-12T10:45:00.123Z');
  });

  it('refuses a time without a zone, because it is ambiguous', () => {
    const err = expectBadInput(() => parseDateTime('2026-03-12T10:45:00'));
    expect(err.message).toContain('time zone');
    expect(err.message).toContain('"2026-03-12T10:45:00"');
  });

  it('refuses garbage', () => {
    expectBadInput(() => parseDateTime('not a date'));
    expectBadInput(() => parseDateTime(''));
    expectBadInput(() => parseDateTime('2026-03-12 10:45:00Z'));
  });

  it('accepts a plain date YYYY-MM-DD as 00:00 UTC that day, and says it was a plain date', () => {
    const d = parseDateTime('2026-06-14');
    expect(d.toISOString()).toBe('2026-06-14T00:00:00.000Z');
    expect(isPlainDate(d)).toBe(true);
    expect(DateTimeScalar.serialize(d)).toBe('2026-06-14T00:00:00.000Z');
    expect(isPlainDate(DateTimeScalar.parseLiteral(parseValue('"2026-11-20"')))).toBe(true);
    // An instant is not a plain date, even at midnight.
    expect(isPlainDate(parseDateTime('2026-06-14T00:00:00Z'))).toBe(false);
  });

  it('refuses a plain date that is not on the calendar, saying so', () => {
    const err = expectBadInput(() => parseDateTime('2026-02-30'));
    expect(err.message).toBe('DateTime "2026-02-30" is not a real date');
    expectBadInput(() => parseDateTime('2026-13-45'));
    expectBadInput(() => parseDateTime('2026-3-12'));
  });

  it('says in its description that a plain date is accepted and what it means at a range end', () => {
    expect(DateTimeScalar.description).toContain('YYYY-MM-DD');
    expect(DateTimeScalar.description).toContain('00:00 UTC');
    expect(DateTimeScalar.description).toContain('next midnight');
  });

  it('refuses non-string input such as a number of milliseconds', () => {
    expectBadInput(() => parseDateTime(1773312300000));
    expectBadInput(() => parseDateTime(null));
    expectBadInput(() => parseDateTime({}));
  });

  it('refuses an impossible month or hour', () => {
    expectBadInput(() => parseDateTime('2026-13-01T00:00:00Z'));
    expectBadInput(() => parseDateTime('2026-03-12T25:00:00Z'));
    expectBadInput(() => parseDateTime('2026-03-12T10:60:00Z'));
  });

  it('refuses 30 February instead of silently moving it to 2 March', () => {
    const err = expectBadInput(() => parseDateTime('2026-02-30T00:00:00Z'));
    expect(err.message).toContain('2026-02-30T00:00:00Z');
  });

  it('refuses 29 February in a year that is not a leap year', () => {
    expectBadInput(() => parseDateTime('2026-02-29T00:00:00Z'));
  });

  it('refuses 31 April even with an offset', () => {
    expectBadInput(() => parseDateTime('2026-04-31T10:00:00+02:00'));
  });

  it('accepts 29 February in a leap year', () => {
    expect(parseDateTime('2028-02-29T00:00:00Z').toISOString()).toBe('2028-02-29T00:00:00.000Z');
  });

  it('serializes a Date as an ISO string in UTC', () => {
    expect(DateTimeScalar.serialize(new Date(Date.UTC(2026, 2, 12, 10, 45, 0, 7)))).toBe('2026-03-12T10:45:00.007Z');
  });

  it('serializes an ISO string with an offset as UTC', () => {
    expect(DateTimeScalar.serialize('2026-03-12T12:45:00+02:00')).toBe('2026-03-12T10:45:00.000Z');
  });

  it('refuses to serialize an invalid Date', () => {
    expect(() => DateTimeScalar.serialize(new Date(NaN))).toThrow(GraphQLError);
  });

  it('parses a string literal and refuses an int literal', () => {
    expect((DateTimeScalar.parseLiteral(parseValue('"2026-03-12T10:45:00Z"')) as Date).toISOString()).toBe('2026-03-12T10:45:00.000Z');
    expectBadInput(() => DateTimeScalar.parseLiteral(parseValue('1773312300000')));
  });
});

describe('rangeEnd: the exclusive end of a range given as a DateTime', () => {
  it('a plain date includes its whole day: the range ends at the next midnight UTC', () => {
    expect(rangeEnd(parseDateTime('2026-11-20'))!.toISOString()).toBe('2026-11-21T00:00:00.000Z');
    expect(rangeEnd(parseDateTime('2026-12-31'))!.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(rangeEnd(parseDateTime('2028-02-28'))!.toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(isPlainDate(rangeEnd(parseDateTime('2026-11-20')))).toBe(false);
  });

  it('an instant is used as it is, midnight included; no value stays no value', () => {
    expect(rangeEnd(parseDateTime('2026-11-20T00:00:00Z'))!.toISOString()).toBe('2026-11-20T00:00:00.000Z');
    expect(rangeEnd(parseDateTime('2026-11-20T10:00:00+02:00'))!.toISOString()).toBe('2026-11-20T08:00:00.000Z');
    expect(rangeEnd(null)).toBeNull();
    expect(rangeEnd(undefined)).toBeUndefined();
  });
});

describe('Date scalar', () => {
  it('accepts a calendar date', () => {
    expect(parseDate('2026-03-12')).toBe('2026-03-12');
    expect(DateScalar.parseValue('2028-02-29')).toBe('2028-02-29');
  });

  it('refuses 30 February and 29 February of a common year', () => {
    const err = expectBadInput(() => parseDate('2026-02-30'));
    expect(err.message).toContain('YYYY-MM-DD');
    expectBadInput(() => parseDate('2026-02-29'));
  });

  it('refuses other shapes', () => {
    expectBadInput(() => parseDate('2026-3-12'));
    expectBadInput(() => parseDate('12/03/2026'));
    expectBadInput(() => parseDate('2026-03-12T00:00:00Z'));
    expectBadInput(() => parseDate('2026-00-10'));
    expectBadInput(() => parseDate(20260312));
  });

  it('serializes a Date as its UTC calendar day', () => {
    expect(DateScalar.serialize(new Date(Date.UTC(2026, 2, 12, 23, 59)))).toBe('2026-03-12');
  });

  it('parses a string literal only', () => {
    expect(DateScalar.parseLiteral(parseValue('"2026-03-12"'))).toBe('2026-03-12');
    expectBadInput(() => DateScalar.parseLiteral(parseValue('20260312')));
  });
});

describe('Decimal scalar', () => {
  it('keeps the scale of a string ("10.50" stays "10.50")', () => {
    expect(parseDecimal('10.50')).toBe('10.50');
    expect(parseDecimal('20.00')).toBe('20.00');
    expect(parseDecimal('7')).toBe('7');
  });

  it('keeps "0.1" and "0.2" exact where float arithmetic would not', () => {
    expect(0.1 + 0.2).not.toBe(0.3); // the problem exact decimals avoid
    expect(parseDecimal('0.1')).toBe('0.1');
    expect(parseDecimal('0.2')).toBe('0.2');
    expect(parseDecimal('0.30000000000000000001')).toBe('0.30000000000000000001');
  });

  it('keeps more digits than a double can hold', () => {
    expect(parseDecimal('12345678901234567890.123456789')).toBe('12345678901234567890.123456789');
  });

  it('accepts a number through its shortest representation, so 0.1 stays "0.1"', () => {
    expect(parseDecimal(0.1)).toBe('0.1');
    expect(parseDecimal(20)).toBe('20');
    expect(parseDecimal(-3.25)).toBe('-3.25');
  });

  it('expands exponents', () => {
    expect(parseDecimal(1e-7)).toBe('0.0000001');
    expect(parseDecimal('1e3')).toBe('1000');
    expect(parseDecimal('1.5E-2')).toBe('0.015');
    expect(parseDecimal(1e21)).toBe('1000000000000000000000');
  });

  it('accepts signs, a leading dot and surrounding spaces', () => {
    expect(parseDecimal('-0.50')).toBe('-0.50');
    expect(parseDecimal('+3')).toBe('3');
    expect(parseDecimal('.5')).toBe('0.5');
    expect(parseDecimal(' 12.30 ')).toBe('12.30');
  });

  it.each([
    ['abc', 'abc'],
    ['empty string', ''],
    ['only spaces', '   '],
    ['two dots', '1.2.3'],
    ['a comma', '1,5'],
    ['hex', '0x10'],
    ['a currency sign', '$10'],
    ['NaN string', 'NaN'],
    ['Infinity string', 'Infinity'],
  ])('refuses %s', (_label, value) => {
    expectBadInput(() => parseDecimal(value));
  });

  it('refuses NaN and Infinity numbers', () => {
    expectBadInput(() => parseDecimal(NaN));
    expectBadInput(() => parseDecimal(Infinity));
    expectBadInput(() => parseDecimal(-Infinity));
  });

  it('refuses objects, booleans and null', () => {
    expectBadInput(() => parseDecimal({ value: '1' }));
    expectBadInput(() => parseDecimal(['1']));
    expectBadInput(() => parseDecimal(true));
    expectBadInput(() => parseDecimal(null));
    expectBadInput(() => parseDecimal(undefined));
  });

  it('names the bad value in the message', () => {
    expect(errorOf(() => parseDecimal('abc')).message).toContain('"abc"');
  });

  // "1e1000000000" (12 characters) expands to a billion digits and kills the process
  // with a heap out-of-memory; this smaller exponent shows the same unbounded expansion.
  it('refuses an exponent that would expand to a million digits', () => {
    expectBadInput(() => parseDecimal('1e1000000'));
  });

  it('goes through the scalar parseValue', () => {
    expect(DecimalScalar.parseValue('10.50')).toBe('10.50');
    expectBadInput(() => DecimalScalar.parseValue('abc'));
  });

  it('serializes strings unchanged and numbers as strings', () => {
    expect(DecimalScalar.serialize('10.50')).toBe('10.50');
    expect(DecimalScalar.serialize('0.1')).toBe('0.1');
    expect(DecimalScalar.serialize(42)).toBe('42');
    expect(DecimalScalar.serialize(12345678901234567890n)).toBe('12345678901234567890');
  });

  it('refuses to serialize an object', () => {
    expect(() => DecimalScalar.serialize({})).toThrow(GraphQLError);
  });

  it('parses INT, FLOAT and STRING literals', () => {
    expect(DecimalScalar.parseLiteral(parseValue('42'))).toBe('42');
    expect(DecimalScalar.parseLiteral(parseValue('10.50'))).toBe('10.50');
    expect(DecimalScalar.parseLiteral(parseValue('1e3'))).toBe('1000');
    expect(DecimalScalar.parseLiteral(parseValue('"0.1"'))).toBe('0.1');
    expect(DecimalScalar.parseLiteral(parseValue('"10.50"'))).toBe('10.50');
  });

  it('refuses a boolean, list or object literal and a bad string literal', () => {
    expectBadInput(() => DecimalScalar.parseLiteral(parseValue('true')));
    expectBadInput(() => DecimalScalar.parseLiteral(parseValue('["1"]')));
    expectBadInput(() => DecimalScalar.parseLiteral(parseValue('{ a: 1 }')));
    expectBadInput(() => DecimalScalar.parseLiteral(parseValue('"abc"')));
  });
});

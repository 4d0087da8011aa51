import Decimal from 'decimal.js';
import { GraphQLError, GraphQLScalarType, Kind, ValueNode } from 'graphql';

/**
 * Scalars of the contract. Values that fail to parse are GraphQL validation errors
 * (`BAD_USER_INPUT` once Apollo reports them) with a message saying what is allowed.
 */

const invalid = (message: string) => new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });

// ISO 8601 with an explicit zone: a time without one is ambiguous, so it is refused.
const DATE_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DAY_MS = 86_400_000;

/**
 * A DateTime input written as a plain date (YYYY-MM-DD): the instant is 00:00 UTC of that day,
 * and the type tells a resolver the caller named a whole day. Whether that day is a start
 * (00:00) or a range end (the next midnight, exclusive) is the argument's decision, not the
 * scalar's: see rangeEnd.
 */
export class PlainDate extends Date {
  /** The calendar date as the caller wrote it, YYYY-MM-DD. */
  readonly day: string;

  constructor(day: string) {
    super(`${day}T00:00:00.000Z`);
    this.day = day;
  }
}

export function isPlainDate(value: unknown): value is PlainDate {
  return value instanceof PlainDate;
}

/**
 * The exclusive end of a range given by a DateTime argument: an instant is used as it is;
 * a plain date names a whole day, so the range ends at the next midnight (UTC) and includes
 * that day. Every range-end argument (`to`) goes through here.
 */
export function rangeEnd<T extends Date | null | undefined>(value: T): T | Date {
  return isPlainDate(value) ? new Date(value.getTime() + DAY_MS) : value;
}

export function parseDateTime(value: unknown): Date {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  if (typeof value === 'string' && DATE_RE.test(value)) {
    if (!isCalendarDate(value)) throw invalid(`DateTime ${JSON.stringify(value)} is not a real date`);
    return new PlainDate(value);
  }
  if (typeof value !== 'string' || !DATE_TIME_RE.test(value)) {
    throw invalid(
      `DateTime must be an ISO 8601 string with a time zone, e.g. 2026-03-12T10:45:00.000Z, or a date YYYY-MM-DD (00:00 UTC); got ${JSON.stringify(value)}`,
    );
  }
  const d = new Date(value);
  // Date rolls 2026-02-30 over to March instead of failing: check the calendar date itself.
  const [y, mo, day] = value.slice(0, 10).split('-').map(Number);
  const calendar = new Date(Date.UTC(y, mo - 1, day));
  const hour = Number(value.slice(11, 13));
  if (Number.isNaN(d.getTime()) || calendar.getUTCMonth() !== mo - 1 || calendar.getUTCDate() !== day || hour > 23) {
    throw invalid(`DateTime ${JSON.stringify(value)} is not a real date and time`);
  }
  return d;
}

export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description:
    'An instant, ISO 8601 with a time zone: 2026-03-12T10:45:00.000Z (always answered in UTC). On input a date YYYY-MM-DD is also accepted and means 00:00 UTC that day; ' +
    'where an argument ends a range (to), a date means the whole day: the range ends at the next midnight UTC, exclusive',
  serialize(value) {
    const d = value instanceof Date ? value : new Date(value as string);
    if (Number.isNaN(d.getTime())) throw new GraphQLError(`DateTime cannot represent ${String(value)}`);
    return d.toISOString();
  },
  parseValue: parseDateTime,
  parseLiteral(ast: ValueNode) {
    if (ast.kind !== Kind.STRING) throw invalid('DateTime must be a string such as 2026-03-12T10:45:00.000Z or 2026-03-12');
    return parseDateTime(ast.value);
  },
});

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** YYYY-MM-DD naming a day that exists (not 2026-02-30). */
function isCalendarDate(value: string): boolean {
  const m = DATE_RE.exec(value);
  return !!m && new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).toISOString().slice(0, 10) === value;
}

export function parseDate(value: unknown): string {
  if (typeof value === 'string' && isCalendarDate(value)) return value;
  throw invalid(`Date must be a calendar date YYYY-MM-DD; got ${JSON.stringify(value)}`);
}

export const DateScalar = new GraphQLScalarType({
  name: 'Date',
  description: 'A calendar date, YYYY-MM-DD',
  serialize(value) {
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    return parseDate(String(value).slice(0, 10));
  },
  parseValue: parseDate,
  parseLiteral(ast: ValueNode) {
    if (ast.kind !== Kind.STRING) throw invalid('Date must be a string YYYY-MM-DD');
    return parseDate(ast.value);
  },
});

const MAX_DECIMAL_EXPONENT = 50;
const DECIMAL_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Exact decimal: parsed to its canonical string (never a float internally).
 * Numbers are accepted on input for convenience; they are converted through their
 * shortest round-trip representation, so 0.1 stays "0.1".
 */
export function parseDecimal(value: unknown): string {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid('Decimal must be a finite number');
    text = String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else if (value instanceof Decimal) {
    return value.toFixed();
  } else {
    throw invalid('Decimal must be a string such as "20.00" or a number');
  }
  if (!DECIMAL_RE.test(text)) throw invalid(`Decimal must be a decimal number such as "20.00"; got ${JSON.stringify(value)}`);
  const exponent = /[eE]([+-]?\d+)$/.exec(text);
  // "1e1000000000" is 12 characters but a billion digits written out: bound it.
  if (exponent && Math.abs(Number(exponent[1])) > MAX_DECIMAL_EXPONENT) {
    throw invalid(`Decimal exponent must be between -${MAX_DECIMAL_EXPONENT} and ${MAX_DECIMAL_EXPONENT}`);
  }
  if (text.length > 100) throw invalid('Decimal must be at most 100 characters');
  // Keep the scale the caller wrote ("10.50" stays "10.50"); exponents are expanded.
  const plain = /^[+-]?\d*(\.(\d*))?$/.exec(text);
  const d = new Decimal(text);
  return plain ? d.toFixed(plain[2]?.length ?? 0) : d.toFixed();
}

export const DecimalScalar = new GraphQLScalarType({
  name: 'Decimal',
  description: 'An exact decimal number, serialized as a string ("20.00"); a string or a number on input',
  serialize(value) {
    if (value instanceof Decimal) return value.toFixed();
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'bigint') return String(value);
    throw new GraphQLError(`Decimal cannot represent ${String(value)}`);
  },
  parseValue: parseDecimal,
  parseLiteral(ast: ValueNode) {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return parseDecimal(ast.value);
    throw invalid('Decimal must be a string such as "20.00" or a number');
  },
});

/**
 * A decimal inside a bulk record: a JSON number or a string, passed through unparsed. A malformed Decimal fails the
 * whole operation before any resolver runs, which in a bulk call would lose every good record for one bad value;
 * with this scalar the record's validator parses it with parseDecimal (the same rules) and a bad value comes back
 * in `rejected` for its record. Accepts every value Decimal accepts, so changing a record field to it refuses nothing
 * that was accepted before.
 */
export const RecordDecimalScalar = new GraphQLScalarType({
  name: 'RecordDecimal',
  description:
    'A decimal number in a bulk record, as a JSON number (12.5) or a string ("12.5"); checked with its record, so a malformed value is reported in `rejected` with the record\'s index and the field, and the other records are stored',
  serialize(value) {
    return DecimalScalar.serialize(value);
  },
  parseValue(value) {
    // Numbers through their shortest round-trip form (as parseDecimal does), anything else as sent.
    return typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
  },
  parseLiteral(ast: ValueNode) {
    if (ast.kind === Kind.STRING || ast.kind === Kind.INT || ast.kind === Kind.FLOAT) return ast.value;
    // A list, object, boolean or enum: its record is rejected with a message, not the call.
    return { kind: ast.kind };
  },
});

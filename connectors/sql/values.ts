/**
 * A mapped value → the one canonical form its column stores, the same for SQLite and PostgreSQL,
 * so "is the row identical?" is a plain comparison and both databases hold the same text:
 * - text: the string (numbers and booleans as written by JSON); no NUL character (PostgreSQL refuses it)
 * - integer: a bigint within 64 bits; a float or a number past 2^53 is refused (precision is already lost)
 * - decimal: the exact decimal string, scale kept as written ("7.50"), no exponent, no float rounding
 * - boolean: true / false (also the strings "true" / "false")
 * - timestamp: ISO 8601 with Z or an offset → UTC `YYYY-MM-DDTHH:MM:SS.sssZ`; finer than a millisecond is refused
 * - date: `YYYY-MM-DD`, a real calendar day
 * - json: any JSON value, stored as JSON text with sorted keys
 * A value that does not fit is a record error naming the column, the value and the fix.
 */
import { canonicalDecimal } from '../../domain/money/decimal.js';
import { LedgersyncError } from '../../engine/errors.js';
import { stableStringify } from '../../engine/transform/hash.js';
import type { ColumnSpec, TableSpec } from './tables.js';

export type StorageValue = string | bigint | boolean | null;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Why a value does not fit, and how to make it fit; the caller adds table and column. */
class Misfit {
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {}
}

function show(value: unknown): string {
  const text = typeof value === 'bigint' || (typeof value === 'number' && !Number.isFinite(value)) ? String(value) : JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? text.slice(0, 77) + '...' : text;
}

function text(value: unknown): string | Misfit {
  const out =
    typeof value === 'string'
      ? value
      : typeof value === 'number' && Number.isFinite(value)
        ? String(value)
        : typeof value === 'boolean'
          ? String(value)
          : undefined;
  if (out === undefined) return new Misfit('is not text', 'map a string (use $string() for a structure, or declare the column json)');
  if (out.includes('\u0000'))
    return new Misfit('contains a NUL character, which PostgreSQL cannot store', 'remove it in the mapping, e.g. $replace(x, "\\u0000", "")');
  return out;
}

function integer(value: unknown): bigint | Misfit {
  let n: bigint | undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) n = BigInt(value);
  else if (typeof value === 'bigint') n = value;
  else if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) n = BigInt(value.trim());
  if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) {
    return new Misfit('is beyond 2^53 as a JSON number, so its last digits are already lost', 'map it as a string of digits');
  }
  if (n === undefined) return new Misfit('is not a whole number', 'map a whole number, or declare the column decimal');
  if (n < INT64_MIN || n > INT64_MAX) return new Misfit('does not fit in 64 bits', 'declare the column decimal');
  return n;
}

/** Digits of a number without exponent: 1e21 → "1000000000000000000000", 1.5e-7 → "0.00000015". */
function plainNumber(value: number): string {
  const written = String(value);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(written);
  if (!match) return written;
  const [, sign, lead, rest = '', exp] = match;
  const digits = lead! + rest;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function decimal(value: unknown): string | Misfit {
  const written = typeof value === 'number' && Number.isFinite(value) ? plainNumber(value) : typeof value === 'bigint' ? String(value) : value;
  const canonical = typeof written === 'string' ? canonicalDecimal(written) : undefined;
  if (canonical === undefined)
    return new Misfit('is not a decimal number like 1234.56', 'map amounts as decimal text, e.g. with $money(amount, currency_code)');
  // -0 and 0 are the same amount; PostgreSQL prints both as 0.
  return /^-[0.]+$/.test(canonical) ? canonical.slice(1) : canonical;
}

function boolean(value: unknown): boolean | Misfit {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  return new Misfit('is not true or false', 'map a boolean, e.g. status = "active"');
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function realDay(year: number, month: number, day: number): boolean {
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const days = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return day <= days;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)$/;

function date(value: unknown): string | Misfit {
  const match = typeof value === 'string' ? DATE.exec(value) : null;
  if (!match || !realDay(Number(match[1]), Number(match[2]), Number(match[3]))) {
    return new Misfit('is not a calendar date YYYY-MM-DD', 'map a date, e.g. $date(seconds)');
  }
  return value as string;
}

function timestamp(value: unknown): string | Misfit {
  const match = typeof value === 'string' ? TIMESTAMP.exec(value.trim()) : null;
  const fix = 'map an ISO 8601 instant with Z or an offset, e.g. $datetime(seconds)';
  if (!match) {
    const hint = typeof value === 'number' ? ' (a number is ambiguous: seconds or milliseconds?)' : '';
    return new Misfit(`is not an ISO 8601 instant with a time zone${hint}`, fix);
  }
  const [, y, mo, d, h, mi, s = '0', fraction = '', zone] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  if (!realDay(year, month, day) || hour > 23 || minute > 59 || second > 59) return new Misfit('is not a real date and time', fix);
  if (/[1-9]/.test(fraction.slice(3)))
    return new Misfit('is finer than a millisecond, which is the precision kept', 'round it to the millisecond in the mapping');
  let offset = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const [, sign, oh, om = '0'] = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone!)!;
    if (Number(oh) > 15 || Number(om) > 59) return new Misfit('has an impossible UTC offset', fix);
    offset = (sign === '-' ? -1 : 1) * (Number(oh) * 60 + Number(om));
  }
  const when = new Date(0);
  when.setUTCFullYear(year, month - 1, day);
  when.setUTCHours(hour, minute - offset, second, Number(fraction.slice(0, 3).padEnd(3, '0')));
  const utcYear = when.getUTCFullYear();
  if (utcYear < 1 || utcYear > 9999) return new Misfit('is outside the years 0001 to 9999', fix);
  return (
    `${pad(utcYear, 4)}-${pad(when.getUTCMonth() + 1)}-${pad(when.getUTCDate())}T` +
    `${pad(when.getUTCHours())}:${pad(when.getUTCMinutes())}:${pad(when.getUTCSeconds())}.${pad(when.getUTCMilliseconds(), 3)}Z`
  );
}

function json(value: unknown): string | Misfit {
  const out = stableStringify(value);
  if (out.includes('\\u0000')) return new Misfit('contains a NUL character, which PostgreSQL cannot store in JSON', 'remove it in the mapping');
  return out;
}

const converters: Record<ColumnSpec['type'], (value: unknown) => StorageValue | Misfit> = { text, integer, decimal, boolean, timestamp, date, json };

/** The value `column` stores for `value`, or a record error naming table, column, value and fix. */
export function toStorage(table: TableSpec, column: ColumnSpec, value: unknown): StorageValue | LedgersyncError {
  if (value === null || value === undefined) {
    if (column.nullable) return null;
    const key = table.primaryKey.includes(column.name);
    return new LedgersyncError(
      'sql_value_required',
      'record',
      `${table.name}.${column.name} needs a value (${key ? 'primary key' : 'NOT NULL'}), but the record has none`,
      {
        fix: key
          ? `map ${column.name} in the stream writing ${table.name}`
          : `map ${column.name}, or declare it nullable: true in sink.tables.${table.name}.columns`,
        details: { table: table.name, column: column.name },
      },
    );
  }
  const converted = converters[column.type](value);
  if (!(converted instanceof Misfit)) return converted;
  return new LedgersyncError('sql_value_invalid', 'record', `${table.name}.${column.name} (${column.type}): ${show(value)} ${converted.reason}`, {
    fix: converted.fix,
    details: { table: table.name, column: column.name, type: column.type, value: typeof value === 'bigint' ? String(value) : value },
  });
}

/** Current time as the canonical timestamp, for `deleted_at`. */
export function timestampOf(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

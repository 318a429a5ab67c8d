/** The canonical value each column type stores, and what each refuses (pure, no database). */
import { describe, expect, it } from 'vitest';
import { LedgersyncError } from '../../../engine/errors.js';
import { parseTables, type ColumnType } from '../../../connectors/sql/tables.js';
import { toStorage } from '../../../connectors/sql/values.js';

const table = parseTables({ t: { primary_key: ['id'], columns: { id: { type: 'text' }, v: { type: 'text' } } } })[0]!;
const store = (type: ColumnType, value: unknown) => {
  const out = toStorage(table, { name: 'v', type, nullable: true }, value);
  return out instanceof LedgersyncError ? `refused: ${out.message.replace(/^t\.v \(\w+\): /, '')}` : out;
};

describe('column values', () => {
  it('integers: 64 bits exactly, from numbers, bigints and digit strings', () => {
    expect(store('integer', 42)).toBe(42n);
    expect(store('integer', '-9223372036854775808')).toBe(-9223372036854775808n);
    expect(store('integer', ' 7 ')).toBe(7n);
    expect(store('integer', '9223372036854775808')).toBe('refused: "9223372036854775808" does not fit in 64 bits');
    expect(store('integer', 2 ** 53 + 2)).toBe('refused: 9007199254740994 is beyond 2^53 as a JSON number, so its last digits are already lost');
    expect(store('integer', '12.0')).toBe('refused: "12.0" is not a whole number');
    expect(store('integer', true)).toBe('refused: true is not a whole number');
  });

  it('decimals: the digits as written, never through a float', () => {
    expect(store('decimal', '0012.340')).toBe('12.340');
    expect(store('decimal', '-0')).toBe('0');
    expect(store('decimal', 1.5e-7)).toBe('0.00000015');
    expect(store('decimal', 123456789.125)).toBe('123456789.125');
    expect(store('decimal', -2.5e25)).toBe('-25000000000000000000000000');
    expect(store('decimal', 10n ** 30n)).toBe('1000000000000000000000000000000');
    expect(store('decimal', '1e5')).toBe('refused: "1e5" is not a decimal number like 1234.56');
    expect(store('decimal', Number.NaN)).toBe('refused: NaN is not a decimal number like 1234.56');
    expect(store('decimal', '.5')).toBe('refused: ".5" is not a decimal number like 1234.56');
  });

  it('timestamps: any offset to UTC, to the millisecond; days, months and years roll over', () => {
    expect(store('timestamp', '2024-02-29T23:30:00-01:00')).toBe('2024-03-01T00:30:00.000Z');
    expect(store('timestamp', '2025-01-01T00:15:00+00:30')).toBe('2024-12-31T23:45:00.000Z');
    expect(store('timestamp', '2024-06-01 08:00Z')).toBe('2024-06-01T08:00:00.000Z');
    expect(store('timestamp', '2024-06-01T08:00:00.5+02')).toBe('2024-06-01T06:00:00.500Z');
    expect(store('timestamp', '0001-01-01T00:00:00Z')).toBe('0001-01-01T00:00:00.000Z');
    expect(store('timestamp', '2024-06-01T08:00:00.120000Z')).toBe('2024-06-01T08:00:00.120Z');
    expect(store('timestamp', '0001-01-01T00:00:00+01:00')).toBe('refused: "0001-01-01T00:00:00+01:00" is outside the years 0001 to 9999');
    expect(store('timestamp', '2023-02-29T00:00:00Z')).toBe('refused: "2023-02-29T00:00:00Z" is not a real date and time');
    expect(store('timestamp', '2024-01-01T24:00:00Z')).toBe('refused: "2024-01-01T24:00:00Z" is not a real date and time');
    expect(store('timestamp', '2024-01-01T10:00:00+16:00')).toBe('refused: "2024-01-01T10:00:00+16:00" has an impossible UTC offset');
    expect(store('timestamp', 1_700_000_000)).toBe(
      'refused: 1700000000 is not an ISO 8601 instant with a time zone (a number is ambiguous: seconds or milliseconds?)',
    );
  });

  it('dates, booleans, text and json', () => {
    expect(store('date', '2000-02-29')).toBe('2000-02-29');
    expect(store('date', '1900-02-29')).toBe('refused: "1900-02-29" is not a calendar date YYYY-MM-DD');
    expect(store('date', '2024-01-01T00:00:00Z')).toBe('refused: "2024-01-01T00:00:00Z" is not a calendar date YYYY-MM-DD');
    expect(store('boolean', 'false')).toBe(false);
    expect(store('boolean', 1)).toBe('refused: 1 is not true or false');
    expect(store('text', 12.5)).toBe('12.5');
    expect(store('text', { a: 1 })).toBe('refused: {"a":1} is not text');
    expect(store('json', { b: [2, { d: 1, c: 0 }], a: 'x' })).toBe('{"a":"x","b":[2,{"c":0,"d":1}]}');
    expect(store('json', 'a\u0000')).toBe('refused: "a\\u0000" contains a NUL character, which PostgreSQL cannot store in JSON');
  });

  it('an empty value is NULL, or refused in a NOT NULL or key column', () => {
    expect(store('text', null)).toBe(null);
    const key = toStorage(table, table.columns[0]!, undefined) as LedgersyncError;
    expect(key.message).toBe('t.id needs a value (primary key), but the record has none');
    expect(key.fix).toBe('map id in the stream writing t');
  });
});

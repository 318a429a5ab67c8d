/**
 * Acumatica's value objects. A mapping produces plain JSON (`{"Amount": "12.50", "Details": [...]}`);
 * the contract-based API wants every field wrapped (`{"Amount": {"value": 12.50}}`), detail
 * collections as arrays of wrapped rows and linked entities as wrapped objects. Decimals are sent as
 * JSON numbers written digit for digit from the mapped decimal text, never through a float. Answers are
 * unwrapped back to plain values, and `changes` says which mapped fields differ from what Acumatica
 * holds, so an update sends only those (a detail row without `id` would be added as a new row).
 * A field the mapping never names is left alone; one it maps to null is cleared when Acumatica
 * holds a value (`{"value": null}`), and left out of a create, which has nothing to clear.
 */
import { canonicalDecimal, sameDecimal } from '../../domain/money/decimal.js';
import { LedgersyncError } from '../../engine/errors.js';
import { ExactNumber } from '../../engine/http/exact-json.js';
import { dayNumber, firstSecondOfDay, utcCalendarDate, zoneOffsetSeconds } from '../../engine/transform/dates.js';
import { type Contract, type FieldSpec, isValueType, type ValueType } from './contract.js';

export type Wrapped = string | number | boolean | null | ExactNumber | Wrapped[] | { [key: string]: Wrapped };
export type Plain = Record<string, unknown>;

/** Keys that are not contract fields but are part of the protocol. */
const ROW_PROTOCOL_KEYS = new Set(['id', 'delete']);

/** What wrapping needs beyond the contract. */
export interface WrapOptions {
  /** The pipeline's IANA zone: a mapped date (`YYYY-MM-DD`) is sent as its midnight there. */
  timezone: string;
}

/** Wraps a plain mapped record of `schema` (a top-level entity); throws a record error naming the first bad field. */
export function wrapRecord(contract: Contract, schema: string, record: Plain, options: WrapOptions): { [key: string]: Wrapped } {
  return wrapObject(contract, schema, record, schema, true, options);
}

function wrapObject(contract: Contract, schema: string, record: Plain, path: string, topLevel: boolean, options: WrapOptions): { [key: string]: Wrapped } {
  const fields = contract.fields(schema);
  const out: { [key: string]: Wrapped } = {};
  for (const [key, value] of Object.entries(record)) {
    // A bare null is nothing to send (a create); `changes` asks for a clear as the wrapper `{value: null}`.
    if (value === undefined || value === null) continue;
    if (ROW_PROTOCOL_KEYS.has(key) && (key === 'id' || !topLevel)) {
      out[key] = key === 'delete' ? value === true : String(value);
      continue;
    }
    const spec = fields[key];
    if (spec === undefined) throw unknownField(schema, key, `${path}.${key}`, Object.keys(fields));
    out[key] = wrapField(contract, spec, value, `${path}.${key}`, options);
  }
  return out;
}

function wrapField(contract: Contract, spec: FieldSpec, value: unknown, path: string, options: WrapOptions): Wrapped {
  if (isValueType(spec)) return { value: wrapValue(spec, isWrapper(value) ? value['value'] : value, path, options) };
  if ('linked' in spec) {
    if (!isPlainObject(value)) throw invalidValue(path, value, `an object of ${spec.linked} fields`);
    return wrapObject(contract, spec.linked, value, path, false, options);
  }
  if (!Array.isArray(value)) throw invalidValue(path, value, `a list of ${spec.detail} rows`);
  return value.map((row, index) => {
    if (!isPlainObject(row)) throw invalidValue(`${path}[${index}]`, row, `an object of ${spec.detail} fields`);
    return wrapObject(contract, spec.detail, row, `${path}[${index}]`, false, options);
  });
}

function wrapValue(type: ValueType, value: unknown, path: string, options: WrapOptions): Wrapped {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'Decimal':
    case 'Double': {
      if (typeof value === 'number' && Number.isFinite(value)) return new ExactNumber(String(value));
      const text = typeof value === 'string' ? canonicalDecimal(value) : undefined;
      if (text === undefined) throw invalidValue(path, value, 'a decimal such as "1234.56" (map amounts with $money())');
      return new ExactNumber(text);
    }
    case 'Int':
    case 'Short':
    case 'Long':
    case 'Byte': {
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return new ExactNumber(value.trim().replace(/^(-?)0+(?=\d)/, '$1'));
      throw invalidValue(path, value, 'a whole number');
    }
    case 'Boolean':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 'false') return value === 'true';
      throw invalidValue(path, value, 'true or false');
    case 'DateTime':
      // The OpenAPI's DateTimeValue is an RFC 3339 date-time: a date is its midnight in the pipeline's zone.
      if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value.trim())) return midnightIn(value.trim(), options.timezone);
      if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) return value.trim();
      throw invalidValue(path, value, 'a date YYYY-MM-DD or an ISO 8601 date-time ($date() gives one)');
    case 'Guid':
    case 'String':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      throw invalidValue(path, value, 'text');
  }
}

/**
 * The first instant of `date` in `timezone` as an RFC 3339 date-time with the offset then in force:
 * midnight (`2024-01-15T00:00:00-05:00`), or 01:00 where the clocks move at midnight
 * (`2025-09-07T01:00:00-03:00` in America/Santiago). With the pipeline's zone the company's,
 * Acumatica keeps the date whatever zone it converts to.
 */
export function midnightIn(date: string, timezone: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const first = firstSecondOfDay(dayNumber(y, m, d), timezone);
  const offset = zoneOffsetSeconds(first, timezone);
  const two = (n: number) => String(n).padStart(2, '0');
  const wall = new Date((first + offset) * 1000);
  const time = `${two(wall.getUTCHours())}:${two(wall.getUTCMinutes())}:${two(wall.getUTCSeconds())}`;
  const minutes = Math.abs(offset) / 60;
  return `${utcCalendarDate(first + offset)}T${time}${offset < 0 ? '-' : '+'}${two(Math.floor(minutes / 60))}:${two(minutes % 60)}`;
}

/** Unwraps an answer (`{"Amount": {"value": 12.5}}`) into plain values; drops links, row numbers and empty values. */
export function unwrap(record: unknown): Plain {
  const out: Plain = {};
  if (!isPlainObject(record)) return out;
  for (const [key, value] of Object.entries(record)) {
    if (key === 'rowNumber' || key === '_links' || key === 'custom' || key === 'files' || key === 'note' || key === 'error') continue;
    if (key === 'id') out['id'] = value;
    else if (Array.isArray(value)) out[key] = value.map(unwrap);
    else if (isWrapper(value)) {
      if (value['value'] !== undefined && value['value'] !== null) out[key] = value['value'];
    } else if (isPlainObject(value) && Object.keys(value).length > 0) out[key] = unwrap(value);
  }
  return out;
}

export interface CompareOptions {
  /** Fields compared without regard to case (segmented keys Acumatica stores upper case). */
  caseInsensitive: ReadonlySet<string>;
  /** Detail collections whose rows Acumatica has beyond the mapped ones are kept (applications made in Acumatica). */
  keepExtraRows: ReadonlySet<string>;
}

/**
 * The part of `mapped` that differs from `current` (what Acumatica holds), as a plain record ready
 * to wrap; undefined when nothing differs. A value field mapped to null that Acumatica holds is
 * cleared (`{value: null}`); one Acumatica holds nothing in is left out, so a clear is sent once.
 * Detail rows are matched by position: a changed row is named by its `id`, a new one is sent
 * without, and a row Acumatica has beyond the mapped ones is deleted.
 */
export function changes(contract: Contract, schema: string, mapped: Plain, current: Plain, options: CompareOptions): Plain | undefined {
  const fields = contract.fields(schema);
  const out: Plain = {};
  for (const [key, value] of Object.entries(mapped)) {
    if (value === undefined || key === 'id') continue;
    const spec = fields[key];
    if (spec === undefined) continue; // wrapRecord refuses it before anything is compared
    if (value === null && !isValueType(spec)) continue; // a linked entity or detail collection is not cleared as a whole
    const now = current[key];
    if (isValueType(spec)) {
      const wanted = isWrapper(value) ? value['value'] : value;
      if (wanted === null || wanted === undefined) {
        if (holdsValue(now)) out[key] = CLEAR;
      } else if (!sameValue(spec, wanted, now, options.caseInsensitive.has(key))) out[key] = value;
    } else if ('linked' in spec) {
      const inner = isPlainObject(value) ? changes(contract, spec.linked, value, isPlainObject(now) ? now : {}, options) : undefined;
      if (inner) out[key] = inner;
    } else if (Array.isArray(value)) {
      const existing = Array.isArray(now) ? (now as unknown[]).filter(isPlainObject) : [];
      const rows: Plain[] = [];
      value.forEach((row, index) => {
        if (!isPlainObject(row)) return;
        const there = existing[index];
        if (!there) rows.push(row);
        else {
          const diff = changes(contract, spec.detail, row, there, options);
          if (diff) rows.push({ id: there['id'], ...diff });
        }
      });
      if (!options.keepExtraRows.has(key)) for (const extra of existing.slice(value.length)) rows.push({ id: extra['id'], delete: true });
      if (rows.length > 0) out[key] = rows;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** How `changes` asks `wrapRecord` to clear a field: a bare null would be left out, as on a create. */
const CLEAR = Object.freeze({ value: null });

/** Whether Acumatica holds something in a field (an answer's empty text is nothing to clear). */
function holdsValue(current: unknown): boolean {
  return current !== undefined && current !== null && current !== '';
}

function sameValue(type: ValueType, mapped: unknown, current: unknown, caseInsensitive: boolean): boolean {
  if (current === undefined || current === null) return false;
  switch (type) {
    case 'Decimal':
    case 'Double':
      return sameDecimal(String(mapped), typeof current === 'number' ? numberText(current) : String(current));
    case 'Int':
    case 'Short':
    case 'Long':
    case 'Byte':
      return Number(mapped) === Number(current);
    case 'Boolean':
      return String(mapped) === String(current);
    case 'DateTime': {
      const a = String(mapped);
      const b = String(current);
      if (/^\d{4}-\d{2}-\d{2}$/.test(a)) return b.slice(0, 10) === a;
      return Date.parse(a) === Date.parse(b);
    }
    default: {
      const a = String(mapped);
      const b = String(current);
      return caseInsensitive ? a.toUpperCase() === b.toUpperCase() : a === b;
    }
  }
}

/** A JSON number as decimal text; exponent forms (1e-7) never equal a mapped amount, so they read as changed. */
function numberText(value: number): string {
  return String(value);
}

function isWrapper(value: unknown): value is { value: unknown } {
  return isPlainObject(value) && Object.keys(value).every((key) => key === 'value' || key === 'error') && 'value' in value;
}

export function isPlainObject(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function unknownField(schema: string, field: string, path: string, known: string[]): LedgersyncError {
  const near = known.filter((candidate) => candidate.toLowerCase() === field.toLowerCase() || candidate.toLowerCase().includes(field.toLowerCase()));
  return new LedgersyncError('acumatica_unknown_field', 'record', `${path}: ${schema} has no field '${field}' in the endpoint's contract`, {
    fix:
      near.length > 0
        ? `did you mean ${near.map((n) => `'${n}'`).join(' or ')}? Field names are case-sensitive`
        : `map only fields of ${schema} (see the endpoint's OpenAPI or the Web Service Endpoints form, SM207060)`,
    details: { field: path },
  });
}

function invalidValue(path: string, value: unknown, expected: string): LedgersyncError {
  return new LedgersyncError('acumatica_invalid_value', 'record', `${path} must be ${expected}, the mapping gave ${JSON.stringify(value)}`, {
    fix: `change the mapping of ${path}`,
    details: { field: path },
  });
}

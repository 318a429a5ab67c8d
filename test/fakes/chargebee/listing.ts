/**
 * Chargebee list semantics: `limit` 1..100 (default 10), `attr[op]` filters, `sort_by[asc|desc]`,
 * `include_deleted`, and an opaque `offset` that is a KEYSET token: the last row's sort value and
 * id (like Chargebee's `["1517505776000","230000003"]`) plus a short signature. A page starts after
 * that key, so records changing while a client pages never shift a record it has not yet seen
 * onto a page it already read. Unsorted lists come newest-created first (creation order, which
 * updates do not move), as Chargebee lists them.
 */
import { createHash } from 'node:crypto';
import { paramWrongValue } from './errors.js';
import type { FilterKind, ResourceName, ResourceSpec } from './resources.js';
import type { StoredEntry, StoredRecord } from './state.js';

export interface ListPage {
  list: Record<string, unknown>[];
  next_offset?: string;
}

type SortValue = number | string | null;
type Direction = 'asc' | 'desc';

interface Sort {
  /** null: the default order (creation sequence). */
  attr: string | null;
  direction: Direction;
}

interface Filter {
  attr: string;
  op: string;
  test: (value: unknown) => boolean;
}

const OPERATORS: Readonly<Record<FilterKind, readonly string[]>> = {
  timestamp: ['after', 'before', 'on', 'between', 'is_present'],
  number: ['is', 'is_not', 'lt', 'lte', 'gt', 'gte', 'between', 'is_present'],
  string: ['is', 'is_not', 'starts_with', 'in', 'not_in', 'is_present'],
  enum: ['is', 'is_not', 'in', 'not_in'],
  boolean: ['is'],
};

const STRING_SORTS = new Set(['id', 'name']);
const RESERVED = new Set(['limit', 'offset', 'include_deleted', 'sort_by[asc]', 'sort_by[desc]']);

export function listPage(
  resource: ResourceName,
  spec: ResourceSpec,
  entries: readonly StoredEntry[],
  params: URLSearchParams,
  decorate: (record: StoredRecord) => Record<string, unknown> = () => ({}),
): ListPage {
  rejectRepeatedParams(params);
  const limit = parseLimit(params.get('limit'));
  const includeDeleted = parseBoolean('include_deleted', params.get('include_deleted')) === true && spec.includeDeleted;
  const sort = parseSort(resource, spec, params);
  const filters = parseFilters(resource, spec, params);

  const selected = entries.filter(
    (entry) => (includeDeleted || entry.record['deleted'] !== true) && filters.every((f) => f.test(filterValue(entry.record, f.attr))),
  );
  const keyed = selected.map((entry) => ({ entry, key: sortValue(entry, sort.attr) }));
  keyed.sort((a, b) => orderedCompare(sort.direction, a.key, a.entry.record.id, b.key, b.entry.record.id));

  let start = 0;
  const offset = params.get('offset');
  if (offset !== null && offset !== '') {
    const after = decodeOffset(resource, sort, offset);
    start = keyed.findIndex((row) => orderedCompare(sort.direction, row.key, row.entry.record.id, after.value, after.id) > 0);
    if (start === -1) start = keyed.length;
  }
  const page = keyed.slice(start, start + limit);
  const last = page[page.length - 1];
  const more = start + limit < keyed.length;
  return {
    list: page.map(({ entry }) => ({ [spec.singular]: entry.record, ...decorate(entry.record) })),
    ...(more && last ? { next_offset: encodeOffset(resource, sort, last.key, last.entry.record.id) } : {}),
  };
}

function rejectRepeatedParams(params: URLSearchParams): void {
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (seen.has(key)) {
      throw paramWrongValue(key, 'is given more than once; list values are one JSON array, e.g. ["a","b"]');
    }
    seen.add(key);
  }
}

function parseLimit(raw: string | null): number {
  if (raw === null) return 10;
  if (!/^-?\d+$/.test(raw)) throw paramWrongValue('limit', `invalid value ${JSON.stringify(raw)}; it must be an integer`);
  const limit = Number(raw);
  if (limit < 1) throw paramWrongValue('limit', 'cannot be less than 1');
  if (limit > 100) throw paramWrongValue('limit', 'cannot be more than 100');
  return limit;
}

function parseBoolean(param: string, raw: string | null): boolean | undefined {
  if (raw === null) return undefined;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw paramWrongValue(param, `invalid value ${JSON.stringify(raw)}; it must be true or false`);
}

function parseSort(resource: ResourceName, spec: ResourceSpec, params: URLSearchParams): Sort {
  const asc = params.get('sort_by[asc]');
  const desc = params.get('sort_by[desc]');
  if (asc !== null && desc !== null) throw paramWrongValue('sort_by', 'only one of sort_by[asc] and sort_by[desc] can be given');
  const attr = asc ?? desc;
  if (attr === null) return { attr: null, direction: 'desc' };
  if (!spec.sortable.includes(attr)) {
    const allowed = spec.sortable.length > 0 ? `supported: ${spec.sortable.join(', ')}` : 'this list cannot be sorted';
    throw paramWrongValue('sort_by', `${attr} is not a supported sort attribute for ${resource} (${allowed})`);
  }
  return { attr, direction: asc !== null ? 'asc' : 'desc' };
}

function parseFilters(resource: ResourceName, spec: ResourceSpec, params: URLSearchParams): Filter[] {
  const filters: Filter[] = [];
  for (const [key, raw] of params) {
    if (RESERVED.has(key)) continue;
    const match = /^([a-z0-9_]+)\[([a-z_]+)\]$/.exec(key);
    if (!match) continue; // Chargebee ignores plain parameters a list does not use.
    const [, attr = '', op = ''] = match;
    const kind = spec.filters[attr];
    if (!kind) throw paramWrongValue(key, `${attr} is not a filter of ${resource}`);
    if (!OPERATORS[kind].includes(op)) {
      throw paramWrongValue(key, `operator ${op} is not supported for ${attr} (supported: ${OPERATORS[kind].join(', ')})`);
    }
    filters.push({ attr, op, test: buildTest(key, kind, op, raw) });
  }
  return filters;
}

function buildTest(param: string, kind: FilterKind, op: string, raw: string): (value: unknown) => boolean {
  if (op === 'is_present') {
    const present = parseBoolean(param, raw);
    return (value) => (value !== undefined && value !== null && value !== '') === present;
  }
  if (kind === 'timestamp' || kind === 'number') {
    const isNumber = (v: unknown): v is number => typeof v === 'number';
    if (op === 'between') {
      const [from, to] = parseNumberPair(param, raw);
      return (v) => isNumber(v) && v >= from && v <= to;
    }
    const n = parseInteger(param, raw);
    switch (op) {
      case 'after':
      case 'gt':
        return (v) => isNumber(v) && v > n;
      case 'gte':
        return (v) => isNumber(v) && v >= n;
      case 'before':
      case 'lt':
        return (v) => isNumber(v) && v < n;
      case 'lte':
        return (v) => isNumber(v) && v <= n;
      case 'on':
      case 'is':
        return (v) => isNumber(v) && v === n;
      case 'is_not':
        return (v) => !isNumber(v) || v !== n;
    }
  }
  if (kind === 'boolean') {
    const expected = parseBoolean(param, raw);
    return (v) => (v === true) === expected;
  }
  switch (op) {
    case 'is':
      return (v) => v !== undefined && String(v) === raw;
    case 'is_not':
      return (v) => v === undefined || String(v) !== raw;
    case 'starts_with':
      return (v) => typeof v === 'string' && v.startsWith(raw);
    case 'in': {
      const values = new Set(parseStringArray(param, raw));
      return (v) => v !== undefined && values.has(String(v));
    }
    case 'not_in': {
      const values = new Set(parseStringArray(param, raw));
      return (v) => v === undefined || !values.has(String(v));
    }
  }
  throw paramWrongValue(param, `operator ${op} is not supported`);
}

function parseInteger(param: string, raw: string): number {
  if (!/^-?\d{1,15}$/.test(raw)) throw paramWrongValue(param, `invalid value ${JSON.stringify(raw)}; expected an integer (timestamps in unix seconds)`);
  return Number(raw);
}

function parseJsonArray(param: string, raw: string): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw paramWrongValue(param, `invalid value ${JSON.stringify(raw)}; expected a JSON array such as ["a","b"]`);
  }
  if (!Array.isArray(parsed)) throw paramWrongValue(param, `invalid value ${JSON.stringify(raw)}; expected a JSON array such as ["a","b"]`);
  return parsed;
}

function parseNumberPair(param: string, raw: string): [number, number] {
  const values = parseJsonArray(param, raw);
  const numbers = values.map((v) => (typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN));
  const [from, to] = numbers;
  if (numbers.length !== 2 || from === undefined || to === undefined || !Number.isInteger(from) || !Number.isInteger(to) || from > to) {
    throw paramWrongValue(param, `invalid value ${JSON.stringify(raw)}; expected [from,to] with from <= to`);
  }
  return [from, to];
}

function parseStringArray(param: string, raw: string): string[] {
  const values = parseJsonArray(param, raw);
  if (values.length === 0 || values.some((v) => typeof v !== 'string' && typeof v !== 'number')) {
    throw paramWrongValue(param, `invalid value ${JSON.stringify(raw)}; expected a non-empty JSON array of strings`);
  }
  return values.map(String);
}

function filterValue(record: StoredRecord, attr: string): unknown {
  return record[attr];
}

function sortValue(entry: StoredEntry, attr: string | null): SortValue {
  if (attr === null) return entry.seq;
  const value = entry.record[attr];
  return typeof value === 'number' || typeof value === 'string' ? value : null;
}

/** Missing values sort first ascending (Chargebee puts records without updated_at before all others). */
function compareValues(a: SortValue, b: SortValue): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

function orderedCompare(direction: Direction, aValue: SortValue, aId: string, bValue: SortValue, bId: string): number {
  const byValue = compareValues(aValue, bValue);
  const byKey = byValue !== 0 ? byValue : aId === bId ? 0 : aId < bId ? -1 : 1;
  return direction === 'asc' ? byKey : -byKey;
}

function signature(resource: ResourceName, sort: Sort, value: string | null, id: string): string {
  return createHash('sha256')
    .update(`${resource}|${sort.attr ?? '~created'}|${sort.direction}|${value ?? '~null'}|${id}`)
    .digest('hex')
    .slice(0, 12);
}

function encodeOffset(resource: ResourceName, sort: Sort, value: SortValue, id: string): string {
  const text = value === null ? null : String(value);
  return JSON.stringify([text, id, signature(resource, sort, text, id)]);
}

function decodeOffset(resource: ResourceName, sort: Sort, raw: string): { value: SortValue; id: string } {
  const invalid = () => paramWrongValue('offset', 'invalid value; copy next_offset from the previous page of the same list, with the same sort and filters');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalid();
  const [text, id, sig] = parsed as unknown[];
  if ((text !== null && typeof text !== 'string') || typeof id !== 'string' || typeof sig !== 'string') throw invalid();
  if (signature(resource, sort, text, id) !== sig) throw invalid();
  if (text === null) return { value: null, id };
  if (sort.attr !== null && STRING_SORTS.has(sort.attr)) return { value: text, id };
  if (!/^-?\d+$/.test(text)) throw invalid();
  return { value: Number(text), id };
}

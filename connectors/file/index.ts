/**
 * File source: each `files:` entry of the connection block is an endpoint read from a local CSV,
 * JSON or JSON Lines file, with typed columns declared in the pipeline. The whole file is read on
 * every run; the engine's ledger skips records whose content did not change.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { LedgersyncError } from '../../engine/errors.js';
import { canonicalDecimal } from '../../domain/money/decimal.js';
import type { ConnectorFactoryInput, ConnectorModule, Source, SourcePage, SourceRecord, StreamReadRequest } from '../../engine/connector/types.js';
import { JsonNumber } from './json-text.js';
import { csvRows, jsonLinesRows, jsonRows, ParseError, pick, type RawRow } from './parse.js';

export type ColumnType = 'string' | 'integer' | 'decimal' | 'date' | 'boolean';

export interface FileEndpoint {
  path: string;
  format: 'csv' | 'json' | 'jsonl';
  delimiter?: string;
  records_path?: string;
  columns: Record<string, { column: string; type?: ColumnType; required?: boolean }>;
  id_columns?: string[];
  group_by?: string;
}

const PAGE_SIZE = 500;

function configError(message: string, fix: string): LedgersyncError {
  return new LedgersyncError('invalid_file_source', 'config', message, { fix });
}

/** A value as the file holds it, for messages: a JSON number as written, anything else as JSON. */
function shown(raw: unknown): string {
  return raw instanceof JsonNumber ? raw.text : JSON.stringify(raw);
}

/** Converts one cell to its declared type; throws a message (the caller adds file, line and column). */
export function convertValue(raw: unknown, type: ColumnType): unknown {
  // A JSON number is read from the text the file holds, like a CSV cell: never through a float.
  const cell = raw instanceof JsonNumber ? raw.text : raw;
  if (cell === undefined || cell === null) return null;
  if (typeof cell === 'object')
    throw new Error(`expected one value, found ${Array.isArray(cell) ? 'a list' : 'an object'}: point the column at a field inside it`);
  const text = typeof cell === 'string' ? cell.trim() : cell;
  if (text === '') return null;
  switch (type) {
    case 'string':
      return String(text);
    case 'integer': {
      const value = typeof text === 'number' ? text : /^[+-]?\d+$/.test(String(text)) ? Number(text) : NaN;
      if (!Number.isSafeInteger(value)) throw new Error(`expected an integer, found ${shown(raw)}`);
      return value;
    }
    case 'decimal': {
      const value = canonicalDecimal(String(text));
      if (value === undefined) {
        const exponent = raw instanceof JsonNumber && /[eE]/.test(raw.text);
        throw new Error(`expected a decimal amount like 1234.56, found ${shown(raw)}${exponent ? ' (write the amount as digits, without an exponent)' : ''}`);
      }
      return value;
    }
    case 'date': {
      const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?$/.exec(String(text));
      const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : undefined;
      if (!match || !date || date.getUTCDate() !== Number(match[3]) || date.getUTCMonth() !== Number(match[2]) - 1) {
        throw new Error(`expected a date YYYY-MM-DD, found ${shown(raw)}`);
      }
      return `${match[1]}-${match[2]}-${match[3]}`;
    }
    case 'boolean': {
      const value = String(text).toLowerCase();
      if (['true', 'yes', 'y', '1'].includes(value)) return true;
      if (['false', 'no', 'n', '0'].includes(value)) return false;
      throw new Error(`expected true or false, found ${shown(raw)}`);
    }
  }
}

export interface TypedRow {
  line: number;
  /** Where a line may hold more than one record (JSON): the column the record starts at, and its index. */
  column?: number;
  record?: number;
  values: Record<string, unknown>;
}

/** `file:line[:column]: [record n, ]`, the start of every message about one row. */
function rowAt(file: string, row: Pick<TypedRow, 'line' | 'column' | 'record'>): string {
  return `${file}:${row.line}${row.column === undefined ? '' : `:${row.column}`}: ${row.record === undefined ? '' : `record ${row.record}, `}`;
}

/** Reads and types every row of one endpoint's file. */
export async function readTypedRows(endpoint: FileEndpoint, file: string): Promise<TypedRow[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw configError(
      `cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
      'check the path under source.files (relative paths start at the pipeline file)',
    );
  }
  let rows: RawRow[];
  try {
    if (endpoint.format === 'csv') {
      const declared = Object.values(endpoint.columns).map((c) => c.column);
      const parsed = csvRows(text, endpoint.delimiter ?? ',', declared);
      const missing = declared.filter((c) => !parsed.header.includes(c));
      if (missing.length) {
        throw configError(
          `${file}:1: the header has no column ${missing.map((m) => `"${m}"`).join(', ')} (it has ${parsed.header.map((h) => `"${h}"`).join(', ')})`,
          'correct columns.<name>.column in the pipeline, or the export',
        );
      }
      rows = parsed.rows;
    } else rows = endpoint.format === 'json' ? jsonRows(text, endpoint.records_path) : jsonLinesRows(text);
  } catch (error) {
    if (error instanceof ParseError)
      throw configError(`${file}:${error.line}${error.column === undefined ? '' : `:${error.column}`}: ${error.message}`, error.fix);
    throw error;
  }
  return rows.map((row) => {
    const values: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(endpoint.columns)) {
      const repeated = row.repeated?.get(Object.hasOwn(row.values, spec.column) ? spec.column : (spec.column.split('.')[0] ?? spec.column));
      if (repeated) {
        throw configError(
          `${file}:${repeated.second.line}:${repeated.second.column}: field "${spec.column.split('.')[0]}" appears twice in one object (first at ${repeated.first.line}:${repeated.first.column}), and only one can be read`,
          'remove or rename one of the two in the file',
        );
      }
      let value: unknown;
      try {
        value = convertValue(pick(row.values, spec.column), spec.type ?? 'string');
      } catch (error) {
        throw configError(`${rowAt(file, row)}column "${spec.column}": ${(error as Error).message}`, 'correct the file, or the column type in the pipeline');
      }
      if (value === null && spec.required)
        throw configError(`${rowAt(file, row)}column "${spec.column}" is empty but required`, 'fill the value in the file, or drop `required` for that column');
      values[name] = value;
    }
    return { line: row.line, ...(row.column === undefined ? {} : { column: row.column }), ...(row.record === undefined ? {} : { record: row.record }), values };
  });
}

/**
 * Refused for a file that declares neither `id_columns` nor `group_by`: a row's position is no
 * identity, since a line added above it (a blank one, a line break inside a quoted field) gives every
 * later row another id, and the sink would reverse and post again what it already holds.
 */
function noIdentity(endpoint: string): LedgersyncError {
  return configError(
    `${endpoint} declares neither id_columns nor group_by, and a row's position in the file is no identity (a line added above it would post it again)`,
    'declare id_columns (the columns whose values identify a row, e.g. [journal, line_no]) or group_by (the column whose rows form one record)',
  );
}

/** Turns typed rows into source records: one per row, identified by `id_columns`, or one per `group_by` value with its rows as `lines`. */
export function rowsToRecords(endpoint: FileEndpoint, rows: readonly TypedRow[]): SourceRecord[] {
  if (endpoint.group_by) return groupedRecords(endpoint, endpoint.group_by, rows);
  const idColumns = endpoint.id_columns ?? [];
  if (idColumns.length === 0) throw noIdentity(endpoint.path);
  const seen = new Map<string, TypedRow>();
  return rows.map((row) => {
    const empty = idColumns.find((c) => row.values[c] === null || row.values[c] === undefined);
    if (empty !== undefined)
      throw configError(`${rowAt(endpoint.path, row)}the id column ${empty} is empty`, 'fill it in every row, or choose id_columns that every row fills');
    const id = idColumns.map((c) => String(row.values[c])).join(':');
    const earlier = seen.get(id);
    if (earlier)
      throw configError(
        `${rowAt(endpoint.path, row)}id ${JSON.stringify(id)} (from ${idColumns.join(', ')}) repeats the row at line ${earlier.line}`,
        'choose id_columns that identify each row',
      );
    seen.set(id, row);
    return { id, deleted: false, data: { ...row.values, _line: row.line } };
  });
}

function groupedRecords(endpoint: FileEndpoint, groupBy: string, rows: readonly TypedRow[]): SourceRecord[] {
  const groups = new Map<string, TypedRow[]>();
  for (const row of rows) {
    const key = row.values[groupBy];
    if (key === null || key === undefined) throw configError(`${rowAt(endpoint.path, row)}the group_by column ${groupBy} is empty`, 'fill it in every row');
    const list = groups.get(String(key));
    if (list) list.push(row);
    else groups.set(String(key), [row]);
  }
  return [...groups].map(([key, list]) => ({ id: key, deleted: false, data: { [groupBy]: key, lines: list.map((r) => ({ ...r.values, _line: r.line })) } }));
}

function endpointsOf(input: ConnectorFactoryInput): Record<string, FileEndpoint> {
  const files = input.connection['files'];
  if (typeof files !== 'object' || files === null || Array.isArray(files) || Object.keys(files).length === 0) {
    throw configError('source.files must map endpoint names to file declarations', 'declare at least one file under source.files');
  }
  return files as Record<string, FileEndpoint>;
}

export function createFileSource(input: ConnectorFactoryInput): Source {
  const endpoints = endpointsOf(input);
  const locate = (path: string) => (isAbsolute(path) ? path : resolve(input.pipelineDir, path));
  const endpointFor = (request: StreamReadRequest): FileEndpoint => {
    const endpoint = endpoints[request.endpoint];
    if (!endpoint) {
      throw configError(
        `stream ${request.stream} reads endpoint '${request.endpoint}', which source.files does not declare`,
        `use one of: ${Object.keys(endpoints).join(', ')}`,
      );
    }
    return endpoint;
  };
  return {
    async open(_ctx, streams) {
      for (const request of streams) {
        const endpoint = endpointFor(request);
        if (!endpoint.group_by && !endpoint.id_columns?.length) throw noIdentity(`source.files.${request.endpoint}`);
        for (const column of [...(endpoint.id_columns ?? []), ...(endpoint.group_by ? [endpoint.group_by] : [])]) {
          if (!(column in endpoint.columns))
            throw configError(
              `source.files.${request.endpoint}: ${column} is not one of the declared columns`,
              `declare it under columns, or use one of: ${Object.keys(endpoint.columns).join(', ')}`,
            );
        }
      }
    },
    async *read(request): AsyncIterable<SourcePage> {
      const endpoint = endpointFor(request);
      const file = locate(endpoint.path);
      const records = rowsToRecords({ ...endpoint, path: file }, await readTypedRows(endpoint, file));
      for (let start = 0, page = 1; start < records.length; start += PAGE_SIZE, page++) {
        yield { records: records.slice(start, start + PAGE_SIZE), progress: { page } };
      }
    },
  };
}

export const connector: ConnectorModule = {
  name: 'file',
  createSource: createFileSource,
};

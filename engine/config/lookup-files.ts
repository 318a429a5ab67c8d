/**
 * Lookup tables kept in their own file (`lookups.<name>.file`): a CSV with a header row, a JSON
 * object, or JSON Lines, as accountants export their mapping tables (customer → dimension,
 * SKU → account) with tens or hundreds of thousands of rows. Read in one linear pass; every
 * problem (a bad row, a duplicate key, a missing column) is reported at its line in that file.
 */
import { extname } from 'node:path';
import type { ConfigProblem } from '../errors.js';
import { displayPath } from './descriptors.js';
import { readConfigText } from './read-text.js';
import { didYouMean } from './suggest.js';

export type LookupFileFormat = 'csv' | 'json' | 'jsonl';

export interface LookupFileSpec {
  /** Absolute path of the file. */
  path: string;
  /** `csv`, `json` or `jsonl`; default: from the file's extension. */
  format?: LookupFileFormat;
  /** CSV header or JSON Lines field holding the key. Default `key`. */
  keyColumn?: string;
  /** Column (or columns, giving an object) holding the value. Default `value`. */
  valueColumn?: string | readonly string[];
  /** CSV field separator. Default `,`. */
  delimiter?: string;
}

export interface LookupFileResult {
  /** The table, when the file could be read without error. */
  values?: Record<string, unknown>;
  rows: number;
  /** Problems located inside the file. */
  problems: ConfigProblem[];
  /** The line of each key, when the file could be read without error. */
  lines?: ReadonlyMap<string, number>;
  /** A problem with the file as a whole (missing, unknown format), to report where the pipeline names it. */
  fileIssue?: { code: string; message: string };
}

/** Largest lookup file read: about 3 million rows of a two-column CSV. */
export const MAX_LOOKUP_FILE_BYTES = 128 * 1024 * 1024;
/** Problems reported per file; a file wrong on every row says so in a few lines. */
const MAX_PROBLEMS_PER_FILE = 20;

const extensions: Record<string, LookupFileFormat> = { '.csv': 'csv', '.json': 'json', '.jsonl': 'jsonl', '.ndjson': 'jsonl' };

export async function readLookupFile(spec: LookupFileSpec): Promise<LookupFileResult> {
  const shown = displayPath(spec.path);
  const format = spec.format ?? extensions[extname(spec.path).toLowerCase()];
  if (!format) {
    return {
      rows: 0,
      problems: [],
      fileIssue: {
        code: 'lookup_file_format',
        message: `cannot tell the format of ${shown}: name it .csv, .json or .jsonl, or give format: csv, json or jsonl`,
      },
    };
  }
  if (format === 'json' && (spec.keyColumn !== undefined || spec.valueColumn !== undefined)) {
    return {
      rows: 0,
      problems: [],
      fileIssue: {
        code: 'lookup_file_format',
        message: `key_column and value_column apply to csv and jsonl files; a json lookup file is one object of key → value`,
      },
    };
  }
  const read = await readConfigText(spec.path, { maxBytes: MAX_LOOKUP_FILE_BYTES, shownAs: shown });
  if (!read.ok) {
    if (read.code === 'file_unreadable' || read.code === 'file_not_regular')
      return { rows: 0, problems: [], fileIssue: { code: 'lookup_file_unreadable', message: read.message } };
    return { rows: 0, problems: [{ code: read.code, file: shown, path: '', line: read.line, column: read.column, message: read.message, severity: 'error' }] };
  }
  const table = new TableBuilder(shown);
  const columns = { key: spec.keyColumn ?? 'key', value: spec.valueColumn ?? 'value' };
  if (format === 'csv') readCsv(read.text, spec.delimiter ?? ',', columns, table);
  else if (format === 'jsonl') readJsonLines(read.text, columns, table);
  else readJsonObject(read.text, table);
  return table.result();
}

/** Collects rows, refusing a duplicate key with both lines, and caps the problems reported. */
class TableBuilder {
  private readonly values: Record<string, unknown> = {};
  private readonly lines = new Map<string, number>();
  private readonly problems: ConfigProblem[] = [];
  private more = 0;
  rows = 0;

  constructor(readonly file: string) {}

  add(key: string, value: unknown, line: number, column: number): void {
    const first = this.lines.get(key);
    if (first !== undefined) {
      this.problem('lookup_duplicate_key', line, column, `duplicate key '${key}' (lines ${first} and ${line}): a key appears once in a lookup table`);
      return;
    }
    this.lines.set(key, line);
    // defineProperty: a key such as `__proto__` or `constructor` is a row like any other.
    Object.defineProperty(this.values, key, { value, enumerable: true, writable: true, configurable: true });
    this.rows++;
  }

  problem(code: string, line: number, column: number, message: string): void {
    if (this.problems.length >= MAX_PROBLEMS_PER_FILE) {
      this.more++;
      return;
    }
    this.problems.push({ code, file: this.file, path: '', line, column, message, severity: 'error' });
  }

  result(): LookupFileResult {
    const problems = [...this.problems];
    const last = problems.at(-1);
    if (this.more > 0 && last) problems.push({ ...last, code: 'lookup_more_problems', message: `… and ${this.more} more problem(s) in this file` });
    return problems.length ? { rows: this.rows, problems } : { values: this.values, lines: this.lines, rows: this.rows, problems };
  }
}

interface Columns {
  key: string;
  value: string | readonly string[];
}

interface CsvRecord {
  line: number;
  fields: string[];
  /** Column (1-based) where each field starts. */
  columns: number[];
}

function readCsv(text: string, delimiter: string, wanted: Columns, table: TableBuilder): void {
  const records = csvRecords(text, delimiter, table);
  const header = records[0];
  if (!header) {
    table.problem(
      'lookup_csv_header',
      1,
      1,
      `the file is empty: a CSV lookup table starts with a header row naming its columns (${wanted.key},${valueNames(wanted).join(',')})`,
    );
    return;
  }
  const names = header.fields.map((h) => h.trim());
  const index = new Map<string, number>();
  names.forEach((name, i) => {
    if (index.has(name)) table.problem('lookup_csv_header', header.line, header.columns[i] ?? 1, `column '${name}' appears twice in the header`);
    else index.set(name, i);
  });
  // One column holding another separator: a spreadsheet saved with the locale's separator (Excel in
  // much of Europe writes ';').
  const otherSeparator = names.length === 1 ? [';', '\t', '|', ','].find((s) => s !== delimiter && names[0]!.includes(s)) : undefined;
  const hint = otherSeparator
    ? `; the file seems separated by ${otherSeparator === '\t' ? 'tabs' : `'${otherSeparator}'`}: set delimiter: ${JSON.stringify(otherSeparator)}`
    : '';
  const column = (name: string): number | undefined => {
    const at = index.get(name);
    if (at === undefined) {
      table.problem('lookup_csv_header', header.line, 1, `the header has no column '${name}' (columns: ${names.join(', ')})${didYouMean(name, names)}${hint}`);
    }
    return at;
  };
  const keyAt = column(wanted.key);
  const valueAts = valueNames(wanted).map((name) => ({ name, at: column(name) }));
  if (keyAt === undefined || valueAts.some((v) => v.at === undefined)) return;
  for (let r = 1; r < records.length; r++) {
    const record = records[r] as CsvRecord;
    if (record.fields.length !== names.length) {
      table.problem('lookup_csv_row', record.line, 1, `this row has ${record.fields.length} field(s), the header has ${names.length}`);
      continue;
    }
    const key = record.fields[keyAt] as string;
    if (key === '') {
      table.problem('lookup_empty_key', record.line, record.columns[keyAt] ?? 1, `this row has an empty ${wanted.key}`);
      continue;
    }
    const value =
      typeof wanted.value === 'string' ? record.fields[valueAts[0]?.at ?? 0] : Object.fromEntries(valueAts.map((v) => [v.name, record.fields[v.at ?? 0]]));
    table.add(key, value, record.line, record.columns[keyAt] ?? 1);
  }
}

function valueNames(columns: Columns): string[] {
  return typeof columns.value === 'string' ? [columns.value] : [...columns.value];
}

/** RFC 4180: quoted fields may hold the delimiter, doubled quotes and line breaks; CRLF or LF. */
function csvRecords(text: string, delimiter: string, table: TableBuilder): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let columns: number[] = [];
  let line = 1;
  let lineStart = 0;
  let recordLine = 1;
  let i = 0;
  const endRecord = () => {
    if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields, columns });
    fields = [];
    columns = [];
  };
  while (i <= text.length) {
    const fieldColumn = i - lineStart + 1;
    let field = '';
    if (text[i] === '"') {
      const openLine = line;
      let j = i + 1;
      for (;;) {
        const close = text.indexOf('"', j);
        if (close < 0) {
          table.problem('lookup_csv_quote', openLine, fieldColumn, 'this quoted field is never closed (a " is missing)');
          return records;
        }
        const chunk = text.slice(j, close);
        for (let k = chunk.indexOf('\n'); k >= 0; k = chunk.indexOf('\n', k + 1)) {
          line++;
          lineStart = j + k + 1;
        }
        field += chunk;
        if (text[close + 1] === '"') {
          field += '"';
          j = close + 2;
          continue;
        }
        i = close + 1;
        break;
      }
      const next = text[i];
      if (next !== undefined && next !== delimiter && next !== '\n' && next !== '\r') {
        table.problem(
          'lookup_csv_quote',
          line,
          i - lineStart + 1,
          `text after a closing quote: a quoted field ends at the ${JSON.stringify(delimiter)} or the end of the line`,
        );
        while (i < text.length && text[i] !== delimiter && text[i] !== '\n') i++;
      }
    } else {
      let j = i;
      while (j < text.length && text[j] !== delimiter && text[j] !== '\n' && text[j] !== '\r') j++;
      field = text.slice(i, j);
      i = j;
    }
    fields.push(field);
    columns.push(fieldColumn);
    const c = text[i];
    if (c === delimiter) {
      i++;
      continue;
    }
    endRecord();
    if (c === undefined) break;
    i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    line++;
    lineStart = i;
    recordLine = line;
  }
  return records;
}

function readJsonLines(text: string, wanted: Columns, table: TableBuilder): void {
  let start = 0;
  for (let line = 1; start <= text.length; line++) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const raw = text.slice(start, end).replace(/\r$/, '');
    start = end + 1;
    if (raw.trim() === '') {
      if (end === text.length) break;
      continue;
    }
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (error) {
      const { message, position } = jsonError(error);
      table.problem('lookup_json_syntax', line, (position ?? jsonErrorOffset(raw)) + 1, `not valid JSON: ${message}`);
      continue;
    }
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      table.problem(
        'lookup_jsonl_row',
        line,
        1,
        `each line of a JSON Lines lookup table is an object such as {"${wanted.key}": "…", "${valueNames(wanted)[0]}": "…"}`,
      );
      continue;
    }
    const record = row as Record<string, unknown>;
    const key = record[wanted.key];
    if (!Object.hasOwn(record, wanted.key) || !(typeof key === 'string' || Number.isSafeInteger(key)) || key === '') {
      table.problem('lookup_jsonl_row', line, 1, `this line has no ${wanted.key} (text, or a whole number)`);
      continue;
    }
    const missing = valueNames(wanted).filter((name) => !Object.hasOwn(record, name));
    if (missing.length) {
      table.problem('lookup_jsonl_row', line, 1, `this line has no ${missing.join(', ')}${didYouMean(missing[0] ?? '', Object.keys(record))}`);
      continue;
    }
    const value = typeof wanted.value === 'string' ? record[wanted.value] : Object.fromEntries(wanted.value.map((name) => [name, record[name]]));
    table.add(String(key), value, line, 1);
  }
}

function readJsonObject(text: string, table: TableBuilder): void {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const { message, position } = jsonError(error);
    // V8 does not always say where.
    const at = lineColumn(text, position ?? jsonErrorOffset(text));
    table.problem('lookup_json_syntax', at.line, at.column, `not valid JSON: ${message}`);
    return;
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    table.problem('lookup_json_shape', 1, 1, 'a JSON lookup table is one object of key → value, such as {"SAAS": "4000", "SERVICES": "4100"}');
    return;
  }
  // JSON.parse keeps the last of two equal keys without a word: find them, with their lines.
  for (const { key, line, column } of topLevelKeys(text)) {
    table.add(key, (document as Record<string, unknown>)[key], line, column);
  }
}

/** The keys of a JSON object text's outermost object, in order, with where each stands. */
function topLevelKeys(text: string): Array<{ key: string; line: number; column: number }> {
  const keys: Array<{ key: string; line: number; column: number }> = [];
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      line++;
      lineStart = i + 1;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (text[k] === ' ' || text[k] === '\t' || text[k] === '\r' || text[k] === '\n') k++;
        if (text[k] === ':') keys.push({ key: JSON.parse(text.slice(i, j + 1)) as string, line, column: i - lineStart + 1 });
      }
      i = j;
    }
  }
  return keys;
}

/** Offset of the first character that makes `text` invalid JSON (an explicit stack: nesting depth is no limit). */
export function jsonErrorOffset(text: string): number {
  const stack: Array<'{' | '['> = [];
  let i = 0;
  const space = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const string = (): boolean => {
    if (text[i] !== '"') return false;
    for (i++; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const escaped = text[i + 1] ?? '';
        if (escaped === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 5;
        } else if ('"\\/bfnrt'.includes(escaped) && escaped !== '') i++;
        else return false;
      }
    }
    return false;
  };
  /** A value; `true` when a container was opened (its content follows). */
  const value = (): boolean | undefined => {
    const c = text[i];
    if (c === '{' || c === '[') {
      stack.push(c);
      i++;
      return true;
    }
    if (c === '"') return string() ? false : undefined;
    const literal = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?|true|false|null/y;
    literal.lastIndex = i;
    if (!literal.test(text)) return undefined;
    i = literal.lastIndex;
    return false;
  };
  space();
  let opened = value();
  for (;;) {
    if (opened === undefined) return i;
    space();
    const top = stack.at(-1);
    if (opened) {
      // Just inside `{` or `[`: it may close at once.
      if (text[i] === (top === '{' ? '}' : ']')) {
        stack.pop();
        i++;
        opened = false;
        continue;
      }
    } else {
      if (top === undefined) return Math.min(i, text.length);
      if (text[i] === (top === '{' ? '}' : ']')) {
        stack.pop();
        i++;
        continue;
      }
      if (text[i] !== ',') return i;
      i++;
      space();
    }
    if (stack.at(-1) === '{') {
      if (!string()) return i;
      space();
      if (text[i] !== ':') return i;
      i++;
      space();
    }
    opened = value();
  }
}

function jsonError(error: unknown): { message: string; position?: number } {
  const text = error instanceof Error ? error.message : String(error);
  const position = /at position (\d+)/.exec(text)?.[1];
  // V8 quotes the text around the error; the location says where it is.
  const message = text
    .replace(/, (\.\.\.)?".*" is not valid JSON$/s, '')
    .replace(/ in JSON at position \d+.*$/s, '')
    .trim();
  return position === undefined ? { message } : { message, position: Number(position) };
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

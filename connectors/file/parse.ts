/** Parsing of CSV (RFC 4180, by csv-parse), JSON and JSON Lines into rows that remember their line number. */
import type * as CsvParse from 'csv-parse/sync';
import { requireCjs } from '../../engine/require-cjs.js';

export interface RawRow {
  /** 1-based line the row starts on. */
  line: number;
  values: Record<string, unknown>;
}

export class ParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const CR = 0x0d;
const LF = 0x0a;

/**
 * Line numbers over the UTF-8 bytes csv-parse reports offsets in. CRLF, LF and a lone CR each end
 * one line, inside quoted fields too, so a row's number is the line a person sees it start on.
 */
class LineCounter {
  private offset = 0;
  private line = 1;

  constructor(private readonly bytes: Buffer) {}

  /** Line on which a record that begins at `offset` starts: blank lines before it are skipped. */
  recordStartingAt(offset: number): number {
    this.advance(offset);
    while (this.offset < this.bytes.length && (this.bytes[this.offset] === CR || this.bytes[this.offset] === LF)) this.advance(this.offset + 1);
    return this.line;
  }

  /** Moves to `offset`, counting the line breaks passed; CRLF counts once. */
  advance(offset: number): void {
    while (this.offset < offset) {
      const byte = this.bytes[this.offset];
      if (byte === LF || (byte === CR && this.bytes[this.offset + 1] !== LF)) this.line++;
      this.offset++;
    }
  }
}

/**
 * Splits CSV text into records of fields (RFC 4180, by csv-parse): quoted fields may hold
 * delimiters, doubled quotes and line breaks; a leading BOM is dropped; empty lines are skipped; a quote
 * inside an unquoted field is kept as text (`27" monitor`). Each record carries the line it starts
 * on, which also names rows that have no id columns, so it must not drift.
 */
export function parseCsvRecords(text: string, delimiter = ','): Array<{ line: number; fields: string[] }> {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = new LineCounter(Buffer.from(source, 'utf8'));
  const records: Array<{ line: number; fields: string[] }> = [];
  let recordStart = 0;
  // Loaded by the first CSV file read: a run that reads none never pays for csv-parse.
  const { CsvError, parse } = requireCjs('csv-parse/sync') as typeof CsvParse;
  try {
    parse(source, {
      delimiter,
      record_delimiter: ['\r\n', '\n', '\r'],
      skip_empty_lines: true,
      relax_quotes: true,
      // Rows with the wrong number of fields are reported with the header's count, below.
      relax_column_count: true,
      on_record: (fields: string[], context) => {
        // A line holding only `""` is as empty as a blank one.
        if (fields.length !== 1 || fields[0] !== '') records.push({ line: lines.recordStartingAt(recordStart), fields });
        recordStart = context.bytes;
        return undefined;
      },
    });
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    const line = lines.recordStartingAt(recordStart);
    throw new ParseError(line, error.code === 'CSV_QUOTE_NOT_CLOSED' ? 'has a quoted field that is not closed' : `is not valid CSV: ${error.message}`);
  }
  return records;
}

export function csvRows(text: string, delimiter: string): { header: string[]; rows: RawRow[] } {
  const [headerRecord, ...records] = parseCsvRecords(text, delimiter);
  if (!headerRecord) return { header: [], rows: [] };
  const header = headerRecord.fields.map((h) => h.trim());
  const rows = records.map(({ line, fields }) => {
    if (fields.length !== header.length) throw new ParseError(line, `has ${fields.length} fields, the header has ${header.length}`);
    return { line, values: Object.fromEntries(header.map((h, i) => [h, fields[i]])) };
  });
  return { header, rows };
}

export function jsonRows(text: string, recordsPath: string | undefined): RawRow[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new ParseError(1, `is not valid JSON: ${(error as Error).message}`);
  }
  let records: unknown = document;
  for (const key of recordsPath ? recordsPath.split('.') : []) {
    records = typeof records === 'object' && records !== null ? (records as Record<string, unknown>)[key] : undefined;
  }
  if (!Array.isArray(records)) throw new ParseError(1, `has no array of records${recordsPath ? ` at ${recordsPath}` : ''}`);
  return records.map((values, i) => {
    if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new ParseError(1, `record ${i + 1} is not an object`);
    return { line: i + 1, values: values as Record<string, unknown> };
  });
}

export function jsonLinesRows(text: string): RawRow[] {
  const rows: RawRow[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    let values: unknown;
    try {
      values = JSON.parse(raw);
    } catch (error) {
      throw new ParseError(i + 1, `is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new ParseError(i + 1, 'is not a JSON object');
    rows.push({ line: i + 1, values: values as Record<string, unknown> });
  });
  return rows;
}

/** Reads a dotted path (`amount.value`) from a JSON record; CSV headers are read as they are. */
export function pick(values: Record<string, unknown>, column: string): unknown {
  if (Object.hasOwn(values, column)) return values[column];
  let current: unknown = values;
  for (const key of column.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

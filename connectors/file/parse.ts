/** Parsing of CSV (RFC 4180, by csv-parse), JSON and JSON Lines into rows that remember where they start. */
import type * as CsvParse from 'csv-parse/sync';
import { requireCjs } from '../../engine/require-cjs.js';
import { JsonNumber, JsonSyntaxError, parseJson, type ParsedJson } from './json-text.js';
import { TextPositions } from './text-positions.js';

export interface RawRow {
  /** 1-based line the row starts on. */
  line: number;
  /** 1-based column the record starts at, where a line holds more than one row (JSON). */
  column?: number;
  /** 1-based index of the record in a JSON array, where a line does not name it. */
  record?: number;
  values: Record<string, unknown>;
  /** Fields of the record named twice (JSON): where each is, for a reader that would read one. */
  repeated?: ReadonlyMap<string, { first: Position; second: Position }>;
}

interface Position {
  line: number;
  column: number;
}

/** A file that cannot be read as rows: `message` says what is wrong at `line` (and `column`). */
export class ParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
    readonly column?: number,
    readonly fix = 'correct the file',
  ) {
    super(message);
  }
}

const BOM = 0xfeff;
const withoutBom = (text: string) => (text.charCodeAt(0) === BOM ? text.slice(1) : text);

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
 * on, which messages name, so it must not drift.
 */
export function parseCsvRecords(text: string, delimiter = ','): Array<{ line: number; fields: string[] }> {
  const source = withoutBom(text);
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
    throw new ParseError(line, error.code === 'CSV_QUOTE_NOT_CLOSED' ? 'row has a quoted field that is not closed' : `row is not valid CSV: ${error.message}`);
  }
  return records;
}

/**
 * The header and rows of a CSV file. A header naming one of `declared` twice is refused: reading
 * either would be a guess (an amount in transaction currency, and again in base currency).
 */
export function csvRows(text: string, delimiter: string, declared: readonly string[] = []): { header: string[]; rows: RawRow[] } {
  const [headerRecord, ...records] = parseCsvRecords(text, delimiter);
  if (!headerRecord) return { header: [], rows: [] };
  const header = headerRecord.fields.map((h) => h.trim());
  refuseRepeatedHeaders(header, headerRecord.line, declared);
  const rows = records.map(({ line, fields }) => {
    if (fields.length !== header.length) throw new ParseError(line, `row has ${fields.length} fields, the header has ${header.length}`);
    return { line, values: Object.fromEntries(header.map((h, i) => [h, fields[i]])) };
  });
  return { header, rows };
}

function refuseRepeatedHeaders(header: readonly string[], line: number, declared: readonly string[]): void {
  for (const name of new Set(declared)) {
    const fields = header.flatMap((h, i) => (h === name ? [i + 1] : []));
    if (fields.length > 1) {
      throw new ParseError(
        line,
        `the header names "${name}" ${fields.length === 2 ? 'twice' : `${fields.length} times`} (fields ${fields.join(' and ')}, spreadsheet columns ${fields.map(spreadsheetColumn).join(' and ')}): which one the pipeline's column "${name}" reads would be a guess`,
        undefined,
        'rename or drop, in the export, the one the pipeline must not read, so the header names the column once',
      );
    }
  }
}

/** 1 → A, 27 → AA: how a spreadsheet names the field. */
function spreadsheetColumn(field: number): string {
  let name = '';
  for (let n = field; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  return name;
}

/** Where a JSON text goes wrong, at its line and column. */
function jsonParseError(error: unknown, positions: TextPositions): ParseError {
  if (!(error instanceof JsonSyntaxError)) throw error;
  const { line, column } = positions.at(error.offset);
  return new ParseError(line, `not valid JSON: ${error.message}`, column);
}

/** The record's fields named twice, at their lines and columns. */
function repeatedOf(parsed: ParsedJson, record: object, positions: TextPositions): Pick<RawRow, 'repeated'> {
  const fields = parsed.repeatedFields(record);
  if (!fields) return {};
  return { repeated: new Map([...fields].map(([name, [first, second]]) => [name, { first: positions.at(first), second: positions.at(second) }])) };
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber);

/** The records of a JSON document (the array at `recordsPath`, or the document itself), each at the line and column its value starts. */
export function jsonRows(text: string, recordsPath: string | undefined): RawRow[] {
  const source = withoutBom(text);
  const positions = new TextPositions(source);
  let parsed: ParsedJson;
  try {
    parsed = parseJson(source);
  } catch (error) {
    throw jsonParseError(error, positions);
  }
  let records: unknown = parsed.value;
  for (const key of recordsPath ? recordsPath.split('.') : []) records = isRecord(records) && Object.hasOwn(records, key) ? records[key] : undefined;
  if (!Array.isArray(records)) throw new ParseError(1, `the document has no array of records${recordsPath ? ` at ${recordsPath}` : ''}`);
  const offsets = parsed.elementOffsets(records) ?? [];
  return records.map((values, i) => {
    const { line, column } = positions.at(offsets[i] ?? 0);
    if (!isRecord(values)) throw new ParseError(line, `record ${i + 1} is not an object`, column);
    return { line, column, record: i + 1, values, ...repeatedOf(parsed, values, positions) };
  });
}

/** One object a line; blank lines are skipped. Each row is at the line it is on. */
export function jsonLinesRows(text: string): RawRow[] {
  const source = withoutBom(text);
  const positions = new TextPositions(source);
  const rows: RawRow[] = [];
  for (const { start, end } of lineFeedLines(source)) {
    const lineText = source.slice(start, end);
    if (lineText.trim() === '') continue;
    let parsed: ParsedJson;
    try {
      parsed = parseJson(source, start, end);
    } catch (error) {
      throw jsonParseError(error, positions);
    }
    const values = parsed.value;
    const { line, column } = positions.at(start + lineText.length - lineText.trimStart().length);
    if (!isRecord(values)) throw new ParseError(line, 'line is not a JSON object', column);
    rows.push({ line, column, values, ...repeatedOf(parsed, values, positions) });
  }
  return rows;
}

/**
 * The lines of a JSON Lines text as [start, end) offsets: records end at a line feed (a CR before it
 * dropped); a lone CR is whitespace inside a record, as JSON has it.
 */
function lineFeedLines(text: string): Array<{ start: number; end: number }> {
  const lines: Array<{ start: number; end: number }> = [];
  for (let start = 0; start <= text.length; ) {
    const feed = text.indexOf('\n', start);
    const next = feed === -1 ? text.length : feed;
    lines.push({ start, end: next > start && text.charCodeAt(next - 1) === 0x0d ? next - 1 : next });
    start = next + 1;
  }
  return lines;
}

/** Reads a dotted path (`amount.value`) from a JSON record; CSV headers are read as they are. */
export function pick(values: Record<string, unknown>, column: string): unknown {
  if (Object.hasOwn(values, column)) return values[column];
  let current: unknown = values;
  for (const key of column.split('.')) {
    if (typeof current !== 'object' || current === null || current instanceof JsonNumber || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

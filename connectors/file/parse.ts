/** Parsing of CSV (RFC 4180), JSON and JSON Lines into rows that remember their line number. */

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

/** Splits CSV text into records of fields: quoted fields may hold delimiters, quotes ("") and newlines. */
export function parseCsvRecords(text: string, delimiter = ','): Array<{ line: number; fields: string[] }> {
  const records: Array<{ line: number; fields: string[] }> = [];
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let fieldStarted = false;
  for (let i = 0; i < source.length; i++) {
    const ch = source[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (source[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (ch === delimiter) {
      fields.push(field);
      field = '';
      fieldStarted = false;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && source[i + 1] === '\n') i++;
      fields.push(field);
      if (!(fields.length === 1 && fields[0] === '')) records.push({ line: recordLine, fields });
      fields = [];
      field = '';
      fieldStarted = false;
      line++;
      recordLine = line;
    } else {
      field += ch;
      fieldStarted = true;
    }
  }
  if (quoted) throw new ParseError(recordLine, 'a quoted field is not closed');
  if (fieldStarted || fields.length) {
    fields.push(field);
    records.push({ line: recordLine, fields });
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

/** JSON and JSON Lines files: numbers read as the file writes them, and every error at the line and column it is on. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTypedRows, rowsToRecords, type FileEndpoint } from '../../../connectors/file/index.js';
import { JsonNumber, JsonSyntaxError, MAX_JSON_DEPTH, parseJson } from '../../../connectors/file/json-text.js';
import { jsonLinesRows, jsonRows } from '../../../connectors/file/parse.js';

const dir = mkdtempSync(join(tmpdir(), 'ledgersync-json-'));
function jsonFile(name: string, text: string, format: 'json' | 'jsonl', extra: Partial<FileEndpoint> = {}): { path: string; endpoint: FileEndpoint } {
  const path = join(dir, name);
  writeFileSync(path, text);
  return {
    path,
    endpoint: { path, format, columns: { journal: { column: 'journal' }, amount: { column: 'amount', type: 'decimal' } }, id_columns: ['journal'], ...extra },
  };
}
const syntaxErrorOf = (text: string) => {
  try {
    parseJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { offset: error.offset, message: error.message };
  }
  return undefined;
};

describe('the JSON parser', () => {
  it('reads what JSON.parse reads, numbers kept as written', () => {
    const text = ' {"a": [1, -0.50, 2e3, "x\\u00e9\\n\\"", true, false, null, {}], "b": {"c": []}} ';
    const { value } = parseJson(text);
    const texts: string[] = [];
    const asJson = JSON.stringify(value, (_, v: unknown) => {
      if (!(v instanceof JsonNumber)) return v;
      texts.push(v.text);
      return Number(v.text);
    });
    expect(JSON.parse(asJson)).toEqual(JSON.parse(text));
    expect(texts).toEqual(['1', '-0.50', '2e3']);
  });

  it('keeps a __proto__ field as data', () => {
    const { value } = parseJson('{"__proto__": {"polluted": 1}, "a": "b"}');
    expect(Object.keys(value as object)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('gives where each element of an array starts', () => {
    const text = '[\n  {"a": 1},\n  "x" ,\n\t3]';
    const parsed = parseJson(text);
    expect(parsed.elementOffsets(parsed.value as unknown[])).toEqual([4, 16, 23]);
  });

  it.each([
    ['[1, 2,]', 6, "expected a value, found ']'"],
    ['{"a": 1,}', 8, "expected a field name in double quotes, found '}'"],
    ['{"a" 1}', 5, `expected ':' after the field name "a", found '1'`],
    ['[1 2]', 3, "expected ',' or ']' after an element, found '2'"],
    ['{"a": 1 "b": 2}', 8, "expected ',' or '}' after a field's value, found '\"'"],
    ['"a\nb"', 2, 'expected a closing double quote (a line break inside a string must be written \\n), found a control character (U+000A)'],
    ['"\\x"', 2, "expected an escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX) after the backslash, found 'x'"],
    ['"\\u12g4"', 3, "expected four hex digits after \\u, found '1'"],
    ['[01]', 2, "expected ',' or ']' after an element, found '1'"],
    ['[.5]', 1, "expected a value, found '.'"],
    ['[-]', 1, "expected a value, found '-'"],
    ['[tru]', 1, "expected a value, found 't'"],
    ['{"a": 1} x', 9, "expected nothing after the value, found 'x'"],
    ['[1, 2', 5, "expected ',' or ']' after an element, found the end of the file"],
    ['', 0, 'expected a value, found the end of the file'],
  ])('refuses %j at offset %i', (text, offset, message) => {
    expect(syntaxErrorOf(text)).toEqual({ offset, message });
  });

  it('reports a field an object names twice, with both places, and leaves refusing it to whoever reads it', () => {
    const parsed = parseJson('{"amount": 1, "amount": 2, "note": 3}');
    expect([...(parsed.repeatedFields(parsed.value as object) ?? [])]).toEqual([['amount', [1, 14]]]);
  });

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH} levels instead of overflowing the stack`, () => {
    expect(syntaxErrorOf('['.repeat(MAX_JSON_DEPTH + 1) + ']'.repeat(MAX_JSON_DEPTH + 1))?.message).toBe(`nests deeper than ${MAX_JSON_DEPTH} levels`);
    expect(() => parseJson('['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH))).not.toThrow();
  });
});

describe('JSON numbers declared decimal keep the digits the file holds', () => {
  it('reads JSON and JSON Lines amounts exactly, never through a float', async () => {
    const json = jsonFile(
      'amounts.json',
      '[{"journal": "a", "amount": 12345678901234567.89}, {"journal": "b", "amount": 0.0000001}, {"journal": "c", "amount": -0.10}]',
      'json',
    );
    // Before: "12345678901234568" for a, and b refused as "1e-7", a text the file does not hold.
    expect((await readTypedRows(json.endpoint, json.path)).map((r) => r.values['amount'])).toEqual(['12345678901234567.89', '0.0000001', '-0.10']);
    const jsonl = jsonFile('amounts.jsonl', '{"journal": "a", "amount": 12345678901234567.89}\n{"journal": "b", "amount": 0.0000001}\n', 'jsonl');
    expect((await readTypedRows(jsonl.endpoint, jsonl.path)).map((r) => r.values['amount'])).toEqual(['12345678901234567.89', '0.0000001']);
  });

  it('reads a number id or group key as written, and a string column as the number written', async () => {
    const { path, endpoint } = jsonFile(
      'ids.json',
      '[{"journal": 90071992547409931, "amount": "1.00", "memo": 1.50}, {"journal": 90071992547409933, "amount": "2.00", "memo": 2}]',
      'json',
      { columns: { journal: { column: 'journal' }, amount: { column: 'amount', type: 'decimal' }, memo: { column: 'memo' } } },
    );
    const records = rowsToRecords(endpoint, await readTypedRows(endpoint, path));
    // Through a float both ids were "90071992547409940", and the second row was refused as a repeat.
    expect(records.map((r) => [r.id, r.data['memo']])).toEqual([
      ['90071992547409931', '1.50'],
      ['90071992547409933', '2'],
    ]);
    const { id_columns: _byId, ...byGroup } = endpoint;
    const grouped: FileEndpoint = { ...byGroup, group_by: 'journal' };
    expect(rowsToRecords(grouped, await readTypedRows(grouped, path)).map((r) => r.id)).toEqual(['90071992547409931', '90071992547409933']);
  });

  it('refuses an amount written with an exponent, showing it as written', async () => {
    const { path, endpoint } = jsonFile('exponent.json', '[{"journal": "a", "amount": 1e-7}]', 'json');
    await expect(readTypedRows(endpoint, path)).rejects.toThrow(
      `${path}:1:2: record 1, column "amount": expected a decimal amount like 1234.56, found 1e-7 (write the amount as digits, without an exponent)`,
    );
  });

  it('types integers and booleans from the number as written', async () => {
    const { path, endpoint } = jsonFile('types.json', '[{"n": 42, "ok": 1}, {"n": 1.0, "ok": 0}]', 'json', {
      columns: { n: { column: 'n', type: 'integer' }, ok: { column: 'ok', type: 'boolean' } },
      id_columns: ['n'],
    });
    await expect(readTypedRows(endpoint, path)).rejects.toThrow(`${path}:1:22: record 2, column "n": expected an integer, found 1.0`);
    writeFileSync(path, '[{"n": 42, "ok": 1}, {"n": -7, "ok": 0}]');
    expect((await readTypedRows(endpoint, path)).map((r) => r.values)).toEqual([
      { n: 42, ok: true },
      { n: -7, ok: false },
    ]);
  });
  it('refuses a column that points at an object or a list, rather than reading "[object Object]"', async () => {
    const { path, endpoint } = jsonFile('nested-value.json', '[{"journal": "J-1", "amount": {"value": "1.00"}}]', 'json');
    await expect(readTypedRows(endpoint, path)).rejects.toThrow(
      `${path}:1:2: record 1, column "amount": expected one value, found an object: point the column at a field inside it`,
    );
    const inside = { ...endpoint, columns: { ...endpoint.columns, amount: { column: 'amount.value', type: 'decimal' as const } } };
    expect((await readTypedRows(inside, path)).map((r) => r.values['amount'])).toEqual(['1.00']);
  });
});

describe('JSON errors name the line and column', () => {
  it('of the record a bad value is in, and its index', async () => {
    const text = JSON.stringify(
      [
        { journal: 'J-1', amount: '10.00' },
        { journal: 'J-2', amount: '12.5x' },
      ],
      null,
      2,
    );
    const { path, endpoint } = jsonFile('pretty.json', `${text}\n`, 'json');
    // Before: `pretty.json:2:`, the record's index given as its line.
    await expect(readTypedRows(endpoint, path)).rejects.toThrow(
      `${path}:6:3: record 2, column "amount": expected a decimal amount like 1234.56, found "12.5x"`,
    );
  });

  it('of the record under records_path that is not an object, and of an empty required value', async () => {
    const { path, endpoint } = jsonFile('nested.json', '{"data": {"lines": [\n  {"journal": "J-1", "amount": "1.00"},\n  "J-2"\n]}}', 'json', {
      records_path: 'data.lines',
    });
    await expect(readTypedRows(endpoint, path)).rejects.toThrow(`${path}:3:3: record 2 is not an object`);
    writeFileSync(path, '{"data": {"lines": [\n  {"journal": "J-1", "amount": "1.00"},\n  {"journal": "J-2"}\n]}}');
    const required = { ...endpoint, columns: { ...endpoint.columns, amount: { column: 'amount', type: 'decimal' as const, required: true } } };
    await expect(readTypedRows(required, path)).rejects.toThrow(`${path}:3:3: record 2, column "amount" is empty but required`);
    writeFileSync(path, '{"data": {"records": []}}');
    await expect(readTypedRows(endpoint, path)).rejects.toThrow(`${path}:1: the document has no array of records at data.lines`);
  });

  it('of a syntax error, not always line 1', async () => {
    const { path, endpoint } = jsonFile('broken.json', '[\n  {"journal": "J-1", "amount": "1.00"},\n  {"journal": "J-2", "amount": "2.00",}\n]\n', 'json');
    await expect(readTypedRows(endpoint, path)).rejects.toThrowError(
      expect.objectContaining({
        code: 'invalid_file_source',
        message: `${path}:3:39: not valid JSON: expected a field name in double quotes, found '}'`,
        fix: 'correct the file',
      }),
    );
  });

  it('a JSON Lines record ends at a line feed: a bare CR inside it is whitespace, as JSON has it', async () => {
    const { path, endpoint } = jsonFile('cr.jsonl', '{"journal": "J-1",\r"amount": "1.00"}\n', 'jsonl');
    expect((await readTypedRows(endpoint, path)).map((r) => [r.values['journal'], r.values['amount']])).toEqual([['J-1', '1.00']]);
  });

  it('a field the pipeline does not read may be named twice: it is left alone, as a repeated CSV header is', async () => {
    const { path, endpoint } = jsonFile('extra.jsonl', '{"journal": "J-1", "amount": "1.00", "note": "a", "note": "b"}\n', 'jsonl');
    expect((await readTypedRows(endpoint, path)).map((r) => r.values['amount'])).toEqual(['1.00']);
  });

  it('of both places a record names a field, rather than reading the last one', async () => {
    const { path, endpoint } = jsonFile('twice.json', '[\n  {"journal": "J-1",\n   "amount": "100.00",\n   "amount": "-108.50"}\n]', 'json');
    await expect(readTypedRows(endpoint, path)).rejects.toThrowError(
      expect.objectContaining({
        message: `${path}:4:4: field "amount" appears twice in one object (first at 3:4), and only one can be read`,
        fix: 'remove or rename one of the two in the file',
      }),
    );
  });

  it('of a JSON Lines line, over blank lines and CRLF, and of a line that is no object', async () => {
    const { path, endpoint } = jsonFile('lines.jsonl', '{"journal": "J-1", "amount": "1.00"}\r\n\r\n  {"journal": "J-2", "amount": "x"}\r\n', 'jsonl');
    await expect(readTypedRows(endpoint, path)).rejects.toThrow(`${path}:3:3: column "amount": expected a decimal amount like 1234.56, found "x"`);
    writeFileSync(path, '{"journal": "J-1", "amount": "1.00"}\n{"journal": "J-2", "amount": 2.00\n');
    await expect(readTypedRows(endpoint, path)).rejects.toThrow(
      `${path}:2:34: not valid JSON: expected ',' or '}' after a field's value, found the end of the line`,
    );
    writeFileSync(path, '{"journal": "J-1", "amount": "1.00"}\n[1]\n');
    await expect(readTypedRows(endpoint, path)).rejects.toThrow(`${path}:2:1: line is not a JSON object`);
  });
});

describe('a UTF-8 byte order mark', () => {
  it('is dropped before a JSON or JSON Lines file is read, as before a CSV file', () => {
    expect(jsonRows('\ufeff[{"journal": "J-1"}]', undefined)).toEqual([{ line: 1, column: 2, record: 1, values: { journal: 'J-1' } }]);
    expect(jsonLinesRows('\ufeff{"journal": "J-1"}\n{"journal": "J-2"}')).toEqual([
      { line: 1, column: 1, values: { journal: 'J-1' } },
      { line: 2, column: 1, values: { journal: 'J-2' } },
    ]);
  });
});

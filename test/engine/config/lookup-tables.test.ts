/**
 * Big mapping tables: inline or in a CSV, JSON or JSON Lines file (`lookups.<name>.file`), 100k
 * rows validated in seconds, every bad row or duplicate key reported at its line.
 */
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { LedgersyncError } from '../../../engine/errors.js';
import { displayPath } from '../../../engine/config/descriptors.js';
import { loadPipeline } from '../../../engine/config/load.js';
import { missingFileHint } from '../../../engine/config/lookup-path.js';
import { testMappings } from '../../../engine/run/mapping-suite.js';
import { createBindings } from '../../../engine/transform/bindings.js';

const connectorsDir = 'test/fixtures/connectors';
const env = { BILLING_API_KEY: 'bk_1', LEDGER_API_KEY: 'lk_1' };

/** A pipeline whose `lookups:` block is `lookups` (indented by two), in a fresh folder, with extra files beside it. */
function pipeline(lookups: string, files: Record<string, string | Buffer> = {}): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'ledgersync-lookups-'));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  const file = join(dir, 'pipeline.yaml');
  writeFileSync(
    file,
    `version: 1
name: lookups
source: { connector: billing, site: acme, api_key: "\${BILLING_API_KEY}" }
sink: { connector: ledger, company_id: c1, api_key: "\${LEDGER_API_KEY}" }
lookups:
${lookups}
streams:
  - name: customers
    endpoint: customers
    target: { object: customer }
    mapping:
      expression: '{ "code": id }'
`,
  );
  return { file, dir };
}

const load = (file: string, mode: 'run' | 'validate' = 'run') => loadPipeline(file, { mode, env, connectorsDir });
const shown = (path: string) => displayPath(path);
const located = (problems: Array<{ file: string; line: number; column: number; code: string }>, dir: string) =>
  problems.map((p) => [relative(dir, p.file) || p.file, p.line, p.column, p.code]);

function lookup(plan: NonNullable<Awaited<ReturnType<typeof load>>['plan']>): (table: string, key: unknown) => unknown {
  const bindings = createBindings({ options: {}, lookups: plan.lookups, timezone: 'UTC', resolveTarget: () => undefined });
  return bindings['lookup'] as (table: string, key: unknown) => unknown;
}

describe('100 000-row tables', () => {
  const rows = 100_000;

  it(`inline: ${rows} rows validate in seconds, a duplicate key still an error naming both lines`, async () => {
    const values = Array.from({ length: rows }, (_, i) => `      "SKU-${String(i).padStart(6, '0')}": "4${String(i % 1000).padStart(3, '0')}"`).join('\n');
    const { file } = pipeline(`  accounts:\n    values:\n${values}`);
    const started = process.cpuUsage();
    const { plan, problems } = await load(file, 'validate');
    const used = process.cpuUsage(started);
    const elapsed = (used.user + used.system) / 1000;
    expect(problems).toEqual([]);
    expect(Object.keys(plan?.lookups['accounts']?.values ?? {})).toHaveLength(rows);
    // CPU time, not wall time, so a loaded runner cannot fail it. The target is 2 s (about 1.5 s
    // measured); the quadratic duplicate-key check this guards against took about 290 s.
    expect(elapsed).toBeLessThan(10_000);

    const { file: twice } = pipeline(`  accounts:\n    values:\n${values}\n      "SKU-000042": "9999"`);
    const again = await load(twice, 'validate');
    expect(again.problems.map((p) => [p.line, p.code, p.message])).toEqual([
      [rows + 8, 'yaml_duplicate_key', "duplicate key 'SKU-000042' (lines 50 and 100008): a key appears once in a mapping; remove or rename one"],
    ]);
  });

  it(`CSV: ${rows} rows validate in seconds`, async () => {
    const csv = ['sku,account', ...Array.from({ length: rows }, (_, i) => `SKU-${i},4${String(i % 1000).padStart(3, '0')}`)].join('\n') + '\n';
    const { file } = pipeline('  accounts:\n    file: tables/accounts.csv\n    key_column: sku\n    value_column: account', { 'tables/accounts.csv': csv });
    const started = process.cpuUsage();
    const { plan, problems } = await load(file, 'validate');
    const used = process.cpuUsage(started);
    const elapsed = (used.user + used.system) / 1000;
    expect(problems).toEqual([]);
    expect(elapsed).toBeLessThan(10_000);
    if (!plan) throw new Error('no plan');
    expect(Object.keys(plan.lookups['accounts']?.values ?? {})).toHaveLength(rows);
    expect(lookup(plan)('accounts', 'SKU-99999')).toBe('4999');
  });
});

describe('CSV lookup files', () => {
  it('reads a key,value header, quotes, CRLF, a BOM, and keeps every cell as text', async () => {
    const csv = '\ufeffkey,value\r\n0042,"4,000"\r\n"multi\nline","say ""hi"""\r\n1.50,007\r\n__proto__,p\r\nconstructor,c\r\n';
    const { file } = pipeline('  gl:\n    file: gl.csv', { 'gl.csv': csv });
    const { plan, problems } = await load(file);
    expect(problems).toEqual([]);
    if (!plan) throw new Error('no plan');
    const get = lookup(plan);
    expect(get('gl', '0042')).toBe('4,000');
    expect(get('gl', 'multi\nline')).toBe('say "hi"');
    expect(get('gl', '1.50')).toBe('007');
    expect(get('gl', '__proto__')).toBe('p');
    expect(get('gl', 'constructor')).toBe('c');
    expect(plan.lookups['gl']?.file).toBe(join(plan.dir, 'gl.csv'));
  });

  it('reads named columns, several value columns as an object, and another delimiter', async () => {
    const csv = 'customer_id;location;department;note\ncus_1;NYC;Sales;x\ncus_2;SF;;y\n';
    const { file } = pipeline('  dims:\n    file: dims.csv\n    delimiter: ";"\n    key_column: customer_id\n    value_column: [location, department]', {
      'dims.csv': csv,
    });
    const { plan, problems } = await load(file);
    expect(problems).toEqual([]);
    if (!plan) throw new Error('no plan');
    expect(lookup(plan)('dims', 'cus_2')).toEqual({ location: 'SF', department: '' });
  });

  it('reports a duplicate key with both lines, a short row, an empty key, each at its line', async () => {
    const csv = 'key,value\nA,1\nB,2\nA,3\nC\n,4\n"D,5\n';
    const { file, dir } = pipeline('  gl:\n    file: gl.csv', { 'gl.csv': csv });
    const { plan, problems } = await load(file);
    expect(plan).toBeUndefined();
    expect(problems.map((p) => [relative(dir, p.file), p.line, p.column, p.code, p.message])).toEqual([
      ['gl.csv', 4, 1, 'lookup_duplicate_key', "duplicate key 'A' (lines 2 and 4): a key appears once in a lookup table"],
      ['gl.csv', 5, 1, 'lookup_csv_row', 'this row has 1 field(s), the header has 2'],
      ['gl.csv', 6, 1, 'lookup_empty_key', 'this row has an empty key'],
      ['gl.csv', 7, 1, 'lookup_csv_quote', 'this quoted field is never closed (a " is missing)'],
    ]);
    expect(problems[0]?.file).toBe(shown(join(dir, 'gl.csv')));
  });

  it('names a missing header column, with a suggestion', async () => {
    const { file, dir } = pipeline('  gl:\n    file: gl.csv\n    key_column: sku', { 'gl.csv': 'skus,value\nA,1\n' });
    const { problems } = await load(file);
    expect(problems.map((p) => [relative(dir, p.file), p.line, p.code, p.message])).toEqual([
      ['gl.csv', 1, 'lookup_csv_header', "the header has no column 'sku' (columns: skus, value) (did you mean 'skus'?)"],
    ]);
  });

  it("names the delimiter of a file saved with another separator (Excel's ';' in much of Europe)", async () => {
    const { file, dir } = pipeline('  gl:\n    file: gl.csv\n    key_column: sku\n    value_column: account', { 'gl.csv': 'sku;account\nA;4000\n' });
    const { problems } = await load(file);
    expect(problems.map((p) => [relative(dir, p.file), p.line, p.message])).toEqual([
      ['gl.csv', 1, `the header has no column 'sku' (columns: sku;account); the file seems separated by ';': set delimiter: ";"`],
      ['gl.csv', 1, `the header has no column 'account' (columns: sku;account); the file seems separated by ';': set delimiter: ";"`],
    ]);
  });

  it('reports text after a closing quote', async () => {
    const { file, dir } = pipeline('  gl:\n    file: gl.csv', { 'gl.csv': 'key,value\n"A"x,1\n' });
    expect(located((await load(file)).problems, dir)).toEqual([['gl.csv', 2, 4, 'lookup_csv_quote']]);
  });

  it('caps what it reports for a file wrong on every row', async () => {
    const csv = ['key,value', ...Array.from({ length: 500 }, (_, i) => `k${i}`)].join('\n');
    const { file } = pipeline('  gl:\n    file: gl.csv', { 'gl.csv': csv });
    const { problems } = await load(file);
    expect(problems).toHaveLength(21);
    expect(problems.at(-1)?.message).toBe('… and 480 more problem(s) in this file');
  });
});

describe('JSON and JSON Lines lookup files', () => {
  it('reads a JSON object, values of any JSON type', async () => {
    const { file } = pipeline('  gl:\n    file: gl.json', { 'gl.json': '{"SAAS": "4000", "HW": {"account": "4100", "class": 3}, "0042": null}' });
    const { plan, problems } = await load(file);
    expect(problems).toEqual([]);
    if (!plan) throw new Error('no plan');
    expect(lookup(plan)('gl', 'HW')).toEqual({ account: '4100', class: 3 });
    expect(lookup(plan)('gl', '0042')).toBeNull();
  });

  it('reports a duplicate key of a JSON object (JSON.parse would keep the last silently)', async () => {
    const { file, dir } = pipeline('  gl:\n    file: gl.json', { 'gl.json': '{\n  "A": "1",\n  "B": {"A": "nested is fine"},\n  "A": "2"\n}\n' });
    const { problems } = await load(file);
    expect(problems.map((p) => [relative(dir, p.file), p.line, p.column, p.code, p.message])).toEqual([
      ['gl.json', 4, 3, 'lookup_duplicate_key', "duplicate key 'A' (lines 2 and 4): a key appears once in a lookup table"],
    ]);
  });

  it('locates a JSON syntax error and refuses what is not an object', async () => {
    const broken = pipeline('  gl:\n    file: gl.json', { 'gl.json': '{\n  "A": "1",\n  "B": \n}\n' });
    expect(located((await load(broken.file)).problems, broken.dir)).toEqual([['gl.json', 4, 1, 'lookup_json_syntax']]);
    const list = pipeline('  gl:\n    file: gl.json', { 'gl.json': '[["A", "1"]]' });
    expect(located((await load(list.file)).problems, list.dir)).toEqual([['gl.json', 1, 1, 'lookup_json_shape']]);
  });

  it('reads JSON Lines with named fields, and reports bad lines at their line', async () => {
    const good = pipeline('  dims:\n    file: dims.ndjson\n    key_column: id\n    value_column: dim', {
      'dims.ndjson': '{"id": "cus_1", "dim": "NYC"}\n\n{"id": 42, "dim": {"a": 1}}\n',
    });
    const { plan, problems } = await load(good.file);
    expect(problems).toEqual([]);
    if (!plan) throw new Error('no plan');
    expect(lookup(plan)('dims', 42)).toEqual({ a: 1 });
    const bad = pipeline('  dims:\n    file: dims.jsonl', {
      'dims.jsonl': '{"key": "a", "value": 1}\n{"key": "b", "value": 2\n[1]\n{"value": 3}\n{"key": "a", "value": 4}\n{"key": "c", "valu": 5}\n',
    });
    expect(located((await load(bad.file)).problems, bad.dir)).toEqual([
      ['dims.jsonl', 2, 24, 'lookup_json_syntax'],
      ['dims.jsonl', 3, 1, 'lookup_jsonl_row'],
      ['dims.jsonl', 4, 1, 'lookup_jsonl_row'],
      ['dims.jsonl', 5, 1, 'lookup_duplicate_key'],
      ['dims.jsonl', 6, 1, 'lookup_jsonl_row'],
    ]);
  });
});

describe('the lookups block', () => {
  it('reports a missing file where the pipeline names it, relative to the pipeline folder', async () => {
    const { file } = pipeline('  gl:\n    description: GL accounts\n    file: tables/gl.csv');
    const { problems } = await load(file);
    expect(problems.map((p) => [p.file, p.line, p.column, p.code])).toEqual([[file, 8, 11, 'lookup_file_unreadable']]);
    expect(problems[0]?.message).toMatch(/^lookup table 'gl': cannot read .*tables\/gl\.csv: no such file$/);
  });

  it("names the file meant when a missing one differs by case or by '\\' (fine on a laptop, missing on Linux CI), or is relative to the working directory", async () => {
    const { file, dir } = pipeline('  a:\n    file: Tables/GL.csv\n  b:\n    file: tables\\gl.csv', { 'tables/gl.csv': 'key,value\nA,1\n' });
    const messages = (await load(file)).problems.map((p) => p.message);
    expect(messages).toEqual([
      expect.stringMatching(
        /^lookup table 'a': cannot read .*: no such file; the file is tables\/gl\.csv: names differ by case, which Linux \(and CI\) does not ignore$/,
      ),
      expect.stringMatching(/^lookup table 'b': cannot read .*: no such file; write it with '\/': tables\/gl\.csv \(a path with '\\' works on Windows only\)$/),
    ]);
    expect(missingFileHint(`${relative(process.cwd(), dir)}/tables/gl.csv`, dir)).toBe(
      "; it is relative to the pipeline's folder, not the working directory: write tables/gl.csv",
    );
  });

  it('warns about an absolute path, which CI will not have', async () => {
    const { file, dir } = pipeline('  gl:\n    file: PLACEHOLDER', { 'gl.csv': 'key,value\nA,1\n' });
    writeFileSync(file, readFileSync(file, 'utf8').replace('PLACEHOLDER', join(dir, 'gl.csv')));
    expect((await load(file)).problems.map((p) => [p.code, p.severity])).toEqual([['lookup_file_absolute', 'warning']]);
  });

  it('refuses an unknown format, a directory, and key_column on a JSON object file', async () => {
    const { file, dir } = pipeline('  a:\n    file: a.txt\n  b:\n    file: sub.csv\n  c:\n    file: c.json\n    key_column: id', {
      'a.txt': 'key,value\n',
      'sub.csv/x': '',
      'c.json': '{}',
    });
    const { problems } = await load(file);
    expect(problems.map((p) => [p.line, p.code])).toEqual([
      [7, 'lookup_file_format'],
      [9, 'lookup_file_unreadable'],
      [11, 'lookup_file_format'],
    ]);
    expect(problems[1]?.message).toBe(`lookup table 'b': cannot read ${shown(join(dir, 'sub.csv'))}: it is a directory`);
  });

  it('says a table needs values or a file, and not both', async () => {
    const neither = pipeline('  gl:\n    description: nothing');
    expect((await load(neither.file)).problems.map((p) => [p.line, p.message])).toEqual([[6, "lookups.gl needs 'values' or 'file'"]]);
    const both = pipeline('  gl:\n    values: { a: b }\n    file: gl.csv', { 'gl.csv': 'key,value\n' });
    expect((await load(both.file)).problems.map((p) => [p.line, p.message])).toEqual([[6, "lookups.gl must have only one of 'values' or 'file'"]]);
  });

  it('a missing key of a file table says which file to add it to', async () => {
    const { file, dir } = pipeline('  gl:\n    file: gl.csv', { 'gl.csv': 'key,value\nA,1\n' });
    const { plan } = await load(file);
    if (!plan) throw new Error('no plan');
    let error: LedgersyncError | undefined;
    try {
      lookup(plan)('gl', 'B');
    } catch (e) {
      error = e as LedgersyncError;
    }
    expect(error?.code).toBe('lookup_missing');
    expect(error?.fix).toBe(`add a row for 'B' to ${join(dir, 'gl.csv')} (lookup table 'gl', ${file}:6) or give the table a default`);
  });

  it('a file given by an unset variable is not read in validate mode, and validate says so (a warning)', async () => {
    const { file } = pipeline('  gl:\n    file: ${GL_TABLE}');
    const { plan, problems } = await load(file, 'validate');
    expect(problems.map((p) => [p.line, p.column, p.code, p.severity, p.message])).toEqual([
      [
        7,
        11,
        'lookup_file_unread',
        'warning',
        "lookup table 'gl': its file names a variable that is not set here, so the file was not read nor checked (set the variable to check it; ledgersync test needs its rows)",
      ],
    ]);
    expect(plan?.lookups['gl']?.values).toEqual({});
  });

  it('ledgersync test refuses to run cases with such a table (exit 2), instead of running them with no rows', async () => {
    const { file, dir } = pipeline('  gl:\n    file: ${GL_TABLE}', {
      'pipeline.cases.yaml': 'cases:\n  - name: one\n    stream: customers\n    input: { id: c1 }\n    expect: { code: c1 }\n',
    });
    let out = '';
    const sink = { write: (text: string) => (out += text) };
    const code = await testMappings({ connectorsDir, pipeline: file, files: [join(dir, 'pipeline.cases.yaml')], env: {}, stdout: sink, stderr: sink });
    expect(code).toBe(2);
    expect(out).toContain('was not read, its path naming a variable that is not set: no case was run');
  });
});

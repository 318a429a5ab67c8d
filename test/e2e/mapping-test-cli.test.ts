/** `ledgersync test` as CI runs it: exit codes, file:line:col failures, JUnit XML, full output. */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, JSONL_PIPELINE, ROOT, tempDir } from './helpers.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));
const pipeline = relative(ROOT, JSONL_PIPELINE);

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { PATH: process.env['PATH'] }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const passing = `cases:
  - name: the company wins
    stream: customers
    input: { id: cus_1, company: "Acme & Sons <UK>", first_name: Ann }
    expect: { name: "Acme & Sons <UK>" }
`;

const failing = `${passing}  - name: invoice lines
    stream: invoices
    input:
      id: inv_1
      currency_code: USD
      total: 3000
      line_items: [{ id: a, amount: 1000 }, { id: b, amount: 2000 }]
    expect:
      total: "30.00"
      lines:
        - { amount: "10.00" }
        - { amount: "20.0" }
`;

const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ['testsuite', 'testcase'].includes(name) });

describe.skipIf(!built)('ledgersync test', () => {
  const work = tempDir('ledgersync-test-cli-');
  afterAll(() => work.cleanup());
  const file = (name: string, text: string) => {
    const path = join(work.dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('exit 0 when every case passes, with one line per case and the closing count', async () => {
    const cases = file('pass.cases.yaml', passing);
    const { code, stdout } = await cli(['test', pipeline, cases]);
    expect(code).toBe(0);
    expect(stdout).toBe(`ok   ${cases}:2  the company wins\n1 passed, 0 failed\n`);
  });

  it('exit 1 when a case fails, naming the list item and the line of the expectation', async () => {
    const cases = file('fail.cases.yaml', failing);
    const { code, stdout } = await cli(['test', pipeline, cases]);
    expect(code).toBe(1);
    expect(stdout.split('\n')).toEqual([
      `ok   ${cases}:2  the company wins`,
      `FAIL ${cases}:6  invoice lines`,
      `       ${cases}:17:13: lines[1].amount: expected "20.0", got "20.00"`,
      '1 passed, 1 failed',
      '',
    ]);
  });

  it('--show-output prints each mapped record in full', async () => {
    const cases = file('show.cases.yaml', failing);
    const { stdout } = await cli(['test', pipeline, cases, '--show-output']);
    const record = /output: invoices inv_1 \(upsert\) (\{[\s\S]*?\n {7}\})/.exec(stdout)?.[1];
    expect(JSON.parse(record!)).toMatchObject({
      id: 'inv_1',
      total: '30.00',
      lines: [
        { id: 'a', amount: '10.00' },
        { id: 'b', amount: '20.00' },
      ],
    });
  });

  it('exit 2 when a cases file is invalid: its problems at file:line:col, its cases not run, other files still run', async () => {
    const broken = file('broken.cases.yaml', passing.replace('expect:', 'expected:'));
    const good = file('good.cases.yaml', passing);
    const { code, stdout } = await cli(['test', pipeline, broken, good]);
    expect(code).toBe(2);
    expect(stdout.split('\n')).toEqual([
      `${broken}:5:5: unknown property 'expected' in case 'the company wins' (did you mean 'expect'?)`,
      `ok   ${good}:2  the company wins`,
      `1 cases file(s) invalid, not run: ${broken}`,
      '1 passed, 0 failed',
      '',
    ]);
  });

  it('a missing file, a directory, a YAML error: one line naming the file, exit 2, no stack trace', async () => {
    const missing = join(work.dir, 'missing.cases.yaml');
    const dir = join(work.dir, 'a-directory');
    mkdirSync(dir, { recursive: true });
    const yamlError = file('yaml-error.cases.yaml', 'cases:\n  - name: "open\n');
    for (const [path, message] of [
      [missing, `${missing}:1:1: cannot read ${missing}: no such file`],
      [dir, `${dir}:1:1: cannot read ${dir}: it is a directory`],
      [yamlError, `${yamlError}:3:1: YAML syntax error: Missing closing "quote`],
    ] as const) {
      const { code, stdout, stderr } = await cli(['test', pipeline, path]);
      expect(code, path).toBe(2);
      expect(stdout.split('\n')[0]).toContain(message);
      expect(stdout + stderr).not.toMatch(/\n\s+at |ENOENT|EISDIR/);
    }
  });

  it('--format junit writes JUnit XML on stdout that parses back: one testcase per case, failures with their place', async () => {
    const cases = file('junit.cases.yaml', failing);
    const { code, stdout, stderr } = await cli(['test', pipeline, cases, '--format', 'junit']);
    expect(code).toBe(1);
    expect(stderr).toContain('1 passed, 1 failed');
    const report = xml.parse(stdout);
    expect(report.testsuites).toMatchObject({ name: 'ledgersync test', tests: '2', failures: '1', errors: '0' });
    const suite = report.testsuites.testsuite[0];
    expect(suite).toMatchObject({ name: cases, tests: '2', failures: '1' });
    const [ok, failed] = suite.testcase;
    expect(ok).toMatchObject({ name: 'the company wins', classname: 'chargebee-to-jsonl.customers', file: cases, line: '2' });
    expect(ok.failure).toBeUndefined();
    expect(failed).toMatchObject({ name: 'invoice lines', classname: 'chargebee-to-jsonl.invoices', line: '6' });
    expect(failed.failure).toMatchObject({ type: 'mapping_mismatch', message: 'lines[1].amount: expected "20.0", got "20.00"' });
    expect(failed.failure['#text']).toBe(`${cases}:17:13: lines[1].amount: expected "20.0", got "20.00"`);
  });

  it('--format junit --out FILE: the XML in the file (with --show-output in system-out), the text report on stdout', async () => {
    const cases = file('out.cases.yaml', passing);
    const out = join(work.dir, 'reports', 'ledgersync.xml');
    const { code, stdout } = await cli(['test', pipeline, cases, '--format', 'junit', '--out', out, '--show-output']);
    expect(code).toBe(0);
    expect(stdout).toContain(`ok   ${cases}:2  the company wins`);
    const testcase = xml.parse(readFileSync(out, 'utf8')).testsuites.testsuite[0].testcase[0];
    expect(testcase.name).toBe('the company wins');
    expect(testcase['system-out']).toContain('"name": "Acme & Sons <UK>"');
  });

  it('--format junit on an invalid cases file reports it as an error testcase, exit 2', async () => {
    const broken = file('junit-broken.cases.yaml', 'cases:\n  - name: x\n    stream: customers\n    input: "not an object"\n    expect: {}\n');
    const { code, stdout, stderr } = await cli(['test', pipeline, broken, '--format', 'junit']);
    expect(code).toBe(2);
    expect(stderr).toContain(`${broken}:4:12: cases[0].input must be a mapping, not "not an object"`);
    const suite = xml.parse(stdout).testsuites.testsuite[0];
    expect(suite).toMatchObject({ errors: '1', tests: '1' });
    expect(suite.testcase[0].error).toMatchObject({ type: 'schema_type' });
  });

  it('the cases file given first, in place of the pipeline, is refused in one line', async () => {
    const cases = file('first.cases.yaml', passing);
    const { code, stderr } = await cli(['test', cases, pipeline]);
    expect(code).toBe(2);
    expect(stderr).toBe(`error: ${cases} is a cases file, but the pipeline comes first: ledgersync test <pipeline> <cases files…>\n`);
  });

  it('--out without --format junit is refused in one line', async () => {
    const { code, stderr } = await cli(['test', pipeline, file('o.cases.yaml', passing), '--out', join(work.dir, 'x.xml')]);
    expect(code).toBe(2);
    expect(stderr).toBe('error: --out writes the JUnit report: add --format junit\n');
  });
});

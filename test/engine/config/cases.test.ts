/** Every mistake a consultant makes in a mapping cases file is one problem at its file:line:col. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ownSchemaValidator } from '../../../engine/config/ajv.js';
import { isCasesFileName, loadCasesFile, parseCases, pipelineOfCasesFile } from '../../../engine/config/cases.js';
import { formatProblem } from '../../../engine/errors.js';
import { parse } from 'yaml';
import { tempDir } from '../../e2e/helpers.js';

const context = { streams: ['customers', 'invoices'], options: ['name_fallback_to_id'], lookups: ['tax_codes'] };

/** The problems of a cases file as printed: `file:line:col: message`. */
function problems(text: string): string[] {
  return parseCases(text, 'acme.cases.yaml', context).problems.map(formatProblem);
}

/** What an editor using the `$schema` line reports: true when the schema alone accepts the file. */
function editorAccepts(text: string): boolean {
  return ownSchemaValidator('mapping-cases')(parse(text)) as boolean;
}

const valid = `cases:
  - name: company wins
    stream: customers
    input: { id: cus_1, company: Acme }
    expect: { name: Acme }
`;

describe('a valid cases file', () => {
  it('has no problem and locates its cases', () => {
    const loaded = parseCases(valid, 'acme.cases.yaml', context);
    expect(loaded.problems).toEqual([]);
    expect(loaded.cases).toHaveLength(1);
    expect(loaded.cases[0]).toMatchObject({ name: 'company wins', stream: 'customers', index: 0, at: { line: 2, column: 5 } });
    expect(loaded.cases[0]!.positionOf('/expect/name')).toEqual({ line: 5, column: 15 });
    expect(editorAccepts(valid)).toBe(true);
  });

  it('accepts every expectation, refs with numeric ids, option overrides and x- keys', () => {
    const text = `x-owner: finance team
description: everything a case can say
cases:
  - name: everything
    stream: invoices
    input: { id: inv_1 }
    deleted: true
    refs: { customers: { cus_1: 58 } }
    options: { name_fallback_to_id: false }
    expect: [{ id: inv_1 }]
    expect_action: delete
    expect_absent: ['lines[0].tax']
    x-note: kept for our own tooling
  - { name: fails, stream: invoices, input: {}, expect_error: lookup_missing }
  - { name: filtered, stream: invoices, input: {}, expect: null }
`;
    const loaded = parseCases(text, 'acme.cases.yaml', context);
    expect(loaded.problems).toEqual([]);
    expect(loaded.cases[0]!.refs).toEqual({ customers: { cus_1: '58' } });
    expect(editorAccepts(text)).toBe(true);
  });
});

describe('mistakes in a cases file', () => {
  it('`expected:` for `expect:` is an unknown key with a suggestion, and not also "checks nothing"', () => {
    const text = `cases:
  - name: company wins
    stream: customers
    input: { id: cus_1 }
    expected: { name: Acme }
`;
    expect(problems(text)).toEqual(["acme.cases.yaml:5:5: unknown property 'expected' in case 'company wins' (did you mean 'expect'?)"]);
    expect(editorAccepts(text)).toBe(false);
  });

  it('a case that checks nothing', () => {
    const text = `cases:
  - name: company wins
    stream: customers
    input: { id: cus_1 }
`;
    expect(problems(text)).toEqual([
      "acme.cases.yaml:2:5: case 'company wins' checks nothing: add expect: (fields the mapped record must have), expect_error: (the error code it must fail with), expect_action: or expect_absent:",
    ]);
    expect(editorAccepts(text)).toBe(false);
  });

  it('a case without a name', () => {
    const text = `cases:
  - stream: customers
    input: { id: cus_1 }
    expect: { name: Acme }
`;
    expect(problems(text)).toEqual(['acme.cases.yaml:2:5: cases[0] has no name: add name: (what the case proves; it is printed with the result)']);
    expect(editorAccepts(text)).toBe(false);
  });

  it('an input that is not a record', () => {
    const text = `cases:
  - name: company wins
    stream: customers
    input: "not an object"
    expect: { name: Acme }
`;
    expect(problems(text)).toEqual(['acme.cases.yaml:4:12: cases[0].input must be a mapping, not "not an object"']);
    expect(editorAccepts(text)).toBe(false);
  });

  it('a missing input and a missing stream say what to add', () => {
    const text = `cases:
  - name: company wins
    expect: { name: Acme }
`;
    expect(problems(text)).toEqual([
      "acme.cases.yaml:2:5: case 'company wins' has no input: add input: (the source record, as the source API returns it)",
      "acme.cases.yaml:2:5: case 'company wins' names no stream: add stream: (one of customers, invoices)",
    ]);
  });

  it('an unknown stream names the streams that exist', () => {
    expect(
      problems(`cases:
  - name: company wins
    stream: customer
    input: { id: cus_1 }
    expect: { name: Acme }
`),
    ).toEqual([
      "acme.cases.yaml:3:13: unknown stream 'customer' in case 'company wins' (did you mean 'customers'?); the pipeline's streams: customers, invoices",
    ]);
  });

  it('refs naming an unknown stream, and an option the pipeline does not have', () => {
    expect(
      problems(`cases:
  - name: invoice
    stream: invoices
    input: { id: inv_1 }
    refs: { customer: { cus_1: "58" } }
    options: { name_fallbak_to_id: true }
    expect: { id: inv_1 }
`),
    ).toEqual([
      "acme.cases.yaml:5:13: refs of case 'invoice' name unknown stream 'customer' (did you mean 'customers'?); the pipeline's streams: customers, invoices",
      "acme.cases.yaml:6:16: case 'invoice' overrides option 'name_fallbak_to_id', which the pipeline does not have (did you mean 'name_fallback_to_id'?); the pipeline's options: name_fallback_to_id",
    ]);
  });

  it('lookup values for a table the pipeline does not have', () => {
    expect(
      problems(`cases:
  - name: invoice
    stream: invoices
    input: { id: inv_1 }
    lookups: { tax_code: { UK VAT: "5" } }
    expect: { id: inv_1 }
`),
    ).toEqual([
      "acme.cases.yaml:5:16: case 'invoice' gives values to lookup table 'tax_code', which the pipeline does not have (did you mean 'tax_codes'?); the pipeline's lookup tables: tax_codes",
    ]);
    expect(editorAccepts(`cases:\n  - { name: a, stream: invoices, input: { id: 1 }, lookups: { tax_codes: 5 }, expect: {} }\n`)).toBe(false);
  });

  it('expect and expect_error together, a duplicate name, a wrong expect_action', () => {
    expect(
      problems(`cases:
  - name: same
    stream: customers
    input: {}
    expect: { name: Acme }
    expect_error: lookup_missing
  - name: same
    stream: customers
    input: {}
    expect_action: upsrt
`),
    ).toEqual([
      "acme.cases.yaml:6:5: case 'same' has both expect: and expect_error:, but a record either maps or fails: keep one",
      "acme.cases.yaml:7:11: duplicate case name 'same' (also cases[0]): names identify results and JUnit test cases",
      'acme.cases.yaml:10:20: cases[1].expect_action must be one of "upsert", "delete", "void", "skip", not "upsrt" (did you mean \'upsert\'?)',
    ]);
  });

  it('an unknown top-level key, an empty list, a bare list', () => {
    expect(problems('case:\n  - name: x\n')).toEqual(["acme.cases.yaml:1:1: unknown property 'case' in the cases file (did you mean 'cases'?)"]);
    expect(problems('cases: []\n')).toEqual(['acme.cases.yaml:1:1: cases must have at least 1 item']);
    expect(problems('- name: x\n')).toEqual(['acme.cases.yaml:1:1: a cases file is a mapping with a cases: list: put `cases:` above the list and indent it']);
  });

  it('a YAML error names the file, line and column', () => {
    const found = problems('cases:\n  - name: "unterminated\n    stream: customers\n');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^acme\.cases\.yaml:\d+:\d+: YAML syntax error: /);
  });
});

describe('reading cases files', () => {
  const work = tempDir('ledgersync-cases-');
  afterAll(() => work.cleanup());

  it('a missing file, a directory: one line each, never a raw ENOENT or EISDIR', () => {
    const missing = join(work.dir, 'nope.cases.yaml');
    expect(loadCasesFile(missing).problems.map(formatProblem)).toEqual([`${missing}:1:1: cannot read ${missing}: no such file`]);
    const dir = join(work.dir, 'cases');
    mkdirSync(dir);
    expect(loadCasesFile(dir).problems.map(formatProblem)).toEqual([
      `${dir}:1:1: cannot read ${dir}: it is a directory; name the cases files in it (e.g. dir/*.cases.yaml)`,
    ]);
  });

  it('finds the pipeline a cases file tests by its name', () => {
    writeFileSync(join(work.dir, 'acme.yml'), 'version: 1\n');
    expect(pipelineOfCasesFile(join(work.dir, 'acme.cases.yaml'))).toBe(join(work.dir, 'acme.yml'));
    expect(pipelineOfCasesFile(join(work.dir, 'other.cases.yaml'))).toBeUndefined();
    expect(isCasesFileName('pipelines/acme/acme.cases.yml')).toBe(true);
    expect(isCasesFileName('pipelines/acme/acme.yaml')).toBe(false);
  });
});

/**
 * Mapping cases files (`ledgersync test`), read with positions and checked before anything runs:
 * against `schemas/mapping-cases.schema.json` (unknown keys, a case without a name or without an
 * expectation, an input that is not a record) and against the pipeline under test (streams and
 * options that do not exist). Every problem is a `file:line:col` problem, like a pipeline's.
 *
 * ```yaml
 * cases:
 *   - name: company name wins over the person's name
 *     stream: customers
 *     input: { id: cus_1, company: Acme, first_name: Ann }
 *     refs: { customers: { cus_0: "58" } }     # what $ref() finds in the ledger
 *     expect: { DisplayName: Acme }           # a subset: only these fields are compared
 *   - name: unknown accounting code is refused
 *     stream: invoices
 *     input: { id: inv_1, ... }
 *     expect_error: lookup_missing            # the error code the record must fail with
 * ```
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { ConfigProblem } from '../errors.js';
import { ownSchemaValidator, type ErrorObject } from './ajv.js';
import { describeLocation, schemaProblems } from './schema-errors.js';
import { closest, didYouMean } from './suggest.js';
import { parseYamlTree, pointerOf, type Position, type YamlTree } from './yaml-tree.js';

export type ExpectedAction = 'upsert' | 'delete' | 'void' | 'skip';

export interface MappingCase {
  name: string;
  stream: string;
  input: Record<string, unknown>;
  deleted?: boolean;
  refs?: Record<string, Record<string, string>>;
  options?: Record<string, unknown>;
  /** Lookup values for this case only, added to the pipeline's tables of those names. */
  lookups?: Record<string, Record<string, unknown>>;
  /** Expected mapped record (subset), a list for mappings that return several records, `null` for none. */
  expect?: Record<string, unknown> | Array<Record<string, unknown>> | null;
  expect_action?: ExpectedAction;
  expect_error?: string;
  /** Fields (dotted paths) no mapped record may carry. */
  expect_absent?: string[];
}

/** A case as read from its file: where it is, to point at it and into it. */
export interface LocatedCase extends MappingCase {
  /** Index in the file's `cases:` list. */
  index: number;
  /** Where the case starts. */
  at: Position;
  /** Position of a pointer inside the case (`/expect/lines/2/amount`), or of its nearest ancestor. */
  positionOf(pointer: string): Position;
}

export interface CasesContext {
  /** Streams of the pipeline under test: a case naming another is an error. */
  streams?: readonly string[];
  /** Options of the pipeline under test: a case overriding another is an error. */
  options?: readonly string[];
  /** Lookup tables of the pipeline under test: a case giving values to another is an error. */
  lookups?: readonly string[];
}

export interface CasesFile {
  file: string;
  /** The cases, when the file has no error; empty otherwise. */
  cases: LocatedCase[];
  problems: ConfigProblem[];
}

const EXPECTATIONS = ['expect', 'expect_error', 'expect_action', 'expect_absent'] as const;

/** Names a cases file conventionally has; `validate` checks such files as cases files. */
export function isCasesFileName(file: string): boolean {
  return /\.cases\.ya?ml$/i.test(basename(file));
}

/** The pipeline a cases file tests by convention: `acme.yaml` (or `.yml`) beside `acme.cases.yaml`. */
export function pipelineOfCasesFile(file: string): string | undefined {
  const stem = file.replace(/\.cases\.ya?ml$/i, '');
  if (stem === file) return undefined;
  return [`${stem}.yaml`, `${stem}.yml`].find((candidate) => existsSync(candidate));
}

/** Reads and checks a cases file. A file that cannot be read is one problem, never an exception. */
export function loadCasesFile(file: string, context: CasesContext = {}): CasesFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    return { file, cases: [], problems: [problemAt(file, 'file_unreadable', `cannot read ${file}: ${readFailure(error)}`)] };
  }
  return parseCases(text, file, context);
}

export function parseCases(text: string, file: string, context: CasesContext = {}): CasesFile {
  // No `${VAR}` interpolation: inputs are records, and may well hold such text.
  const tree = parseYamlTree(text, file);
  const problems: ConfigProblem[] = [...tree.problems];
  if (tree.broken) return { file, cases: [], problems };
  const root = tree.value;
  if (!isRecord(root)) {
    const message = Array.isArray(root)
      ? 'a cases file is a mapping with a cases: list: put `cases:` above the list and indent it'
      : 'a cases file is a mapping with a cases: list of {name, stream, input, expect | expect_error}';
    return { file, cases: [], problems: [...problems, problemAt(file, 'schema_type', message)] };
  }

  const validate = ownSchemaValidator('mapping-cases');
  if (!validate(root)) problems.push(...caseSchemaProblems(validate.errors ?? [], tree, root));
  const list = Array.isArray(root['cases']) ? (root['cases'] as unknown[]) : [];
  problems.push(...caseProblems(list, tree, root, context));

  const sorted = problems.sort((a, b) => a.line - b.line || a.column - b.column);
  if (sorted.some((p) => p.severity === 'error')) return { file, cases: [], problems: sorted };
  return { file, cases: list.map((c, index) => locate(c as MappingCase, index, tree)), problems: sorted };
}

/**
 * Schema problems, less what the case checks below say better: "matches none of anyOf" (a case
 * that checks nothing), "must not match" (expect and expect_error together), and a missing name,
 * stream or input (said with what to add).
 */
function caseSchemaProblems(errors: readonly ErrorObject[], tree: YamlTree, root: Record<string, unknown>): ConfigProblem[] {
  const ownWording = (e: ErrorObject) =>
    e.keyword === 'anyOf' || e.keyword === 'not' || e.schemaPath.includes('/anyOf/') || (e.keyword === 'required' && /^\/cases\/\d+$/.test(e.instancePath));
  return schemaProblems(
    errors.filter((e) => !ownWording(e)),
    { tree, root, document: 'the cases file' },
  );
}

type CaseReport = (pointer: string, at: 'key' | 'value', code: string, message: string) => void;

function caseProblems(list: readonly unknown[], tree: YamlTree, root: Record<string, unknown>, context: CasesContext): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const report: CaseReport = (pointer, at, code, message) =>
    problems.push({
      code,
      file: tree.file,
      path: pointer,
      ...(at === 'key' ? tree.keyPosition(pointer) : tree.valuePosition(pointer)),
      message,
      severity: 'error',
    });
  const seen = new Map<string, number>();
  list.forEach((item, index) => {
    if (!isRecord(item)) return;
    const base = `/cases/${index}`;
    const which = describeLocation(base, root);
    missingKeyProblems(item, base, which, context, report);
    expectationProblems(item, base, which, report);
    const name = typeof item['name'] === 'string' && item['name'] !== '' ? item['name'] : undefined;
    if (name !== undefined) {
      const first = seen.get(name);
      if (first !== undefined)
        report(`${base}/name`, 'value', 'duplicate_case', `duplicate case name '${name}' (also cases[${first}]): names identify results and JUnit test cases`);
      else seen.set(name, index);
    }
    pipelineNameProblems(item, base, which, context, report);
  });
  return problems;
}

/** A case needs a name, an input and a stream. */
function missingKeyProblems(item: Record<string, unknown>, base: string, which: string, context: CasesContext, report: CaseReport): void {
  if (!('name' in item)) report(base, 'key', 'case_name_missing', `${which} has no name: add name: (what the case proves; it is printed with the result)`);
  if (!('input' in item)) report(base, 'key', 'case_input_missing', `${which} has no input: add input: (the source record, as the source API returns it)`);
  if (!('stream' in item)) {
    const choices = context.streams?.length ? ` (one of ${context.streams.join(', ')})` : '';
    report(base, 'key', 'case_stream_missing', `${which} names no stream: add stream:${choices}`);
  }
}

/** A case checks something (a misspelt expectation is reported as a typo instead), and never both maps and fails. */
function expectationProblems(item: Record<string, unknown>, base: string, which: string, report: CaseReport): void {
  const known = Object.keys(caseSchemaProperties());
  const typos = Object.keys(item).filter((k) => !known.includes(k) && !k.startsWith('x-'));
  const meantAnExpectation = typos.some((k) => {
    const best = closest(k, known);
    return best !== undefined && (EXPECTATIONS as readonly string[]).includes(best);
  });
  if (!EXPECTATIONS.some((k) => k in item) && !meantAnExpectation) {
    report(
      base,
      'key',
      'case_checks_nothing',
      `${which} checks nothing: add expect: (fields the mapped record must have), expect_error: (the error code it must fail with), expect_action: or expect_absent:`,
    );
  }
  if ('expect' in item && 'expect_error' in item) {
    report(`${base}/expect_error`, 'key', 'case_contradiction', `${which} has both expect: and expect_error:, but a record either maps or fails: keep one`);
  }
}

/** The stream, the streams of `refs` and the options a case names must be the pipeline's. */
function pipelineNameProblems(item: Record<string, unknown>, base: string, which: string, context: CasesContext, report: CaseReport): void {
  const streams = context.streams;
  const stream = item['stream'];
  if (streams && typeof stream === 'string' && stream !== '' && !streams.includes(stream)) {
    report(
      `${base}/stream`,
      'value',
      'unknown_stream',
      `unknown stream '${stream}' in ${which}${didYouMean(stream, streams)}; the pipeline's streams: ${streams.join(', ')}`,
    );
  }
  if (streams && isRecord(item['refs'])) {
    for (const ref of Object.keys(item['refs'])) {
      if (!streams.includes(ref)) {
        report(
          `${base}/refs${pointerOf([ref])}`,
          'key',
          'unknown_stream',
          `refs of ${which} name unknown stream '${ref}'${didYouMean(ref, streams)}; the pipeline's streams: ${streams.join(', ')}`,
        );
      }
    }
  }
  unknownNameProblems(item['options'], context.options, `${base}/options`, 'unknown_option', report, {
    says: (name) => `${which} overrides option '${name}', which the pipeline does not have`,
    listed: "the pipeline's options",
    none: 'the pipeline has no options:',
  });
  unknownNameProblems(item['lookups'], context.lookups, `${base}/lookups`, 'unknown_lookup_table', report, {
    says: (name) => `${which} gives values to lookup table '${name}', which the pipeline does not have`,
    listed: "the pipeline's lookup tables",
    none: 'the pipeline has no lookups:',
  });
}

/** Keys of a case's `options:` or `lookups:` that the pipeline does not have, each with the closest name. */
function unknownNameProblems(
  value: unknown,
  known: readonly string[] | undefined,
  pointer: string,
  code: string,
  report: CaseReport,
  words: { says: (name: string) => string; listed: string; none: string },
): void {
  if (!known || !isRecord(value)) return;
  for (const name of Object.keys(value)) {
    if (known.includes(name)) continue;
    const listed = known.length ? `${words.listed}: ${known.join(', ')}` : words.none;
    report(`${pointer}${pointerOf([name])}`, 'key', code, `${words.says(name)}${didYouMean(name, known)}; ${listed}`);
  }
}

function locate(raw: MappingCase, index: number, tree: YamlTree): LocatedCase {
  const base = `/cases/${index}`;
  const refs = raw.refs
    ? Object.fromEntries(
        Object.entries(raw.refs).map(([stream, ids]) => [stream, Object.fromEntries(Object.entries(ids).map(([id, target]) => [id, String(target)]))]),
      )
    : undefined;
  return {
    ...raw,
    ...(refs ? { refs } : {}),
    index,
    at: tree.valuePosition(base),
    positionOf: (pointer) => (pointer === '' ? tree.valuePosition(base) : tree.keyPosition(base + pointer)),
  };
}

let properties: Record<string, unknown> | undefined;

function caseSchemaProperties(): Record<string, unknown> {
  if (!properties) {
    const validate = ownSchemaValidator('mapping-cases');
    const schema = validate.schema as { definitions: { case: { properties: Record<string, unknown> } } };
    properties = schema.definitions.case.properties;
  }
  return properties;
}

function readFailure(error: unknown): string {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a directory; name the cases files in it (e.g. dir/*.cases.yaml)';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return (error as Error).message;
  }
}

function problemAt(file: string, code: string, message: string): ConfigProblem {
  return { code, file, path: '', line: 1, column: 1, message, severity: 'error' };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

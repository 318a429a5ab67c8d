/**
 * Runs one mapping case (engine/config/cases.ts) through a loaded plan: the stream's filter and
 * mapping with the pipeline's lookups and options, the case's `refs` standing in for the ledger.
 * Differences are reported field by field and list item by list item, each with the place in
 * the case it comes from, so a failure can point at the line of the expectation.
 */
import { isDeepStrictEqual } from 'node:util';
import { LedgersyncError, asLedgersyncError } from '../errors.js';
import type { Plan } from '../config/plan.js';
import { loadCasesFile, type MappingCase } from '../config/cases.js';
import { formatProblem } from '../errors.js';
import { didYouMean } from '../config/suggest.js';
import { pointerOf } from '../config/yaml-tree.js';
import { createBindings } from '../transform/bindings.js';
import { mapRecord, type MappedRecord } from '../transform/mapper.js';

export type { MappingCase } from '../config/cases.js';

/** One way a case failed, and where in the case the expectation it broke is (a JSON pointer). */
export interface Mismatch {
  pointer: string;
  message: string;
}

/** What the mapping made of the input, for `--show-output`. */
export type CaseOutput =
  | { kind: 'records'; records: Array<Pick<MappedRecord, 'object' | 'action' | 'sourceId' | 'data'>>; skipped: string[] }
  | { kind: 'filtered' }
  | { kind: 'error'; code: string; message: string };

export interface CaseResult {
  name: string;
  passed: boolean;
  /** The mismatches' messages. */
  problems: string[];
  mismatches: Mismatch[];
  output: CaseOutput;
}

type Path = ReadonlyArray<string | number>;

/** `lines[2].amount`; `(record)` for the record itself. */
export function displayPath(path: Path): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out || '(record)';
}

export interface Difference {
  /** Where, inside the expected value. */
  path: Path;
  message: string;
}

/**
 * Where `actual` differs from `expected`: every field of an expected object must be in the actual
 * one with an equal value (fields not expected are not compared); lists must have the same length
 * and are compared item by item, a missing or an extra item named by its index.
 */
export function differences(expected: unknown, actual: unknown, path: Path = []): Difference[] {
  const at = displayPath(path);
  if (isRecord(expected)) {
    if (!isRecord(actual)) return [{ path, message: `${at}: expected a mapping, got ${show(actual)}` }];
    return Object.entries(expected).flatMap(([key, value]) => {
      if (!Object.hasOwn(actual, key)) {
        const hint = value === null ? ' (for a field that must not be there, use expect_absent)' : '';
        return [{ path: [...path, key], message: `${displayPath([...path, key])}: expected ${show(value)}, got nothing${hint}` }];
      }
      return differences(value, actual[key], [...path, key]);
    });
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [{ path, message: `${at}: expected a list of ${itemCount(expected.length)}, got ${show(actual)}` }];
    const out: Difference[] = [];
    if (actual.length !== expected.length) out.push({ path, message: `${at}: expected ${itemCount(expected.length)}, got ${actual.length}` });
    expected.forEach((value, i) => {
      if (i < actual.length) out.push(...differences(value, actual[i], [...path, i]));
      else out.push({ path: [...path, i], message: `${displayPath([...path, i])}: missing, expected ${show(value)}` });
    });
    for (let i = expected.length; i < actual.length; i++) out.push({ path, message: `${displayPath([...path, i])}: unexpected extra item ${show(actual[i])}` });
    return out;
  }
  return isDeepStrictEqual(expected, actual) ? [] : [{ path, message: `${at}: expected ${show(expected)}, got ${show(actual)}` }];
}

/** The pipeline's lookup tables with a case's values added (the tables' defaults stay). */
function withCaseValues(tables: Plan['lookups'], values: Record<string, Record<string, unknown>>): Plan['lookups'] {
  const merged = { ...tables };
  for (const [name, rows] of Object.entries(values)) {
    const table = tables[name];
    if (table) merged[name] = { ...table, values: { ...table.values, ...rows } };
  }
  return merged;
}

export async function runMappingCase(plan: Plan, c: MappingCase): Promise<CaseResult> {
  const mismatches: Mismatch[] = [];
  const result = (output: CaseOutput): CaseResult => ({
    name: c.name,
    passed: mismatches.length === 0,
    problems: mismatches.map((m) => m.message),
    mismatches,
    output,
  });
  const stream = plan.streams.find((s) => s.name === c.stream);
  if (!stream) {
    mismatches.push({ pointer: '/stream', message: `no stream '${c.stream}' in pipeline ${plan.name}` });
    return result({ kind: 'error', code: 'unknown_stream', message: mismatches[0]!.message });
  }
  const bindings = createBindings({
    options: { ...plan.options, ...c.options },
    lookups: c.lookups ? withCaseValues(plan.lookups, c.lookups) : plan.lookups,
    timezone: plan.timezone,
    resolveTarget: (s, id) => c.refs?.[s]?.[id],
  });
  const id = String(c.input['id'] ?? 'case');

  let outcome: Awaited<ReturnType<typeof mapRecord>>;
  try {
    outcome = await mapRecord(stream, { id, deleted: c.deleted ?? c.input['deleted'] === true, data: c.input }, bindings);
  } catch (error) {
    const e = asLedgersyncError(error);
    const output: CaseOutput = { kind: 'error', code: e.code, message: e.actionable };
    if (c.expect_error === undefined) mismatches.push({ pointer: '', message: `mapping failed: [${e.code}] ${e.actionable}` });
    else if (e.code !== c.expect_error && !e.message.includes(c.expect_error))
      mismatches.push({
        pointer: '/expect_error',
        message: `expected error ${c.expect_error}${didYouMean(c.expect_error, [e.code])}, got [${e.code}] ${e.message}`,
      });
    return result(output);
  }
  const records = outcome.kind === 'mapped' ? outcome.records : [];
  const skipped = outcome.kind === 'mapped' ? outcome.skipped : [];
  const output: CaseOutput =
    outcome.kind === 'filtered'
      ? { kind: 'filtered' }
      : { kind: 'records', records: records.map((r) => ({ object: r.object, action: r.action, sourceId: r.sourceId, data: r.data })), skipped };

  if (c.expect_error !== undefined) {
    mismatches.push({ pointer: '/expect_error', message: `expected error ${c.expect_error}, but the record mapped` });
    return result(output);
  }
  mismatches.push(...expectMismatches(c, outcome.kind === 'filtered', records, skipped));
  mismatches.push(...absentMismatches(c, records));
  mismatches.push(...actionMismatches(c, outcome.kind === 'filtered', records, skipped));
  return result(output);
}

type MappedRecords = Extract<Awaited<ReturnType<typeof mapRecord>>, { kind: 'mapped' }>['records'];
type SkippedRecords = Extract<Awaited<ReturnType<typeof mapRecord>>, { kind: 'mapped' }>['skipped'];

/** `expect`: the records the case must map to (null: none), field by field. */
function expectMismatches(c: MappingCase, filtered: boolean, records: MappedRecords, skipped: SkippedRecords): Mismatch[] {
  const mismatches: Mismatch[] = [];
  if (c.expect === null) {
    if (records.length) mismatches.push({ pointer: '/expect', message: `expected the record to be filtered out or skipped, got ${records.length} record(s)` });
    return mismatches;
  }
  if (c.expect === undefined) return mismatches;
  const expected = Array.isArray(c.expect) ? c.expect : [c.expect];
  const base = Array.isArray(c.expect) ? (i: number) => `/expect/${i}` : () => '/expect';
  const several = Array.isArray(c.expect);
  if (filtered) {
    mismatches.push({ pointer: '/expect', message: "the record was filtered out (the stream's filter is false, or the mapping gave nothing)" });
    return mismatches;
  }
  if (records.length === 0 && skipped.length) {
    mismatches.push({ pointer: '/expect', message: 'the record was skipped (_action: skip)' });
    return mismatches;
  }
  if (records.length !== expected.length) mismatches.push({ pointer: '/expect', message: `expected ${recordCount(expected.length)}, got ${records.length}` });
  expected.forEach((e, i) => {
    const record = records[i];
    if (!record) {
      mismatches.push({ pointer: base(i), message: `${several ? `[${i}] ` : ''}missing record, expected ${show(e)}` });
      return;
    }
    for (const d of differences(e, record.data)) {
      mismatches.push({ pointer: base(i) + pointerOf(d.path.map(String)), message: several ? `[${i}] ${d.message}` : d.message });
    }
  });
  for (let i = expected.length; i < records.length; i++)
    mismatches.push({ pointer: '/expect', message: `[${i}] unexpected extra record ${show(records[i]!.data)}` });
  return mismatches;
}

/** `expect_absent`: fields no mapped record may hold. */
function absentMismatches(c: MappingCase, records: MappedRecords): Mismatch[] {
  const mismatches: Mismatch[] = [];
  c.expect_absent?.forEach((field, k) => {
    records.forEach((record, i) => {
      const value = valueAt(record.data, field);
      if (value !== undefined)
        mismatches.push({ pointer: `/expect_absent/${k}`, message: `${records.length > 1 ? `[${i}] ` : ''}${field}: expected absent, got ${show(value)}` });
    });
  });
  return mismatches;
}

/** `expect_action`: what the mapping's `_action` made of the record (skip included). */
function actionMismatches(c: MappingCase, filtered: boolean, records: MappedRecords, skipped: SkippedRecords): Mismatch[] {
  if (c.expect_action === 'skip') {
    if (records.length || !skipped.length)
      return [{ pointer: '/expect_action', message: `expected _action skip, got ${records[0]?.action ?? (filtered ? 'none (filtered out)' : 'none')}` }];
    return [];
  }
  if (c.expect_action !== undefined && records[0]?.action !== c.expect_action) {
    return [
      {
        pointer: '/expect_action',
        message: `expected _action ${c.expect_action}, got ${records[0]?.action ?? (skipped.length ? 'skip' : 'none (filtered out)')}`,
      },
    ];
  }
  return [];
}

/**
 * The cases of a file, for code that runs them itself (the repository's own mapping tests).
 * Throws a config error with every problem of the file, each as `file:line:col: message`.
 */
export function readCases(file: string): MappingCase[] {
  const loaded = loadCasesFile(file);
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  if (errors.length) {
    throw new LedgersyncError('invalid_cases', 'config', errors.map(formatProblem).join('\n'), { fix: 'see the README section on mapping tests' });
  }
  return loaded.cases;
}

/** `a.b[1].c` inside a record. */
function valueAt(data: unknown, path: string): unknown {
  let current = data;
  for (const part of path.split('.').flatMap((p) => p.split(/\[(\d+)\]/).filter(Boolean))) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

function itemCount(n: number): string {
  return n === 1 ? '1 item' : `${n} items`;
}

function recordCount(n: number): string {
  return n === 1 ? '1 record' : `${n} records`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * `ledgersync test`: mapping unit tests declared as data. A cases file lists source records and
 * what the mapping must make of them; consultants run it in their own CI next to `validate`.
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
import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { LedgersyncError, asLedgersyncError } from '../errors.js';
import type { Plan } from '../config/plan.js';
import { createBindings } from '../transform/bindings.js';
import { mapRecord, type MappedRecord } from '../transform/mapper.js';

export interface MappingCase {
  name: string;
  stream: string;
  input: Record<string, unknown>;
  deleted?: boolean;
  refs?: Record<string, Record<string, string>>;
  options?: Record<string, unknown>;
  /** Expected mapped record (subset), or a list for mappings that return several records. */
  expect?: Record<string, unknown> | Array<Record<string, unknown>> | null;
  expect_action?: 'upsert' | 'delete' | 'void';
  expect_error?: string;
}

export interface CaseResult {
  name: string;
  passed: boolean;
  problems: string[];
}

/** True when every field of `expected` is in `actual` with an equal value (recursively for objects). */
export function differences(expected: unknown, actual: unknown, path = ''): string[] {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual))
      return [`${path || '(record)'}: expected an object, got ${JSON.stringify(actual)}`];
    return Object.entries(expected).flatMap(([k, v]) => differences(v, (actual as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual) || actual.length !== expected.length) return [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
    return expected.flatMap((v, i) => differences(v, actual[i], `${path}[${i}]`));
  }
  return isDeepStrictEqual(expected, actual) ? [] : [`${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`];
}

export async function runMappingCase(plan: Plan, c: MappingCase): Promise<CaseResult> {
  const stream = plan.streams.find((s) => s.name === c.stream);
  if (!stream) return { name: c.name, passed: false, problems: [`no stream '${c.stream}' in pipeline ${plan.name}`] };
  const bindings = createBindings({
    options: { ...plan.options, ...c.options },
    lookups: plan.lookups,
    timezone: plan.timezone,
    resolveTarget: (s, id) => c.refs?.[s]?.[id],
  });
  const id = String(c.input['id'] ?? 'case');
  let records: MappedRecord[] = [];
  let filtered = false;
  try {
    const outcome = await mapRecord(stream, { id, deleted: c.deleted ?? c.input['deleted'] === true, data: c.input }, bindings);
    if (outcome.kind === 'filtered') filtered = true;
    else records = outcome.records;
  } catch (error) {
    const e = asLedgersyncError(error);
    if (c.expect_error && (e.code === c.expect_error || e.message.includes(c.expect_error))) return { name: c.name, passed: true, problems: [] };
    return { name: c.name, passed: false, problems: [`mapping failed: [${e.code}] ${e.message}`] };
  }
  if (c.expect_error) return { name: c.name, passed: false, problems: [`expected error ${c.expect_error}, but the record mapped`] };
  const problems: string[] = [];
  if (c.expect === null) {
    if (!filtered && records.length) problems.push(`expected the record to be filtered out or skipped, got ${records.length} record(s)`);
  } else if (c.expect !== undefined) {
    const expected = Array.isArray(c.expect) ? c.expect : [c.expect];
    if (filtered) problems.push('the record was filtered out');
    else if (records.length !== expected.length) problems.push(`expected ${expected.length} record(s), got ${records.length}`);
    else
      expected.forEach((e, i) => {
        problems.push(...differences(e, records[i]!.data).map((d) => (expected.length > 1 ? `[${i}] ${d}` : d)));
      });
  }
  if (c.expect_action && records[0]?.action !== c.expect_action) problems.push(`expected _action ${c.expect_action}, got ${records[0]?.action ?? 'none'}`);
  return { name: c.name, passed: problems.length === 0, problems };
}

export function readCases(file: string): MappingCase[] {
  const doc = parse(readFileSync(file, 'utf8')) as { cases?: MappingCase[] } | MappingCase[] | null;
  const cases = Array.isArray(doc) ? doc : doc?.cases;
  if (!Array.isArray(cases)) {
    throw new LedgersyncError('invalid_cases', 'config', `${file}: expected a list of cases under 'cases:'`, {
      fix: 'see the README section on mapping tests',
    });
  }
  return cases;
}

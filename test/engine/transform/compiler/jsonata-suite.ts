/**
 * Runs the official JSONata test suite (test/fixtures/vendor/jsonata-test-suite, MIT) through the
 * interpreter and the compiler and sorts every case: parse error (one parser, shared), fallback
 * (the compiler declines, with its reason), deferred (compiled, but handed to the interpreter at
 * run time), agreed, or disagreed.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import jsonata from 'jsonata';
import { compileJsonata, NeedsInterpreter, type AstNode } from '../../../../engine/transform/compiler/index.js';

export const SUITE_DIR = join(import.meta.dirname, '..', '..', '..', 'fixtures', 'vendor', 'jsonata-test-suite');

export interface SuiteCase {
  id: string;
  expr: string;
  input: unknown;
  bindings: Record<string, unknown>;
  /** Cases run by the official runner with an evaluation budget (time or depth). */
  budget: boolean;
}

export type Outcome = { kind: 'value'; value: unknown } | { kind: 'error'; code: string };

export type Verdict =
  | { kind: 'parse_error' }
  | { kind: 'fallback'; reason: string }
  | { kind: 'deferred'; reason: string }
  | { kind: 'agreed' }
  | { kind: 'disagreed'; interpreted: Outcome; compiled: Outcome };

export function loadSuite(): SuiteCase[] {
  const datasets = new Map<string, unknown>();
  const dataset = (name: string): unknown => {
    if (!datasets.has(name)) datasets.set(name, JSON.parse(readFileSync(join(SUITE_DIR, 'datasets', `${name}.json`), 'utf8')));
    return structuredClone(datasets.get(name));
  };
  const cases: SuiteCase[] = [];
  for (const group of readdirSync(join(SUITE_DIR, 'groups')).sort()) {
    const dir = join(SUITE_DIR, 'groups', group);
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()) {
      const parsed = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, any> | Array<Record<string, any>>;
      const list = Array.isArray(parsed) ? parsed : [parsed];
      list.forEach((c, i) => {
        const expr =
          typeof c['expr'] === 'string'
            ? c['expr']
            : existsSync(join(dir, String(c['expr-file'])))
              ? readFileSync(join(dir, String(c['expr-file'])), 'utf8')
              : '';
        const input = 'data' in c ? c['data'] : typeof c['dataset'] === 'string' ? dataset(c['dataset']) : undefined;
        cases.push({
          id: `${group}/${file}${list.length > 1 ? `#${i}` : ''}`,
          expr,
          input,
          bindings: (c['bindings'] as Record<string, unknown> | undefined) ?? {},
          budget: c['timelimit'] !== undefined || c['depth'] !== undefined,
        });
      });
    }
  }
  return cases;
}

/** Plain JSON-like data: sequence flags, null prototypes and function identities do not count. */
export function comparable(value: unknown): unknown {
  if (typeof value === 'function') return '<function>';
  if (Array.isArray(value)) return value.map(comparable);
  if (value !== null && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (v['_jsonata_function'] === true || v['_jsonata_lambda'] === true) return '<function>';
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(v)) out[key] = comparable(v[key]);
    return out;
  }
  return value;
}

function errorCode(error: unknown): string {
  if (error instanceof RangeError) return 'RangeError';
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : `uncoded: ${String((error as Error | null)?.message ?? error)}`;
}

export async function judge(c: SuiteCase): Promise<Verdict> {
  let interpreter: jsonata.Expression;
  try {
    interpreter = jsonata(c.expr);
  } catch {
    return { kind: 'parse_error' };
  }
  if (c.budget) return { kind: 'fallback', reason: 'evaluation budget (time or depth limit)' };
  const compiled = compileJsonata(jsonata(c.expr).ast() as unknown as AstNode, { bindingNames: new Set(Object.keys(c.bindings)) });
  if (!compiled.ok) return { kind: 'fallback', reason: compiled.reason };

  let interpreted: Outcome;
  try {
    interpreted = { kind: 'value', value: comparable(await interpreter.evaluate(structuredClone(c.input), structuredClone(c.bindings))) };
  } catch (error) {
    interpreted = { kind: 'error', code: errorCode(error) };
  }
  let fast: Outcome;
  try {
    fast = { kind: 'value', value: comparable(compiled.evaluate(structuredClone(c.input), structuredClone(c.bindings))) };
  } catch (error) {
    if (error instanceof NeedsInterpreter) return { kind: 'deferred', reason: error.reason };
    fast = { kind: 'error', code: errorCode(error) };
  }
  return isDeepStrictEqual(interpreted, fast) ? { kind: 'agreed' } : { kind: 'disagreed', interpreted, compiled: fast };
}

/** How each JSONata expression of a loaded pipeline runs (`validate --explain`): compiled, or interpreted and why. */
import { withSnakeCaseKeys } from '../json-keys.js';
import type { Plan } from './plan.js';

/** How one JSONata expression of a pipeline runs: compiled to closures, or by the interpreter and why. */
export interface ExpressionReport {
  file: string;
  line: number;
  column: number;
  /** Pipeline path, e.g. `/streams/1/mapping/expression`. */
  path: string;
  engine: 'compiled' | 'interpreted';
  /** For `interpreted`: the construct the compiler does not cover (its line and column are given). */
  reason?: string;
  /** A stream runs compiled only when all its expressions compile; otherwise all of them run on the interpreter. */
  streamEngine: 'compiled' | 'interpreted';
}

export function expressionReports(plan: Plan): ExpressionReport[] {
  return plan.streams.flatMap((s) => {
    const all = [...(s.filter ? [s.filter] : []), ...(s.mapping.kind === 'expression' ? [s.mapping.expression] : s.mapping.fields.map((f) => f.expression))];
    const streamEngine = all.every((e) => e.engine.kind === 'compiled') ? 'compiled' : 'interpreted';
    return all.map((e): ExpressionReport => {
      if (e.engine.kind === 'compiled') return { ...e.position, path: e.path, engine: 'compiled', streamEngine };
      return { ...e.engine.at, path: e.path, engine: 'interpreted', reason: e.engine.reason, streamEngine };
    });
  });
}

/**
 * `validate --explain`. Text: one line per expression, `file:line:col: compiled <path>` or
 * `file:line:col: interpreted: <reason> (<path>)`, the position being the one jsonata's parser
 * records for the declined construct (just past its token).
 */
export function formatExpressionReports(reports: readonly ExpressionReport[], format: 'text' | 'json'): string {
  if (format === 'json') return JSON.stringify(withSnakeCaseKeys(reports), null, 2);
  return reports
    .map((r) => {
      const how = r.engine === 'compiled' ? `compiled ${r.path}` : `interpreted: ${r.reason ?? '?'} (${r.path})`;
      const stream = r.engine === 'compiled' && r.streamEngine === 'interpreted' ? ', but its stream runs interpreted (another expression is)' : '';
      return `${r.file}:${r.line}:${r.column}: ${how}${stream}`;
    })
    .join('\n');
}

/**
 * `ledgersync validate <files or globs>`: every matching pipeline loaded in validate mode (unset
 * variables allowed, since CI has no secrets) and all their problems printed as
 * `file:line:col: message`, or as JSON for tools.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { formatProblem, type ConfigProblem } from '../errors.js';
import { expandGlob, hasGlob, isExclusion } from './glob.js';
import { loadPipeline } from './load.js';
import type { Plan } from './plan.js';

export interface ValidateOptions {
  /** Variables for `${VAR}`. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The folder of connector descriptors (`<name>/connector.yaml`), from the caller's connector registry. */
  connectorsDir: string;
  /** Directory relative patterns start from. Default: `process.cwd()`. */
  cwd?: string;
}

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

export interface ValidateResult {
  /** Files checked, in order. */
  files: string[];
  problems: ConfigProblem[];
  /** Every expression of every pipeline that loaded without error, in file order. */
  expressions: ExpressionReport[];
}

function patternProblem(code: string, pattern: string, message: string): ConfigProblem {
  return { code, file: pattern, path: '', line: 1, column: 1, message, severity: 'error' };
}

/**
 * The files `patterns` name, in argument order (each glob's matches sorted, duplicates dropped),
 * with a problem for every pattern that names nothing. A path that exists is taken as it is, even
 * if it holds glob characters, and `!pattern` exclusions apply to globs only: a file named outright
 * is always checked.
 */
function filesOf(patterns: readonly string[], cwd: string): { files: string[]; problems: ConfigProblem[] } {
  const exclusions = patterns.filter(isExclusion).map((p) => p.slice(1));
  const files: string[] = [];
  const problems: ConfigProblem[] = [];
  const included = patterns.filter((p) => !isExclusion(p));
  if (included.length === 0 && exclusions.length > 0) {
    problems.push(patternProblem('no_match', patterns[0]!, `only exclusions were given (${patterns.join(' ')}): name the files or globs to check as well`));
  }
  for (const pattern of included) {
    const literal = existsSync(resolve(cwd, pattern));
    const matches = literal ? [pattern] : hasGlob(pattern) ? expandGlob(pattern, cwd, exclusions) : [];
    if (matches.length === 0) {
      if (!hasGlob(pattern)) problems.push(patternProblem('file_unreadable', pattern, `cannot read ${pattern}: no such file`));
      else if (exclusions.length > 0 && expandGlob(pattern, cwd).length > 0) {
        problems.push(patternProblem('no_match', pattern, `every file matching '${pattern}' is excluded by ${exclusions.map((e) => `'!${e}'`).join(', ')}`));
      } else problems.push(patternProblem('no_match', pattern, `no file matches '${pattern}'`));
    }
    for (const match of matches) if (!files.includes(match)) files.push(match);
  }
  return { files, problems };
}

export async function validateFiles(patterns: readonly string[], options: ValidateOptions): Promise<ValidateResult> {
  const cwd = options.cwd ?? process.cwd();
  const { files, problems } = filesOf(patterns, cwd);
  const expressions: ExpressionReport[] = [];
  for (const file of files) {
    const path = isAbsolute(file) || cwd === process.cwd() ? file : resolve(cwd, file);
    const loaded = await loadPipeline(path, { env: options.env ?? process.env, mode: 'validate', connectorsDir: options.connectorsDir });
    for (const p of loaded.problems) {
      if (!problems.some((q) => q.file === p.file && q.line === p.line && q.column === p.column && q.message === p.message)) problems.push(p);
    }
    if (loaded.plan) expressions.push(...expressionReports(loaded.plan));
  }
  return { files, problems, expressions };
}

function expressionReports(plan: Plan): ExpressionReport[] {
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
  if (format === 'json') return JSON.stringify(reports, null, 2);
  return reports
    .map((r) => {
      const how = r.engine === 'compiled' ? `compiled ${r.path}` : `interpreted: ${r.reason ?? '?'} (${r.path})`;
      const stream = r.engine === 'compiled' && r.streamEngine === 'interpreted' ? ', but its stream runs interpreted (another expression is)' : '';
      return `${r.file}:${r.line}:${r.column}: ${how}${stream}`;
    })
    .join('\n');
}

/** `text`: one `file:line:col: message` line per problem. `json`: an array of `{file, line, column, code, path, message, severity}`. */
export function formatProblems(problems: readonly ConfigProblem[], format: 'text' | 'json'): string {
  if (format === 'json') {
    return JSON.stringify(
      problems.map((p) => ({ file: p.file, line: p.line, column: p.column, code: p.code, path: p.path, message: p.message, severity: p.severity })),
      null,
      2,
    );
  }
  return problems.map(formatProblem).join('\n');
}

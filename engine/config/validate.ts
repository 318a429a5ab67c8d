/**
 * `ledgersync validate <files or globs>`: every matching pipeline loaded in validate mode (unset
 * variables allowed, since CI has no secrets), every mapping cases file (`*.cases.yaml`) checked
 * against its schema and the streams of the pipeline beside it, and all their problems printed
 * as `file:line:col: message`, or as JSON for tools.
 */
import { lstatSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { formatProblem, type ConfigProblem } from '../errors.js';
import { redact } from '../log.js';
import { checkFile, type FileCheck } from './check-file.js';
import type { ExpressionReport } from './expression-report.js';
import type { DeclaredName } from './load.js';
import { expandGlob, hasGlob, isExclusion } from './glob.js';
import { DEFAULT_CHECK_TIMEOUT_MS, IsolatedChecker, type IsolationOptions } from './isolated-check.js';

export type { ExpressionReport } from './expression-report.js';
export { formatExpressionReports } from './expression-report.js';

export interface ValidateOptions {
  /** Variables for `${VAR}`. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The folder of connector descriptors (`<name>/connector.yaml`), from the caller's connector registry. */
  connectorsDir: string;
  /** Directory relative patterns start from. Default: `process.cwd()`. */
  cwd?: string;
  /**
   * Check each file in a worker thread that is stopped after `timeoutMs` or on running out of
   * memory (the CLI does; needs the compiled package). Default: in this thread.
   */
  isolate?: Pick<IsolationOptions, 'timeoutMs' | 'memoryMb'>;
}

export interface ValidateResult {
  /** Files checked, in order. */
  files: string[];
  problems: ConfigProblem[];
  /** Every expression of every pipeline that loaded without error, in file order. */
  expressions: ExpressionReport[];
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
    problems.push(atStart(patterns[0]!, 'no_match', `only exclusions were given (${patterns.join(' ')}): name the files or globs to check as well`));
  }
  for (const pattern of included) {
    let matches: string[];
    try {
      matches = exists(resolve(cwd, pattern)) ? [pattern] : hasGlob(pattern) ? expandGlob(pattern, cwd, exclusions) : [];
      if (matches.length === 0) {
        if (!hasGlob(pattern)) problems.push(atStart(pattern, 'file_unreadable', `cannot read ${pattern}: no such file`));
        else if (exclusions.length > 0 && expandGlob(pattern, cwd).length > 0) {
          problems.push(atStart(pattern, 'no_match', `every file matching '${pattern}' is excluded by ${exclusions.map((e) => `'!${e}'`).join(', ')}`));
        } else problems.push(atStart(pattern, 'no_match', `no file matches '${pattern}'`));
      }
    } catch (error) {
      problems.push(atStart(pattern, 'file_unreadable', `cannot list the files of '${pattern}': ${(error as Error).message}`));
      continue;
    }
    for (const match of matches) if (!files.includes(match)) files.push(match);
  }
  return { files, problems };
}

export async function validateFiles(patterns: readonly string[], options: ValidateOptions): Promise<ValidateResult> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const { files, problems } = filesOf(patterns, cwd);
  const expressions: ExpressionReport[] = [];
  const isolated = options.isolate ? new IsolatedChecker({ ...options.isolate, env, connectorsDir: options.connectorsDir }) : undefined;
  /** The first file checked that declares each pipeline name. */
  const named = new Map<string, { file: string; line: number }>();
  try {
    for (const file of files) {
      const path = isAbsolute(file) || cwd === process.cwd() ? file : resolve(cwd, file);
      // One file's trouble, whatever it is, is reported as that file's problem; the others are still checked.
      const found = isolated ? await isolated.check(path) : await checkInProcess(path, env, options.connectorsDir);
      for (const p of found.problems) {
        if (!problems.some((q) => q.file === p.file && q.line === p.line && q.column === p.column && q.message === p.message)) problems.push(p);
      }
      expressions.push(...found.expressions);
      if (!found.name) continue;
      const first = named.get(found.name.value);
      if (!first) named.set(found.name.value, { file, line: found.name.line });
      else problems.push(sameName(file, found.name, first));
    }
  } finally {
    await isolated?.close();
  }
  return { files, problems, expressions };
}

async function checkInProcess(file: string, env: Readonly<Record<string, string | undefined>>, connectorsDir: string): Promise<FileCheck> {
  try {
    return await checkFile(file, env, connectorsDir);
  } catch (error) {
    return {
      problems: [
        atStart(
          file,
          'internal_error',
          `checking this file failed inside ledgersync (${error instanceof Error ? error.message : String(error)}); please report it`,
        ),
      ],
      expressions: [],
    };
  }
}

/** Whether something is at `path`, a broken or looping symbolic link included (the loader says what is wrong with it). */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A copied pipeline that kept its `name:` would share the other's state: its cursors, ledger and lock. */
function sameName(file: string, name: DeclaredName, first: { file: string; line: number }): ConfigProblem {
  return {
    code: 'duplicate_pipeline_name',
    file,
    path: '/name',
    line: name.line,
    column: name.column,
    message: `name '${name.value}' is already the name of ${first.file}:${first.line}: the two pipelines would share one state (cursors, ledger, run lock), so this one would start from the other's cursors and skip its own history; give each pipeline its own name`,
    severity: 'error',
  };
}

function atStart(file: string, code: string, message: string): ConfigProblem {
  return { code, file, path: '', line: 1, column: 1, message, severity: 'error' };
}

/** The time limit per file: `LEDGERSYNC_VALIDATE_TIMEOUT_SECONDS`, else 30 s; a value that is not a positive number is named on `warn` and ignored. */
export function validateTimeoutMs(env: Readonly<Record<string, string | undefined>>, warn: { write(text: string): unknown }): number {
  const raw = env['LEDGERSYNC_VALIDATE_TIMEOUT_SECONDS'];
  if (raw === undefined || raw === '') return DEFAULT_CHECK_TIMEOUT_MS;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds > 0) return seconds * 1000;
  warn.write(
    `warning: LEDGERSYNC_VALIDATE_TIMEOUT_SECONDS must be a positive number of seconds, not ${JSON.stringify(raw)}; using ${DEFAULT_CHECK_TIMEOUT_MS / 1000}\n`,
  );
  return DEFAULT_CHECK_TIMEOUT_MS;
}

/** `text`: one `file:line:col: message` line per problem. `json`: an array of `{file, line, column, code, path, message, severity}`. */
export function formatProblems(problems: readonly ConfigProblem[], format: 'text' | 'json'): string {
  if (format === 'json') {
    return redact(
      JSON.stringify(
        problems.map((p) => ({ file: p.file, line: p.line, column: p.column, code: p.code, path: p.path, message: p.message, severity: p.severity })),
        null,
        2,
      ),
    );
  }
  return problems.map(formatProblem).join('\n');
}

/**
 * `ledgersync validate <files or globs>`: every matching pipeline loaded in validate mode (unset
 * variables allowed, since CI has no secrets) and all their problems printed as
 * `file:line:col: message`, or as JSON for tools.
 */
import { lstatSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { formatProblem, type ConfigProblem } from '../errors.js';
import { expandGlob, hasGlob } from './glob.js';
import { DEFAULT_CHECK_TIMEOUT_MS, IsolatedChecker, type IsolationOptions } from './isolated-check.js';
import { loadPipeline } from './load.js';

export interface ValidateOptions {
  /** Variables for `${VAR}`. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where connector folders are. Default: the package's `connectors/`. */
  connectorsDir?: string;
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
}

export async function validateFiles(patterns: readonly string[], options: ValidateOptions = {}): Promise<ValidateResult> {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const files: string[] = [];
  const problems: ConfigProblem[] = [];
  for (const pattern of patterns) {
    let matches: string[];
    try {
      matches = hasGlob(pattern) ? expandGlob(pattern, cwd) : exists(resolve(cwd, pattern)) ? [pattern] : [];
    } catch (error) {
      problems.push(atStart(pattern, 'file_unreadable', `cannot list the files of '${pattern}': ${(error as Error).message}`));
      continue;
    }
    if (matches.length === 0) {
      problems.push(
        hasGlob(pattern)
          ? atStart(pattern, 'no_match', `no file matches '${pattern}'`)
          : atStart(pattern, 'file_unreadable', `cannot read ${pattern}: no such file`),
      );
    }
    for (const match of matches) if (!files.includes(match)) files.push(match);
  }
  const isolated = options.isolate
    ? new IsolatedChecker({ ...options.isolate, env, ...(options.connectorsDir ? { connectorsDir: options.connectorsDir } : {}) })
    : undefined;
  try {
    for (const file of files) {
      const path = isAbsolute(file) || cwd === process.cwd() ? file : resolve(cwd, file);
      // One file's trouble, whatever it is, is reported as that file's problem; the others are still checked.
      const found = isolated ? await isolated.check(path) : await checkInProcess(path, env, options.connectorsDir);
      for (const p of found) {
        if (!problems.some((q) => q.file === p.file && q.line === p.line && q.column === p.column && q.message === p.message)) problems.push(p);
      }
    }
  } finally {
    await isolated?.close();
  }
  return { files, problems };
}

async function checkInProcess(file: string, env: Readonly<Record<string, string | undefined>>, connectorsDir: string | undefined): Promise<ConfigProblem[]> {
  try {
    return (await loadPipeline(file, { env, mode: 'validate', ...(connectorsDir ? { connectorsDir } : {}) })).problems;
  } catch (error) {
    return [
      atStart(
        file,
        'internal_error',
        `checking this file failed inside ledgersync (${error instanceof Error ? error.message : String(error)}); please report it`,
      ),
    ];
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
    return JSON.stringify(
      problems.map((p) => ({ file: p.file, line: p.line, column: p.column, code: p.code, path: p.path, message: p.message, severity: p.severity })),
      null,
      2,
    );
  }
  return problems.map(formatProblem).join('\n');
}

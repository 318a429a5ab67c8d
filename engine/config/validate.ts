/**
 * `ledgersync validate <files or globs>`: every matching pipeline loaded in validate mode (unset
 * variables allowed, since CI has no secrets) and all their problems printed as
 * `file:line:col: message`, or as JSON for tools.
 */
import { lstatSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { formatProblem, type ConfigProblem } from '../errors.js';
import { expandGlob, hasGlob } from './glob.js';
import { loadPipeline } from './load.js';

export interface ValidateOptions {
  /** Variables for `${VAR}`. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where connector folders are. Default: the package's `connectors/`. */
  connectorsDir?: string;
  /** Directory relative patterns start from. Default: `process.cwd()`. */
  cwd?: string;
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
  for (const file of files) {
    const path = isAbsolute(file) || cwd === process.cwd() ? file : resolve(cwd, file);
    // One file's trouble, whatever it is, is reported as that file's problem; the others are still checked.
    for (const p of await checkInProcess(path, env, options.connectorsDir)) {
      if (!problems.some((q) => q.file === p.file && q.line === p.line && q.column === p.column && q.message === p.message)) problems.push(p);
    }
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

/**
 * `ledgersync validate <files or globs>`: every matching pipeline loaded in validate mode (unset
 * variables allowed, since CI has no secrets) and all their problems printed as
 * `file:line:col: message`, or as JSON for tools.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { formatProblem, type ConfigProblem } from '../errors.js';
import { expandGlob, hasGlob } from './glob.js';
import { loadPipeline } from './load.js';

export interface ValidateOptions {
  /** Variables for `${VAR}`. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The folder of connector descriptors (`<name>/connector.yaml`), from the caller's connector registry. */
  connectorsDir: string;
  /** Directory relative patterns start from. Default: `process.cwd()`. */
  cwd?: string;
}

export interface ValidateResult {
  /** Files checked, in order. */
  files: string[];
  problems: ConfigProblem[];
}

export async function validateFiles(patterns: readonly string[], options: ValidateOptions): Promise<ValidateResult> {
  const cwd = options.cwd ?? process.cwd();
  const files: string[] = [];
  const problems: ConfigProblem[] = [];
  for (const pattern of patterns) {
    const matches = hasGlob(pattern) ? expandGlob(pattern, cwd) : existsSync(resolve(cwd, pattern)) ? [pattern] : [];
    if (matches.length === 0) {
      problems.push({
        code: hasGlob(pattern) ? 'no_match' : 'file_unreadable',
        file: pattern,
        path: '',
        line: 1,
        column: 1,
        message: hasGlob(pattern) ? `no file matches '${pattern}'` : `cannot read ${pattern}: no such file`,
        severity: 'error',
      });
    }
    for (const match of matches) if (!files.includes(match)) files.push(match);
  }
  for (const file of files) {
    const path = isAbsolute(file) || cwd === process.cwd() ? file : resolve(cwd, file);
    const loaded = await loadPipeline(path, { env: options.env ?? process.env, mode: 'validate', connectorsDir: options.connectorsDir });
    for (const p of loaded.problems) {
      if (!problems.some((q) => q.file === p.file && q.line === p.line && q.column === p.column && q.message === p.message)) problems.push(p);
    }
  }
  return { files, problems };
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

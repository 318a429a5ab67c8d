/**
 * `ledgersync validate <files or globs>`: every matching pipeline loaded in validate mode (unset
 * variables allowed, since CI has no secrets), every mapping cases file (`*.cases.yaml`) checked
 * against its schema and the streams of the pipeline beside it, and all their problems printed
 * as `file:line:col: message`, or as JSON for tools.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { formatProblem, type ConfigProblem } from '../errors.js';
import { expandGlob, hasGlob, isExclusion } from './glob.js';
import { isCasesFileName, loadCasesFile, pipelineOfCasesFile, type CasesContext } from './cases.js';
import { loadPipeline } from './load.js';
import type { Plan } from './plan.js';

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

export async function validateFiles(patterns: readonly string[], options: ValidateOptions = {}): Promise<ValidateResult> {
  const cwd = options.cwd ?? process.cwd();
  const { files, problems } = filesOf(patterns, cwd);
  const plans = new Map<string, Plan | undefined>();
  const load = async (path: string) => {
    const loaded = await loadPipeline(path, {
      env: options.env ?? process.env,
      mode: 'validate',
      ...(options.connectorsDir ? { connectorsDir: options.connectorsDir } : {}),
    });
    plans.set(resolve(path), loaded.plan);
    return loaded;
  };
  for (const file of files) {
    const path = isAbsolute(file) || cwd === process.cwd() ? file : resolve(cwd, file);
    // `acme.cases.yaml` holds the mapping tests of `acme.yaml`: checked as such, against its streams.
    const loaded = isCasesFileName(path) ? loadCasesFile(path, await casesContext(path, plans, load)) : await load(path);
    for (const p of loaded.problems) {
      if (!problems.some((q) => q.file === p.file && q.line === p.line && q.column === p.column && q.message === p.message)) problems.push(p);
    }
  }
  return { files, problems };
}

async function casesContext(casesFile: string, plans: Map<string, Plan | undefined>, load: (path: string) => Promise<{ plan?: Plan }>): Promise<CasesContext> {
  const pipeline = pipelineOfCasesFile(casesFile);
  if (!pipeline) return {};
  const plan = plans.has(resolve(pipeline)) ? plans.get(resolve(pipeline)) : (await load(pipeline)).plan;
  return plan ? { streams: plan.streams.map((s) => s.name), options: Object.keys(plan.options) } : {};
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

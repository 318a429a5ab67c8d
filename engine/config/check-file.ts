/**
 * What `validate` finds in one file, in whichever thread checks it: a pipeline is loaded in validate
 * mode (its problems, and how each expression runs); `acme.cases.yaml` holds the mapping tests of
 * `acme.yaml` and is checked against its schema and the streams and options of that pipeline.
 */
import { basename } from 'node:path';
import type { ConfigProblem } from '../errors.js';
import { isCasesFileName, loadCasesFile, pipelineOfCasesFile, type CasesContext } from './cases.js';
import { expressionReports, type ExpressionReport } from './expression-report.js';
import { loadPipeline, type DeclaredName } from './load.js';

/** What checking one file found: its problems, and how its expressions run (`validate --explain`). */
export interface FileCheck {
  problems: ConfigProblem[];
  expressions: ExpressionReport[];
  /** A pipeline file's `name:`, which scopes its state (validate refuses two files of one name). */
  name?: DeclaredName;
}

export async function checkFile(file: string, env: Readonly<Record<string, string | undefined>>, connectorsDir: string): Promise<FileCheck> {
  if (isCasesFileName(file)) {
    const { context, unchecked } = await casesContext(file, env, connectorsDir);
    const problems = loadCasesFile(file, context).problems;
    // Its streams, options and tables were not checked: `ledgersync test` would refuse what validate passed.
    if (unchecked) problems.push({ code: 'cases_unchecked', file, path: '', line: 1, column: 1, message: unchecked, severity: 'warning' });
    return { problems, expressions: [] };
  }
  const loaded = await loadPipeline(file, { env, mode: 'validate', connectorsDir });
  return { problems: loaded.problems, expressions: loaded.plan ? expressionReports(loaded.plan) : [], ...(loaded.name ? { name: loaded.name } : {}) };
}

/**
 * The streams, options and lookup tables a cases file may name: those of the pipeline beside it, when
 * it loads; else why they could not be checked.
 */
async function casesContext(
  casesFile: string,
  env: Readonly<Record<string, string | undefined>>,
  connectorsDir: string,
): Promise<{ context: CasesContext; unchecked?: string }> {
  const pipeline = pipelineOfCasesFile(casesFile);
  const stem = casesFile.replace(/\.cases\.ya?ml$/i, '');
  if (!pipeline)
    return {
      context: {},
      unchecked: `not checked against a pipeline: there is no ${basename(stem)}.yaml beside it (ledgersync test <pipeline> ${basename(casesFile)} checks it against one)`,
    };
  const { plan } = await loadPipeline(pipeline, { env, mode: 'validate', connectorsDir });
  if (!plan)
    return {
      context: {},
      unchecked: `not checked against ${basename(pipeline)}, which has errors: its streams, options and tables are checked once it is valid`,
    };
  return { context: { streams: plan.streams.map((s) => s.name), options: Object.keys(plan.options), lookups: Object.keys(plan.lookups) } };
}

/**
 * What `validate` finds in one file, in whichever thread checks it: a pipeline is loaded in validate
 * mode (its problems, and how each expression runs); `acme.cases.yaml` holds the mapping tests of
 * `acme.yaml` and is checked against its schema and the streams and options of that pipeline.
 */
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
  if (isCasesFileName(file)) return { problems: loadCasesFile(file, await casesContext(file, env, connectorsDir)).problems, expressions: [] };
  const loaded = await loadPipeline(file, { env, mode: 'validate', connectorsDir });
  return { problems: loaded.problems, expressions: loaded.plan ? expressionReports(loaded.plan) : [], ...(loaded.name ? { name: loaded.name } : {}) };
}

/** The streams, options and lookup tables a cases file may name: those of the pipeline beside it, when it loads. */
async function casesContext(casesFile: string, env: Readonly<Record<string, string | undefined>>, connectorsDir: string): Promise<CasesContext> {
  const pipeline = pipelineOfCasesFile(casesFile);
  if (!pipeline) return {};
  const { plan } = await loadPipeline(pipeline, { env, mode: 'validate', connectorsDir });
  return plan ? { streams: plan.streams.map((s) => s.name), options: Object.keys(plan.options), lookups: Object.keys(plan.lookups) } : {};
}

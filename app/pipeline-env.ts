/**
 * An environment for a pipeline that must not read the user's own values: the sandbox's. The user's
 * shell may well hold the variables the README tells them to export for their own company
 * (METRICS_DATABASE_URL, INTACCT_ENTITY_ID…); picked up, the sandbox fails, or writes into the
 * user's real system. (Not named sandbox-*: the sandbox is left out of the package, this is not.)
 */
import { parseYamlTree } from '../engine/config/yaml-tree.js';

/** Every `${VAR}` the pipeline reads, as the config loader finds them (string values only, not comments). */
export function pipelineVariables(pipelineText: string, file: string): Set<string> {
  const tree = parseYamlTree(pipelineText, file, { env: {}, mode: 'validate' });
  return new Set(tree.variableReferences().map((reference) => reference.name));
}

/**
 * The process's own environment (PATH, HOME, TMPDIR, LEDGERSYNC_LOG_*, LEDGERSYNC_SECRET_KEY…) less
 * every variable the pipeline reads, then `values`: a `${VAR}` of the pipeline is either given in
 * `values` or unset, so `${VAR:-default}` takes its default.
 */
export function isolatedPipelineEnv(
  processEnv: Readonly<Record<string, string | undefined>>,
  pipelineReads: ReadonlySet<string>,
  values: Readonly<Record<string, string>>,
): Record<string, string | undefined> {
  const kept = Object.entries(processEnv).filter(([name]) => !pipelineReads.has(name));
  return { ...Object.fromEntries(kept), ...values };
}

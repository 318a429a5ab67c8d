/**
 * Worker thread of `run` (and of a connector's commands): loads the one pipeline file it is given
 * and posts back its problems, the plan without its closures, and the secrets it registered. A
 * large file parses here while the main thread stays free to honour SIGTERM.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ConfigProblem } from '../errors.js';
import { registeredSecrets } from '../secrets.js';
import { loadPipeline, type DeclaredName, type LoadOptions } from './load.js';
import { portablePlan, type PortablePlan } from './portable-plan.js';

export interface LoadRequest {
  file: string;
  options: LoadOptions;
}

export type LoadReply = { problems: ConfigProblem[]; name?: DeclaredName; plan?: PortablePlan; secrets: string[] } | { failure: string };

const { file, options } = workerData as LoadRequest;

loadPipeline(file, options)
  .then(async (loaded) => ({
    problems: loaded.problems,
    ...(loaded.name ? { name: loaded.name } : {}),
    ...(loaded.plan ? { plan: await portablePlan(loaded.plan) } : {}),
    secrets: registeredSecrets(),
  }))
  .then(
    (reply) => parentPort?.postMessage(reply satisfies LoadReply),
    (error: unknown) => parentPort?.postMessage({ failure: error instanceof Error ? error.message : String(error) } satisfies LoadReply),
  );

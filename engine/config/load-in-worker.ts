/**
 * `loadPipeline` for commands that must stay stoppable while they load: YAML parsing, schema
 * checks and lookup files run in a worker thread (./load-worker.ts), which SIGTERM terminates at
 * once; only the expressions are compiled again here, one by one, with the event loop given a turn
 * between them. A small pipeline without lookup files loads in this thread instead: it takes a
 * fraction of a second, less than the worker's own start (about a quarter of a second of CPU on
 * every run), and a stop that arrives meanwhile is honoured as soon as it is loaded. Under a
 * TypeScript test runner, where the worker file is not built, every pipeline loads in this thread.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ConfigProblem } from '../errors.js';
import { registerSecret } from '../secrets.js';
import { loadPipeline, type LoadOptions, type LoadResult } from './load.js';
import type { LoadReply, LoadRequest } from './load-worker.js';
import { revivePlan } from './portable-plan.js';

/** What loading gave, or that `signal` aborted it first. */
export type InterruptibleLoad = LoadResult | { aborted: true };

const entry = new URL('./load-worker.js', import.meta.url);

/** Loaded in this thread up to this size: the budgets on YAML (aliases, depth) keep such a file to well under a second. */
const IN_THREAD_BYTES = 256 * 1024;

/** Small, and reading no lookup file (`file:`), whose size the pipeline does not bound. */
export function loadsQuickly(file: string): boolean {
  try {
    if (statSync(file).size > IN_THREAD_BYTES) return false;
    // Any `file:` key, block or flow style; a false alarm only means the worker.
    return !/\bfile["']?\s*:/.test(readFileSync(file, 'utf8'));
  } catch {
    // Missing or unreadable: the worker's loader says so with the file's name, as before.
    return false;
  }
}

export async function loadPipelineInterruptibly(file: string, options: LoadOptions, signal?: AbortSignal): Promise<InterruptibleLoad> {
  if (signal?.aborted) return { aborted: true };
  if (!existsSync(fileURLToPath(entry))) return loadPipeline(file, options);
  if (loadsQuickly(file)) {
    const loaded = await loadPipeline(file, options);
    return signal?.aborted ? { aborted: true } : loaded;
  }
  const request: LoadRequest = { file, options: { ...options, env: { ...(options.env ?? process.env) } } };
  const worker = new Worker(entry, { workerData: request });
  const reply = await new Promise<LoadReply | 'aborted'>((resolve) => {
    const finish = (result: LoadReply | 'aborted') => {
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      resolve(result);
    };
    const onAbort = () => finish('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (message: LoadReply) => finish(message));
    worker.once('error', (error: Error) => finish({ failure: error.message.split('\n')[0] ?? String(error) }));
    worker.once('exit', (code) => finish({ failure: `the loading thread stopped (exit code ${code})` }));
  });
  if (reply === 'aborted') return { aborted: true };
  if ('failure' in reply) return { problems: [internalProblem(file, reply.failure)] };
  for (const secret of reply.secrets) registerSecret(secret);
  const name = reply.name ? { name: reply.name } : {};
  if (!reply.plan) return { problems: reply.problems, ...name };
  try {
    return { plan: await revivePlan(reply.plan, signal), problems: reply.problems, ...name };
  } catch (error) {
    if (signal?.aborted) return { aborted: true };
    throw error;
  }
}

function internalProblem(file: string, message: string): ConfigProblem {
  return {
    code: 'internal_error',
    file,
    path: '',
    line: 1,
    column: 1,
    message: `loading this file failed inside ledgersync (${message}); please report it`,
    severity: 'error',
  };
}

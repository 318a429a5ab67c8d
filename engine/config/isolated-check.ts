/**
 * Checks pipeline files in a worker thread with a time and memory limit per file, for
 * `ledgersync validate`. The loader bounds what a file can ask of it (size, nesting, aliases,
 * expression length), but YAML parsing and JSONata compilation are synchronous and cannot be
 * interrupted in-process; a worker can be terminated. So a file that still takes too long, runs
 * out of memory or crashes the loader is reported as a problem of that file, the other files are
 * checked as usual, and the main thread stays free to honour SIGTERM at once.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LedgersyncError, type ConfigProblem } from '../errors.js';
import type { FileCheck } from './check-file.js';
import type { CheckReply, CheckRequest } from './validate-worker.js';

export interface IsolationOptions {
  /** Longest time one file may take. Default 30 000 ms. */
  timeoutMs?: number;
  /** Heap of the worker, in MiB. Default 1024. */
  memoryMb?: number;
  env: Readonly<Record<string, string | undefined>>;
  connectorsDir: string;
}

export const DEFAULT_CHECK_TIMEOUT_MS = 30_000;
export const DEFAULT_CHECK_MEMORY_MB = 1024;
/** Loading the modules, the schemas and the descriptors: not counted against a file's limit, but not unbounded either. */
const WORKER_START_TIMEOUT_MS = 60_000;

export class IsolatedChecker {
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly entry = new URL('./validate-worker.js', import.meta.url);

  constructor(private readonly options: IsolationOptions) {
    // Compiled only: under a TypeScript test runner the worker file does not exist.
    if (!existsSync(fileURLToPath(this.entry))) {
      throw new LedgersyncError('isolation_unavailable', 'system', `cannot check files in a worker: ${fileURLToPath(this.entry)} is missing`, {
        fix: 'run the built CLI (npm run build)',
      });
    }
  }

  /** The problems of `file`; a file that times out, exhausts memory or crashes the loader gets one problem saying so. */
  async check(file: string): Promise<FileCheck> {
    const worker = await this.ready();
    if (Array.isArray(worker)) return { problems: worker.map((p) => ({ ...p, file })), expressions: [] };
    const id = this.nextId++;
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
    return new Promise<FileCheck>((resolve) => {
      const done = (problems: ConfigProblem[], restart: boolean, checked: Omit<FileCheck, 'problems'> = { expressions: [] }) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (restart) this.discard(worker);
        resolve({ ...checked, problems });
      };
      const onMessage = (reply: CheckReply) => {
        if (!('id' in reply) || reply.id !== id) return;
        if ('problems' in reply) done(reply.problems, false, { expressions: reply.expressions, ...(reply.name ? { name: reply.name } : {}) });
        else done([failure(file, 'internal_error', `checking this file failed inside ledgersync (${reply.failure}); please report it`)], false);
      };
      const onError = (error: Error & { code?: string }) => done([this.crash(file, error)], true);
      const onExit = (code: number) => done([failure(file, 'internal_error', `the checking worker stopped (exit code ${code}); please report it`)], true);
      const timer = setTimeout(() => {
        const seconds = (timeoutMs / 1000).toFixed(timeoutMs < 1000 ? 2 : 0);
        const message = `checking this file took longer than ${seconds} s and was stopped: it is too large or too complex (LEDGERSYNC_VALIDATE_TIMEOUT_SECONDS to allow more)`;
        done([failure(file, 'validate_timeout', message)], true);
      }, timeoutMs);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ id, file } satisfies CheckRequest);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  /** The worker, started if need be and once its modules are loaded; or the problem that kept it from starting. */
  private ready(): Promise<Worker | ConfigProblem[]> {
    if (this.worker) return Promise.resolve(this.worker);
    const worker = new Worker(this.entry, {
      workerData: { env: { ...this.options.env }, connectorsDir: this.options.connectorsDir },
      resourceLimits: { maxOldGenerationSizeMb: this.options.memoryMb ?? DEFAULT_CHECK_MEMORY_MB },
      stdout: false,
      stderr: false,
    });
    return new Promise((resolve) => {
      const settle = (result: Worker | ConfigProblem[]) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        resolve(result);
      };
      const onMessage = (reply: CheckReply) => {
        if (!('ready' in reply)) return;
        this.worker = worker;
        settle(worker);
      };
      const onError = (error: Error & { code?: string }) => {
        void worker.terminate();
        settle([this.crash('', error)]);
      };
      const onExit = (code: number) =>
        settle([failure('', 'internal_error', `the checking worker stopped before it was ready (exit code ${code}); please report it`)]);
      const timer = setTimeout(() => {
        void worker.terminate();
        settle([failure('', 'internal_error', `the checking worker did not start within ${WORKER_START_TIMEOUT_MS / 1000} s; please report it`)]);
      }, WORKER_START_TIMEOUT_MS);
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
    });
  }

  private crash(file: string, error: Error & { code?: string }): ConfigProblem {
    if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      const limit = this.options.memoryMb ?? DEFAULT_CHECK_MEMORY_MB;
      return failure(
        file,
        'validate_memory',
        `checking this file needed more than ${limit} MiB of memory and was stopped: it is too large or expands too much`,
      );
    }
    return failure(file, 'internal_error', `checking this file crashed the loader (${error.message.split('\n')[0]}); please report it`);
  }

  private discard(worker: Worker): void {
    if (this.worker === worker) this.worker = undefined;
    void worker.terminate();
  }
}

function failure(file: string, code: string, message: string): ConfigProblem {
  return { code, file, path: '', line: 1, column: 1, message, severity: 'error' };
}

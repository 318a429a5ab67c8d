/**
 * Worker processes of the built CLI for the queue tests: each started as if on a machine of its own
 * (a UTS namespace with its own host name, when `unshare` is allowed: as root, in CI), so a killed
 * worker's lock is released by its lease expiring, not by a pid check on the same host.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { JobEvent } from '../../engine/queue/worker.js';
import { CLI } from './helpers.js';

/** bin/ledgersync.js, from the sources (tests) or from dist/ (the benchmark). */
export { CLI };

export interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  host: string;
  /** The job events the worker printed so far. */
  jobs: JobEvent[];
  output(): string;
  exited: Promise<number | null>;
  /** Resolves with the first job event that matches, or rejects after `timeoutMs`. */
  waitForJob(match: (e: JobEvent) => boolean, timeoutMs?: number): Promise<JobEvent>;
  /**
   * Resolves once the worker says it started: it has then set the queue's job timeout, which a job
   * keeps from the moment it is sent (a job enqueued before would keep the default hour).
   */
  started(timeoutMs?: number): Promise<void>;
}

let canUnshare: boolean | undefined;
function unshareWorks(): boolean {
  canUnshare ??= spawnSync('unshare', ['--uts', 'sh', '-c', 'hostname ls-probe && hostname'], { encoding: 'utf8' }).stdout?.trim() === 'ls-probe';
  return canUnshare;
}

/** Whether workers really get host names of their own here (else they share this host's, and a dead worker is found by pid). */
export const separateHosts = (): boolean => unshareWorks();

export function startWorkerProcess(args: string[], env: Record<string, string | undefined>, cwd: string, host: string): WorkerProcess {
  const argv = [CLI, 'worker', ...args];
  const child = unshareWorks()
    ? spawn('unshare', ['--uts', 'sh', '-c', `hostname ${host} && exec "$0" "$@"`, process.execPath, ...argv], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(process.execPath, argv, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  let pending = '';
  const jobs: JobEvent[] = [];
  const waiters: Array<{ match: (e: JobEvent) => boolean; resolve: (e: JobEvent) => void }> = [];
  child.stdout!.on('data', (d: Buffer) => {
    text += d.toString();
    pending += d.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{"event":"job"')) continue;
      const event = JSON.parse(line) as JobEvent;
      jobs.push(event);
      for (const w of waiters.splice(0)) {
        if (w.match(event)) w.resolve(event);
        else waiters.push(w);
      }
    }
  });
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    pid: child.pid!,
    host: unshareWorks() ? host : 'this host',
    jobs,
    output: () => text,
    exited,
    async started(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!/"message":"worker \d+ started/.test(text)) {
        if (Date.now() > deadline) throw new Error(`the worker did not start within ${timeoutMs} ms; its output:\n${text.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    waitForJob(match, timeoutMs = 60_000) {
      const found = jobs.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching job event within ${timeoutMs} ms; worker output:\n${text.slice(-3000)}`)), timeoutMs);
        waiters.push({
          match,
          resolve: (e) => {
            clearTimeout(timer);
            resolve(e);
          },
        });
      });
    },
  };
}

export { runCli, type CliResult } from './helpers.js';

export async function stopWorker(worker: WorkerProcess): Promise<number | null> {
  if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGTERM');
  return worker.exited;
}

/** Percentile of sorted numbers (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

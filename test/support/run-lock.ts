/** A run lock and its unfinished run as another run leaves them in the state, for the commands that judge them. */
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { StateStore } from '../../engine/state/store.js';

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export interface ForgedHolder {
  runId: string;
  /** Default 1, with the default hostname: a process of another machine. */
  pid?: number;
  /** Default `pod-7f9c`, another machine. */
  hostname?: string;
  /** When the lease ends (epoch seconds). */
  expiresAt: number;
}

/**
 * `pipeline`'s lock held by `holder` and its run stored `running`, as a run on another machine, or
 * one killed mid-way, leaves them: taken 30 s ago, its lease renewed 10 s ago.
 */
export function holdRunLock(statePath: string, pipeline: string, holder: ForgedHolder): void {
  const { runId, pid = 1, hostname = 'pod-7f9c', expiresAt } = holder;
  const now = nowSeconds();
  const state = StateStore.open(statePath);
  try {
    state.driver
      .prepare('INSERT INTO locks (pipeline, run_id, pid, hostname, acquired_at, expires_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(pipeline, runId, pid, hostname, now - 30, expiresAt, now - 10);
    state.driver
      .prepare("INSERT INTO runs (id, pipeline, started_at, status, pid, hostname) VALUES (?, ?, ?, 'running', ?, ?)")
      .run(runId, pipeline, now - 30, pid, hostname);
  } finally {
    state.close();
  }
}

/** A pid that was this host's and is no longer: a process that ran and exited (a SIGKILLed run leaves the same). */
export function deadPid(): number {
  const pid = spawnSync(process.execPath, ['-e', '']).pid;
  if (!pid) throw new Error('no process was started');
  return pid;
}

/** A stream for a command's report, and the text written to it so far. */
export function capturedOutput(): { out: Writable; text: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { out, text: () => text };
}

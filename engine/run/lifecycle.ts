/**
 * The one lifecycle of every command that changes a pipeline's state (`run`, `post`, `reset`…):
 * open the state file, take the pipeline's run lock and record the run, run the body, record its
 * outcome, release the lock, close the state file and the HTTP agent. `status` opens the state the
 * same way, without the lock.
 */
import { LedgersyncError, asLedgersyncError, errorSummary, type ErrorSummary } from '../errors.js';
import { exitCodeFor, type ExitCode } from '../exit-codes.js';
import { closeHttpAgent } from '../http/connection.js';
import { StateStore, type LockVacancy, type RunLockHolder } from '../state/store.js';
import { stateFailure } from '../state/trouble.js';

/** What the runs table keeps of a finished command; `ledgersync status` lists it. */
export interface RunOutcomeRecord {
  /** `success`, `partial`, `failed`, `reset`… */
  status: string;
  exitCode: ExitCode;
  /** Stream counts, or what the command did. */
  counts: unknown;
  error?: ErrorSummary;
}

export interface LockedRun {
  state: StateStore;
  /** The run recorded for this command; it holds the lock. */
  runId: string;
  /** The lock was taken over from a run that died: whose, and why (say so in the command's log). */
  tookOver?: { holder: RunLockHolder; reason: LockVacancy };
}

export type RunLockResult<T> = { runId: string; result: T } | { locked: LedgersyncError; heldBy: RunLockHolder };

/**
 * Opens the state file for the body and closes it after, whatever happens. A failure of the file
 * itself (damaged, read-only, locked by another program, a full disk) is thrown as the state error
 * that names it and the fix, whether it happens on opening or in the middle of the body.
 */
export async function withState<T>(statePath: string, body: (state: StateStore) => Promise<T> | T, options: { write?: boolean } = {}): Promise<T> {
  const state = StateStore.open(statePath, options);
  try {
    return await body(state);
  } catch (error) {
    throw stateFailure(statePath, error) ?? error;
  } finally {
    state.close();
  }
}

/**
 * Runs `body` holding the pipeline's run lock, or returns who holds it. The body's outcome is
 * recorded before the lock is released; a body that throws is recorded as failed with its error,
 * and the error goes on to the caller.
 */
export async function withRunLock<T>(
  statePath: string,
  pipeline: string,
  body: (run: LockedRun) => Promise<{ result: T; outcome: RunOutcomeRecord }>,
): Promise<RunLockResult<T>> {
  try {
    return await withState(statePath, (state) => withRunLockOn(state, pipeline, body));
  } finally {
    await closeHttpAgent();
  }
}

/**
 * `withRunLock` on a state store the caller keeps open, for a long-lived process that takes the
 * lock again and again (`ledgersync serve`, between scheduled runs); it closes neither the store
 * nor the HTTP agent.
 */
export async function withRunLockOn<T>(
  state: StateStore,
  pipeline: string,
  body: (run: LockedRun) => Promise<{ result: T; outcome: RunOutcomeRecord }>,
): Promise<RunLockResult<T>> {
  const begun = state.beginRun(pipeline);
  if ('heldBy' in begun) return { locked: runLockedError(pipeline, begun.heldBy), heldBy: begun.heldBy };
  const { runId } = begun;
  let done: { result: T; outcome: RunOutcomeRecord };
  try {
    done = await body({ state, runId, ...(begun.tookOver ? { tookOver: begun.tookOver } : {}) });
  } catch (thrown) {
    const error = asLedgersyncError(thrown);
    state.finishRun(pipeline, runId, 'failed', exitCodeFor({ error }), null, errorSummary(error));
    throw thrown;
  }
  const { outcome } = done;
  state.finishRun(pipeline, runId, outcome.status, outcome.exitCode, outcome.counts, outcome.error);
  return { runId, result: done.result };
}

export function runLockedError(pipeline: string, held: RunLockHolder): LedgersyncError {
  return new LedgersyncError('run_locked', 'config', `another run of pipeline '${pipeline}' holds the lock (${describeHolder(held)})`, {
    fix: 'wait for it to finish. A lock left by a killed run is taken over once its lease expires; `ledgersync unlock` releases an expired one now, and `--force` a live one whose process you know is gone',
    details: { ...held },
  });
}

/** The warning a command prints when it took its lock over from a run that died. */
export function tookOverMessage(pipeline: string, tookOver: { holder: RunLockHolder; reason: LockVacancy }): string {
  const { holder, reason } = tookOver;
  const why = reason === 'expired' ? 'its lease had expired' : `process ${holder.pid} no longer exists on this host`;
  return `took over the lock of pipeline '${pipeline}' from run ${holder.runId} (pid ${holder.pid} on ${holder.hostname}): ${why}; that run is recorded as crashed, and its unconfirmed writes are looked up before anything is written again`;
}

/** `run R, pid P on H; lease renewed N s ago, valid until …`: who holds a lock, for messages. */
export function describeHolder(held: RunLockHolder, nowSeconds = Math.floor(Date.now() / 1000)): string {
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  const who = `run ${held.runId}, pid ${held.pid} on ${held.hostname}`;
  if (held.expiresAt === undefined || held.expiresAt === null) return `${who}, since ${iso(held.since)}`;
  const renewed = held.heartbeatAt ?? held.since;
  return `${who}; lease renewed ${Math.max(0, nowSeconds - renewed)} s ago, valid until ${iso(held.expiresAt)}`;
}

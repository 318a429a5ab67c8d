/**
 * A job's outcome is recorded by the worker itself, and recorded again while the database cannot
 * be reached: pg-boss's own call after the handler returns is neither awaited nor caught, so a
 * database restarting at that moment (the very reason a run stopped) killed the worker with an
 * unhandled rejection and left the job active until its timeout.
 */
import type PgBoss from 'pg-boss';
import { describe, expect, it, vi } from 'vitest';
import type { ConnectorRegistry } from '../../../engine/connector/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { RunJobHandler } from '../../../engine/queue/run-job.js';
import type { RunSummary } from '../../../engine/run/runner.js';

/** A queue whose calls fail `failures` times (the database restarting), then succeed. */
function flakyBoss(failures: number) {
  const calls: Array<{ op: 'fail' | 'complete'; id: string; output: unknown }> = [];
  let left = failures;
  const record = (op: 'fail' | 'complete') => async (_queue: string, id: string, output: unknown) => {
    if (left-- > 0) throw new Error('Connection terminated unexpectedly');
    calls.push({ op, id, output });
  };
  const boss = { fail: record('fail'), complete: record('complete') } as unknown as PgBoss;
  return { boss, calls };
}

function handler(boss: PgBoss, stopping = false): RunJobHandler {
  return new RunJobHandler({
    connectors: {} as ConnectorRegistry,
    stateUrl: 'postgres://unused',
    dir: '.',
    log: silentLogger,
    metrics: {} as never,
    boss,
    schedules: {} as never,
    signal: new AbortController().signal,
    stopping: () => stopping,
  });
}

const summary = (exitCode: number, code?: string) =>
  ({
    runId: 'r1',
    status: exitCode === 0 ? 'success' : 'failed',
    exitCode,
    ...(code ? { error: { code, message: 'the state database is unreachable' } } : {}),
  }) as unknown as RunSummary;
const settle = (h: RunJobHandler, s: RunSummary) =>
  (h as unknown as { settle(id: string, s: RunSummary, abandoned: boolean): Promise<unknown> }).settle('job-1', s, false);

describe('a run job settled while the database restarts', () => {
  it('a run stopped by the outage is failed once the database answers again, with the run error code kept, and never throws', async () => {
    vi.useFakeTimers();
    try {
      const { boss, calls } = flakyBoss(3);
      const settled = settle(handler(boss), summary(3, 'state_unavailable'));
      await vi.runAllTimersAsync();
      await expect(settled).resolves.toBeUndefined();
      expect(calls).toEqual([
        { op: 'fail', id: 'job-1', output: { code: 'run_aborted', cause: 'state_unavailable', message: 'the state database is unreachable', runId: 'r1' } },
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a finished run is completed by the worker, retried the same way', async () => {
    vi.useFakeTimers();
    try {
      const { boss, calls } = flakyBoss(1);
      const settled = settle(handler(boss), summary(0));
      await vi.runAllTimersAsync();
      await expect(settled).resolves.toEqual({ runId: 'r1', status: 'success', exitCode: 0 });
      expect(calls.map((c) => c.op)).toEqual(['complete']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a stopping worker gives up at once: the job waits for its timeout, the worker exits cleanly', async () => {
    const { boss, calls } = flakyBoss(Infinity);
    await expect(settle(handler(boss, true), summary(3, 'state_unavailable'))).resolves.toBeUndefined();
    expect(calls).toEqual([]);
  });
});

describe('an enqueued run that finds its pipeline locked', () => {
  it('is sent again to start after the retry delay, without spending the retries that would drop it', async () => {
    const sent: Array<{ data: unknown; startAfter: Date }> = [];
    const completed: unknown[] = [];
    const boss = {
      send: async (_queue: string, data: unknown, options: { startAfter: Date }) => {
        sent.push({ data, startAfter: options.startAfter });
        return 'copy-1';
      },
      complete: async (_queue: string, _id: string, output: unknown) => void completed.push(output),
      fail: async () => {
        throw new Error('not expected: the job is completed, its copy waits');
      },
    } as unknown as PgBoss;
    const data = { pipeline: 'acme', file: 'acme.yaml', sha256: 'abc', reason: 'enqueue' };
    const job = { id: 'job-1', data, retryDelay: 15 };
    const before = Date.now();
    const locked = handler(boss) as unknown as { requeue(job: unknown, data: unknown, s: RunSummary): Promise<unknown> };
    const output = await locked.requeue(job, data, summary(4, 'run_locked'));
    expect(sent).toHaveLength(1);
    expect(sent[0]!.data).toEqual(data);
    expect(sent[0]!.startAfter.getTime()).toBeGreaterThanOrEqual(before + 15_000);
    expect(output).toMatchObject({ requeued: 'copy-1', code: 'run_locked' });
    expect(completed).toEqual([output]);
  });
});

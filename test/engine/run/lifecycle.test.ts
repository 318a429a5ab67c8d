/**
 * The run lifecycle: the lock, the runs table and release, for the lifecycle itself and for every
 * command that takes the lock (run, a connector's post, reset).
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { createDualEntrySink } from '../../../connectors/dualentry/index.js';
import { postCommand } from '../../../connectors/dualentry/post.js';
import { LedgersyncError } from '../../../engine/errors.js';
import { silentLogger } from '../../../engine/log.js';
import { runConnectorCommand } from '../../../engine/run/command.js';
import { withRunLock } from '../../../engine/run/lifecycle.js';
import { runPipeline } from '../../../engine/run/runner.js';
import { resetPipeline } from '../../../engine/run/status.js';
import { StateStore } from '../../../engine/state/store.js';
import { JSONL_PIPELINE, ROOT, tempDir } from '../../e2e/helpers.js';

let work: ReturnType<typeof tempDir>;
let statePath: string;
beforeEach(() => {
  work = tempDir();
  statePath = join(work.dir, 'state.db');
});
afterEach(() => work.cleanup());

const runs = (pipeline: string) => {
  const state = StateStore.open(statePath);
  try {
    return state.recentRuns(pipeline);
  } finally {
    state.close();
  }
};

/** Takes the pipeline's lock the way a run in another process would, and leaves it held. */
function holdLock(pipeline: string): string {
  const state = StateStore.open(statePath);
  const begun = state.beginRun(pipeline);
  state.close();
  if (!('runId' in begun)) throw new Error('lock already held');
  return begun.runId;
}

describe('withRunLock', () => {
  it('records the run and its outcome, then releases the lock', async () => {
    const first = await withRunLock(statePath, 'p', async ({ state, runId }) => {
      expect(state.recentRuns('p')[0]).toMatchObject({ id: runId, status: 'running' });
      return { result: 42, outcome: { status: 'partial', exitCode: 1, counts: { s: { read: 2 } } } };
    });
    expect(first).toMatchObject({ result: 42, runId: expect.any(String) });
    expect(runs('p')[0]).toMatchObject({ status: 'partial', exitCode: 1, counts: { s: { read: 2 } }, error: null });
    const second = await withRunLock(statePath, 'p', async () => ({ result: 'again', outcome: { status: 'success', exitCode: 0, counts: {} } }));
    expect(second).toMatchObject({ result: 'again' });
  });

  it('returns who holds the lock, without running the body', async () => {
    const holder = holdLock('p');
    let ran = false;
    const locked = await withRunLock(statePath, 'p', async () => {
      ran = true;
      return { result: 0, outcome: { status: 'success', exitCode: 0, counts: {} } };
    });
    expect(ran).toBe(false);
    expect('locked' in locked && locked.locked).toMatchObject({ code: 'run_locked', kind: 'config' });
    expect('locked' in locked && locked.locked.message).toContain(`run ${holder}, pid ${process.pid}`);
    expect(runs('p')).toHaveLength(1);
  });

  it('records a body that throws as failed with its exit code, releases the lock and rethrows', async () => {
    const failure = new LedgersyncError('connection_failed', 'transient', 'network down');
    await expect(
      withRunLock(statePath, 'p', async () => {
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(runs('p')[0]).toMatchObject({ status: 'failed', exitCode: 3, error: { code: 'connection_failed', message: 'network down' } });
    const after = await withRunLock(statePath, 'p', async () => ({ result: 'free', outcome: { status: 'success', exitCode: 0, counts: {} } }));
    expect(after).toMatchObject({ result: 'free' });
  });
});

describe('every command that takes the lock exits 4 while another run holds it', () => {
  const env = { CHARGEBEE_SITE: 'acme-test', CHARGEBEE_API_KEY: 'test_key', DUALENTRY_API_KEY: 'key', DUALENTRY_COMPANY_ID: '4242' };

  it('run', async () => {
    holdLock('chargebee-to-jsonl');
    const summary = await runPipeline({
      connectors: installedConnectors,
      pipelinePath: JSONL_PIPELINE,
      statePath,
      env: { ...env, LEDGERSYNC_OUT: join(work.dir, 'out') },
      log: silentLogger,
    });
    expect(summary).toMatchObject({ status: 'locked', exitCode: 4, runId: '', error: { code: 'run_locked', kind: 'config' } });
  });

  it('post', async () => {
    holdLock('chargebee-revrec-to-dualentry');
    const summary = await runConnectorCommand({
      connectors: installedConnectors,
      connector: 'dualentry',
      command: postCommand(createDualEntrySink),
      pipelinePath: join(ROOT, 'pipelines/examples/chargebee-revrec-to-dualentry.yaml'),
      statePath,
      values: { period: '2026-10', repost: false },
      env,
      log: silentLogger,
    });
    expect(summary).toEqual({
      status: 'locked',
      exitCode: 4,
      pipeline: 'chargebee-revrec-to-dualentry',
      runId: '',
      period: '2026-10',
      entries: [],
      apiCalls: 0,
      error: expect.objectContaining({ code: 'run_locked' }),
    });
    expect(runs('chargebee-revrec-to-dualentry')).toHaveLength(1);
  });

  it('reset', async () => {
    const holder = holdLock('chargebee-to-jsonl');
    const out: string[] = [];
    const stream = { write: (chunk: string) => out.push(chunk) } as unknown as NodeJS.WritableStream;
    const code = await resetPipeline({ connectors: installedConnectors, pipelinePath: JSONL_PIPELINE, statePath, out: stream });
    expect(code).toBe(4);
    expect(out.join('')).toBe(`pipeline chargebee-to-jsonl is running (run ${holder}); reset refused\n`);
  });
});

describe('a connector command', () => {
  it('refuses a pipeline that does not use its connector, before taking the lock', async () => {
    const summary = await runConnectorCommand({
      connectors: installedConnectors,
      connector: 'dualentry',
      command: postCommand(createDualEntrySink),
      pipelinePath: JSONL_PIPELINE,
      statePath,
      values: { period: '2026-10', repost: false },
      env: { CHARGEBEE_SITE: 'acme-test', CHARGEBEE_API_KEY: 'test_key', LEDGERSYNC_OUT: join(work.dir, 'out') },
      log: silentLogger,
    });
    expect(summary).toMatchObject({ status: 'invalid', exitCode: 2, error: { code: 'command_not_applicable' } });
    expect(summary.error!.message).toBe('ledgersync post is a command of the dualentry connector; pipeline chargebee-to-jsonl writes to jsonl');
  });
});

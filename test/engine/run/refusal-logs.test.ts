/**
 * A `replay` or `reset` that does not run says why on its log (stderr), with `code`, `kind` and
 * `fix` as fields under JSON logs, as a refused `run` does: a scheduler that keeps only stderr saw
 * an exit 4 (or 2) and no reason.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { EXIT } from '../../../engine/exit-codes.js';
import { createLogger, type Logger } from '../../../engine/log.js';
import { replayRecords } from '../../../engine/run/replay.js';
import { resetPipeline } from '../../../engine/run/status.js';
import { JSONL_PIPELINE, tempDir } from '../../e2e/helpers.js';
import { capturedOutput, holdRunLock, nowSeconds } from '../../support/run-lock.js';

const PIPELINE = 'chargebee-to-jsonl';
const ENV = { CHARGEBEE_SITE: 'acme-test', CHARGEBEE_API_KEY: 'test_key', CHARGEBEE_BASE_URL: 'http://127.0.0.1:9', LEDGERSYNC_OUT: 'out' };

let work: ReturnType<typeof tempDir>;
let statePath: string;
beforeEach(() => {
  work = tempDir();
  statePath = join(work.dir, 'state.db');
});
afterEach(() => work.cleanup());

/** A JSON logger whose lines are kept. */
function jsonLog(): { log: Logger; errors: () => Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger({ json: true, write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }, 'ledgersync:test');
  return { log, errors: () => lines.filter((l) => l['level'] === 'error') };
}

/** Another machine's run holding the pipeline's lock with a live lease. */
const holdLock = () => holdRunLock(statePath, PIPELINE, { runId: 'holder', expiresAt: nowSeconds() + 50 });

const sink = () => capturedOutput().out;

describe('replay that does not run logs why', () => {
  it('refused by the run lock: run_locked, exit 4', async () => {
    holdLock();
    const { log, errors } = jsonLog();
    const summary = await replayRecords({ connectors: installedConnectors, pipelinePath: JSONL_PIPELINE, statePath, failed: true, env: ENV, log });
    expect(summary).toMatchObject({ status: 'locked', exitCode: EXIT.locked });
    expect(errors()).toEqual([
      expect.objectContaining({
        code: 'run_locked',
        kind: 'config',
        fix: expect.stringMatching(/wait for it to finish/),
        message: expect.stringContaining("another run of pipeline 'chargebee-to-jsonl' holds the lock (run holder, pid 1 on pod-7f9c"),
      }),
    ]);
  });

  it('an unknown --stream, and an invalid pipeline: their errors, exit 2', async () => {
    const { log, errors } = jsonLog();
    const unknown = await replayRecords({
      connectors: installedConnectors,
      pipelinePath: JSONL_PIPELINE,
      statePath,
      failed: true,
      stream: 'invoicez',
      env: ENV,
      log,
    });
    expect(unknown.exitCode).toBe(EXIT.config);
    const invalid = await replayRecords({ connectors: installedConnectors, pipelinePath: JSONL_PIPELINE, statePath, failed: true, env: {}, log });
    expect(invalid.exitCode).toBe(EXIT.config);
    expect(errors().map((l) => l['code'])).toEqual(['unknown_stream', invalid.error!.code]);
    expect(errors()[0]).toMatchObject({ kind: 'config', fix: expect.stringMatching(/^use one of: /) });
  });
});

describe('reset that does not run logs why', () => {
  it('refused by the run lock: run_locked, exit 4', async () => {
    holdLock();
    const { log, errors } = jsonLog();
    const code = await resetPipeline({ connectors: installedConnectors, pipelinePath: JSONL_PIPELINE, statePath, out: sink(), log });
    expect(code).toBe(EXIT.locked);
    expect(errors()).toEqual([expect.objectContaining({ code: 'run_locked', kind: 'config', fix: expect.stringMatching(/wait for it to finish/) })]);
  });

  it('an unknown --stream: unknown_stream, exit 2', async () => {
    const { log, errors } = jsonLog();
    const code = await resetPipeline({ connectors: installedConnectors, pipelinePath: JSONL_PIPELINE, statePath, out: sink(), stream: 'invoicez', log });
    expect(code).toBe(EXIT.config);
    expect(errors()).toEqual([expect.objectContaining({ code: 'unknown_stream', fix: expect.stringMatching(/^use one of: /) })]);
  });
});

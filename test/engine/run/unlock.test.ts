/** `ledgersync unlock`: releases an expired or dead holder's lock, refuses a live lease unless forced. */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { EXIT } from '../../../engine/exit-codes.js';
import { unlockPipeline } from '../../../engine/run/unlock.js';
import { StateStore } from '../../../engine/state/store.js';
import { JSONL_PIPELINE, tempDir } from '../../e2e/helpers.js';
import { capturedOutput, holdRunLock, nowSeconds as now } from '../../support/run-lock.js';

const PIPELINE = 'chargebee-to-jsonl';
let work: ReturnType<typeof tempDir>;
let statePath: string;
beforeEach(() => {
  work = tempDir();
  statePath = join(work.dir, 'state.db');
});
afterEach(() => work.cleanup());

async function unlock(options: { force?: boolean; json?: boolean } = {}): Promise<{ code: number; text: string }> {
  const { out, text } = capturedOutput();
  const code = await unlockPipeline({ connectors: installedConnectors, pipelinePath: JSONL_PIPELINE, statePath, out, ...options });
  return { code, text: text() };
}

function inState<T>(read: (state: StateStore) => T): T {
  const state = StateStore.open(statePath);
  try {
    return read(state);
  } finally {
    state.close();
  }
}

describe('ledgersync unlock', () => {
  it('refuses a live lease of another machine, naming its holder, and leaves it held (exit 4)', async () => {
    const runId = 'live';
    holdRunLock(statePath, PIPELINE, { runId, expiresAt: now() + 45 });
    const { code, text } = await unlock();
    expect(code).toBe(EXIT.locked);
    expect(text).toMatch(new RegExp(`locked by a live lease \\(run ${runId}, pid 1 on pod-7f9c; lease renewed \\d+ s ago, valid until `));
    expect(text).toContain('ledgersync unlock --force');
    expect(inState((s) => s.lockHolder(PIPELINE)?.runId)).toBe(runId);
  });

  it('releases an expired lease whatever its host and pid, and records its run as crashed', async () => {
    const runId = 'expired';
    holdRunLock(statePath, PIPELINE, { runId, expiresAt: now() - 5 });
    const { code, text } = await unlock({ json: true });
    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(text)).toMatchObject({
      pipeline: PIPELINE,
      outcome: 'released',
      reason: 'expired',
      holder: { run_id: runId, pid: 1, hostname: 'pod-7f9c', lease_expires_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
    });
    expect(inState((s) => s.lockHolder(PIPELINE))).toBeUndefined();
    expect(inState((s) => s.recentRuns(PIPELINE)[0])).toMatchObject({ id: runId, status: 'crashed' });
  });

  it('--force releases a live lease; its holder then finds the lock gone at its next renewal', async () => {
    const state = StateStore.open(statePath);
    try {
      const begun = state.beginRun(PIPELINE);
      if (!('runId' in begun)) throw new Error('lock refused');
      expect((await unlock()).code).toBe(EXIT.locked);
      const forced = await unlock({ force: true });
      expect(forced.code).toBe(EXIT.ok);
      expect(forced.text).toContain('forced while its lease was live');
      expect(state.renewRunLock(PIPELINE, begun.runId)).toBe(false);
      expect(state.recentRuns(PIPELINE)[0]).toMatchObject({ id: begun.runId, status: 'unlocked' });
    } finally {
      state.close();
    }
  });

  it('says so when nothing is locked, with or without a state file', async () => {
    expect(await unlock()).toMatchObject({ code: EXIT.ok, text: expect.stringContaining('nothing to unlock') });
    inState(() => undefined);
    expect(await unlock({ json: true })).toEqual({ code: EXIT.ok, text: `${JSON.stringify({ pipeline: PIPELINE, outcome: 'not_locked' })}\n` });
  });
});

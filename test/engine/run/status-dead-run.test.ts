/**
 * `status` judges an unfinished run by its lock, as the next run and `unlock` do: a run whose process
 * is gone from this host, or whose lease expired, is shown `crashed` (`holder_gone` / `lease_expired`
 * in JSON) at once, not `running` until another run starts. It only reads: the runs table and the
 * lock stay as they were, for the next run to record and take over.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { EXIT } from '../../../engine/exit-codes.js';
import { showStatus } from '../../../engine/run/status.js';
import { StateStore } from '../../../engine/state/store.js';
import { JSONL_PIPELINE, tempDir } from '../../e2e/helpers.js';
import { capturedOutput, deadPid, holdRunLock, nowSeconds as now } from '../../support/run-lock.js';

const PIPELINE = 'chargebee-to-jsonl';
let work: ReturnType<typeof tempDir>;
let statePath: string;
beforeEach(() => {
  work = tempDir();
  statePath = join(work.dir, 'state.db');
});
afterEach(() => work.cleanup());

async function status(json: boolean): Promise<string> {
  const { out, text } = capturedOutput();
  const code = await showStatus({ connectors: installedConnectors, pipelinePath: JSONL_PIPELINE, statePath, json, out });
  expect(code).toBe(EXIT.ok);
  return text();
}

const runsOf = async () => (JSON.parse(await status(true)) as { runs: Array<Record<string, unknown>> }).runs;
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('status of a run that did not finish', () => {
  it('its process gone from this host: crashed, holder_gone, at once; the state is left as it was', async () => {
    holdRunLock(statePath, PIPELINE, { runId: 'killed', pid: deadPid(), hostname: hostname(), expiresAt: now() + 50 });
    const before = sha256(statePath);

    expect(await runsOf()).toEqual([expect.objectContaining({ id: 'killed', status: 'crashed', holder_gone: true, finished_at: null, exit_code: null })]);
    expect(await status(false)).toMatch(
      /killed .* crashed {2}exit - {2}\(still holding the lock, but its process is gone from this host; the next run or `ledgersync unlock` records it crashed\)/,
    );

    expect(sha256(statePath)).toBe(before);
    const state = StateStore.open(statePath, { write: false });
    try {
      expect(state.lockHolder(PIPELINE)?.runId).toBe('killed');
      expect(state.recentRuns(PIPELINE)[0]).toMatchObject({ status: 'running', finishedAt: null });
    } finally {
      state.close();
    }
  });

  it('its lease expired, on another machine: crashed, lease_expired', async () => {
    holdRunLock(statePath, PIPELINE, { runId: 'vanished', pid: 1, hostname: 'pod-7f9c', expiresAt: now() - 5 });
    const [run] = await runsOf();
    expect(run).toMatchObject({ id: 'vanished', status: 'crashed', lease_expired: true });
    expect(run).not.toHaveProperty('holder_gone');
    expect(await status(false)).toContain('its lease expired');
  });

  it('a live lease on another machine, or a run of a live process here: still running, nothing added', async () => {
    holdRunLock(statePath, PIPELINE, { runId: 'elsewhere', pid: 1, hostname: 'pod-7f9c', expiresAt: now() + 50 });
    const [run] = await runsOf();
    expect(run).toMatchObject({ id: 'elsewhere', status: 'running' });
    expect(Object.keys(run!)).not.toEqual(expect.arrayContaining(['holder_gone']));
    expect(run).not.toHaveProperty('lease_expired');

    const other = join(work.dir, 'live.db');
    const state = StateStore.open(other);
    try {
      const begun = state.beginRun(PIPELINE);
      expect('runId' in begun).toBe(true);
      statePath = other;
      expect(await runsOf()).toEqual([expect.objectContaining({ status: 'running' })]);
    } finally {
      state.close();
    }
  });

  it('a finished run keeps its recorded status whatever the lock says', async () => {
    holdRunLock(statePath, PIPELINE, { runId: 'done', pid: deadPid(), hostname: hostname(), expiresAt: now() - 5 });
    const state = StateStore.open(statePath);
    try {
      state.driver.prepare("UPDATE runs SET status = 'success', finished_at = ?, exit_code = 0 WHERE id = 'done'").run(now());
    } finally {
      state.close();
    }
    expect(await runsOf()).toEqual([expect.objectContaining({ id: 'done', status: 'success', exit_code: 0 })]);
  });
});

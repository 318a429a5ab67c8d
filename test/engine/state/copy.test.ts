/** `ledgersync state migrate`: a SQLite deployment moved into PostgreSQL loses nothing, and refuses what would mix or lose state. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LedgersyncError } from '../../../engine/errors.js';
import { copyState } from '../../../engine/state/copy.js';
import { StateStore } from '../../../engine/state/store.js';
import { CLI, ROOT } from '../../e2e/helpers.js';
import { stateBackends } from '../../support/state-backends.js';

const backends = stateBackends();
const KEY = 'k'.repeat(32);

/** One deployment's worth of state for `pipeline`: a finished run, ledger, operations, a dead letter, checkpoints, kv, a secret. */
function populate(store: StateStore, pipeline: string, records = 450): void {
  const begun = store.beginRun(pipeline);
  if (!('runId' in begun)) throw new Error('lock refused');
  const writes = Array.from({ length: records }, (_, i) => ({ stream: 'invoices', sourceId: `inv_${i}`, action: 'upsert' }));
  const ops = store.beginWrites(pipeline, begun.runId, writes);
  store.finishWrites(
    pipeline,
    begun.runId,
    ops,
    writes.map((w, i) => ({
      stream: w.stream,
      sourceId: w.sourceId,
      sourceVersion: String(1000 + i),
      contentHash: `h${i}`,
      status: 'created',
      targetId: `T${i}`,
    })),
  );
  store.beginWrites(pipeline, begun.runId, [{ stream: 'invoices', sourceId: 'in_flight', action: 'upsert' }]);
  const attempts = store.audit.open(pipeline, begun.runId, [
    { stream: 'invoices', sourceId: 'inv_0', sourceVersion: '1000', object: 'Invoice', action: 'upsert', trigger: 'run', payload: { DocNumber: '1000' } },
    { stream: 'invoices', sourceId: 'inv_1', sourceVersion: '1001', object: 'Invoice', action: 'upsert', trigger: 'run', payload: { DocNumber: '1001' } },
  ]);
  store.audit.seal(pipeline, attempts, [
    { outcome: 'created', targetId: 'T0', answer: { status: 200 } },
    { outcome: 'created', targetId: 'T1', answer: { status: 200 } },
  ]);
  store.putDeadLetter(pipeline, begun.runId, {
    stream: 'customers',
    sourceId: 'cus_1',
    sourceVersion: '7',
    record: { id: 'cus_1', email: 'a@b.c' },
    deleted: false,
    error: new LedgersyncError('lookup_missing', 'record', 'no GL account for plan gold', { fix: 'add gold to lookups.gl' }),
  });
  store.saveCheckpoint(pipeline, 'invoices', { updated_after: 1_700_000_000 }, begun.runId);
  store.keyValue(pipeline, 'dualentry').set('period', { month: '2026-10' });
  store.secretStore(pipeline, 'quickbooks-online', KEY).set('refresh_token', `RT-${pipeline}-secret`);
  store.finishRun(pipeline, begun.runId, 'partial', 1, { invoices: { read: records } });
}

function expectSameState(store: StateStore, pipeline: string, records = 450): void {
  expect(store.countLedger(pipeline)).toBe(records);
  expect(store.getLedger(pipeline, 'invoices', 'inv_7')).toMatchObject({ sourceVersion: '1007', contentHash: 'h7', targetId: 'T7', pendingWrite: false });
  expect(store.getLedger(pipeline, 'invoices', 'in_flight')?.pendingWrite).toBe(true);
  expect(store.pendingOperations(pipeline).map((o) => o.sourceId)).toEqual(['in_flight']);
  expect(store.deadLetters(pipeline)).toEqual([
    expect.objectContaining({ sourceId: 'cus_1', fix: 'add gold to lookups.gl', record: { id: 'cus_1', email: 'a@b.c' } }),
  ]);
  expect(store.getCheckpoint(pipeline, 'invoices')).toEqual({ updated_after: 1_700_000_000 });
  expect(store.keyValue(pipeline, 'dualentry').get('period')).toEqual({ month: '2026-10' });
  expect(store.secretStore(pipeline, 'quickbooks-online', KEY).get('refresh_token')).toBe(`RT-${pipeline}-secret`);
  // The audit chain is carried over whole: its hashes still verify in the new database.
  expect(store.audit.verify(pipeline)).toMatchObject({ entries: 2, open: 0 });
  expect(store.audit.verify(pipeline).broken).toBeUndefined();
  expect(store.recentRuns(pipeline)).toEqual([expect.objectContaining({ status: 'partial', exitCode: 1, counts: { invoices: { read: records } } })]);
}

describe('state migrate', () => {
  it('moves two SQLite deployments into one PostgreSQL database, table by table, and back out again', () => {
    const [a, b] = [StateStore.open(backends.sqlite.location()), StateStore.open(backends.sqlite.location())];
    populate(a, 'acme');
    populate(b, 'globex', 30);
    const pg = StateStore.open(backends.postgres.location());
    const report = copyState(a, pg);
    expect(report.pipelines).toEqual(['acme']);
    expect(Object.fromEntries(report.tables.map((t) => [t.table, t.rows]))).toEqual({
      runs: 1,
      locks: 0,
      checkpoints: 1,
      ledger: 451,
      operations: 451,
      dead_letters: 1,
      kv: 1,
      secrets: 1,
      mapping_fingerprints: 0,
      audit_log: 2,
      audit_heads: 1,
      webhook_events: 0,
    });
    copyState(b, pg);
    expectSameState(pg, 'acme');
    expectSameState(pg, 'globex', 30);
    // operation ids are given anew, so the second deployment's do not collide with the first's
    const ids = pg.driver.prepare('SELECT id FROM operations').all() as Array<{ id: number }>;
    expect(new Set(ids.map((r) => r.id)).size).toBe(482);

    const back = StateStore.open(backends.sqlite.location());
    expect(copyState(pg, back).pipelines).toEqual(['acme', 'globex']);
    expectSameState(back, 'globex', 30);
    for (const s of [a, b, pg, back]) s.close();
  });

  it('refuses a pipeline the target already has, and a deployment with a run in progress, and keeps the target as it was', () => {
    const source = StateStore.open(backends.sqlite.location());
    populate(source, 'acme', 5);
    const pg = StateStore.open(backends.postgres.location());
    copyState(source, pg);
    expect(() => copyState(source, pg)).toThrow(/already holds state of pipeline\(s\) acme/);
    const running = StateStore.open(backends.sqlite.location());
    populate(running, 'initech', 5);
    running.beginRun('initech');
    expect(() => copyState(running, pg)).toThrow(LedgersyncError);
    expect(() => copyState(running, pg)).toThrow(/a run holds the lock of 'initech'/);
    expect(pg.countLedger('initech')).toBe(0);
    for (const s of [source, pg, running]) s.close();
  });

  it.skipIf(!existsSync(join(ROOT, 'dist/app/cli.js')))('is a CLI command that prints what it moved, never the password', async () => {
    const file = backends.sqlite.location();
    const source = StateStore.open(file);
    populate(source, 'acme', 3);
    source.close();
    const url = backends.postgres.location();
    const child = spawn(process.execPath, [CLI, 'state', 'migrate', '--from', file, '--to', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code, out).toBe(0);
    expect(out).toMatch(/copied the state of 1 pipeline\(s\) \(acme\)/);
    expect(out).toMatch(/ledger\s+4 rows/);
    expect(out).not.toContain(backends.postgres.server().password);
    const pg = StateStore.open(url);
    expect(pg.countLedger('acme')).toBe(3);
    pg.close();
  });
});

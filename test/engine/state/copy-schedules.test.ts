/**
 * `ledgersync state migrate` out of a PostgreSQL deployment run by workers: the state tables move,
 * the schedules (queue_schedules, kept beside them but outside the migrations) move by pipeline into
 * PostgreSQL and are skipped, with a note, for a SQLite file; other tables of the database stay.
 */
import { describe, expect, it } from 'vitest';
import { listSchedules, saveSchedule, storedSchedules } from '../../../engine/queue/schedules.js';
import { copyState } from '../../../engine/state/copy.js';
import { StateStore } from '../../../engine/state/store.js';
import { stateBackends } from '../../support/state-backends.js';

const backends = stateBackends();

function populate(store: StateStore, pipeline: string): void {
  const begun = store.beginRun(pipeline);
  if (!('runId' in begun)) throw new Error('lock refused');
  const ops = store.beginWrites(pipeline, begun.runId, [{ stream: 'invoices', sourceId: 'inv_1', action: 'upsert' }]);
  store.finishWrites(pipeline, begun.runId, ops, [
    { stream: 'invoices', sourceId: 'inv_1', sourceVersion: '1', contentHash: 'h1', status: 'created', targetId: 'T1' },
  ]);
  store.saveCheckpoint(pipeline, 'invoices', { cursor: 1_700_000_000 }, begun.runId, 'scope-1');
  store.finishRun(pipeline, begun.runId, 'success', 0, {});
}

function schedule(store: StateStore, pipeline: string, cron = '*/15 * * * *'): void {
  saveSchedule(store, { pipeline, file: `pipelines/${pipeline}/${pipeline}.yaml`, sha256: 'a'.repeat(64), cron, timezone: 'Europe/Paris' });
}

describe('state migrate of a deployment with schedules', () => {
  it('into a SQLite file: the state arrives whole, the schedules are skipped with a note and no table is made for them', () => {
    const pg = StateStore.open(backends.postgres.location());
    populate(pg, 'acme');
    schedule(pg, 'acme');
    const file = StateStore.open(backends.sqlite.location());

    const report = copyState(pg, file);

    expect(report.pipelines).toEqual(['acme']);
    expect(report.tables.map((t) => t.table)).not.toContain('queue_schedules');
    expect(report.skipped).toEqual([{ table: 'queue_schedules', rows: 1, reason: expect.stringMatching(/ledgersync schedule/) }]);
    expect(file.getLedger('acme', 'invoices', 'inv_1')).toMatchObject({ targetId: 'T1' });
    expect(file.readCheckpoint('acme', 'invoices')).toEqual({ value: { cursor: 1_700_000_000 }, scope: 'scope-1' });
    expect(file.driver.tables().map((t) => t.name)).not.toContain('queue_schedules');
    pg.close();
    file.close();
  });

  it('into another PostgreSQL database: every schedule arrives as it was, by pipeline', () => {
    const from = StateStore.open(backends.postgres.location());
    populate(from, 'globex');
    schedule(from, 'globex', '0 * * * *');
    schedule(from, 'initech'); // scheduled, never run yet
    const to = StateStore.open(backends.postgres.location());

    const report = copyState(from, to);

    expect(report.pipelines).toEqual(['globex', 'initech']);
    expect(report.tables).toContainEqual({ table: 'queue_schedules', rows: 2 });
    expect(report.skipped).toEqual([]);
    expect(listSchedules(to)).toEqual(listSchedules(from));
    expect(to.getLedger('globex', 'invoices', 'inv_1')).toMatchObject({ targetId: 'T1' });
    from.close();
    to.close();
  });

  it('refuses a pipeline the target already schedules, and keeps the target as it was', () => {
    const from = StateStore.open(backends.postgres.location());
    schedule(from, 'hooli');
    const to = StateStore.open(backends.postgres.location());
    schedule(to, 'hooli', '0 3 * * *');
    expect(() => copyState(from, to)).toThrow(/already holds state of pipeline\(s\) hooli/);
    expect(listSchedules(to).map((s) => s.cron)).toEqual(['0 3 * * *']);
    from.close();
    to.close();
  });

  it('copies only the tables the migrations create: another table in the same database stays where it is', () => {
    const pg = StateStore.open(backends.postgres.location());
    populate(pg, 'umbrella');
    pg.driver.exec('CREATE TABLE mrr_by_month (month TEXT PRIMARY KEY, mrr NUMERIC NOT NULL)');
    const file = StateStore.open(backends.sqlite.location());
    const report = copyState(pg, file);
    expect(report.tables.map((t) => t.table)).not.toContain('mrr_by_month');
    expect(file.countLedger('umbrella')).toBe(1);
    pg.close();
    file.close();
  });

  it('leaves the source without a schedules table when it had none', () => {
    const from = StateStore.open(backends.postgres.location());
    populate(from, 'stark');
    const to = StateStore.open(backends.postgres.location());
    copyState(from, to);
    expect(from.driver.tables().map((t) => t.name)).not.toContain('queue_schedules');
    expect(storedSchedules(from)).toEqual([]);
    from.close();
    to.close();
  });
});

/** `ledgersync audit` in process: dates it takes, a pipeline never run, the filters and the text. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { parseSince, showAudit, type AuditOptions } from '../../../engine/run/audit-report.js';
import { StateStore } from '../../../engine/state/store.js';
import { JSONL_PIPELINE } from '../../e2e/helpers.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ls-audit-report-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function audit(options: Partial<AuditOptions>): Promise<{ code: number; out: string }> {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString();
      done();
    },
  });
  const code = await showAudit({
    connectors: installedConnectors,
    pipelinePath: JSONL_PIPELINE,
    statePath: join(dir, 'state.db'),
    verify: false,
    json: false,
    out: sink,
    ...options,
  });
  return { code, out };
}

describe('ledgersync audit', () => {
  it('takes a day (UTC) or an instant with a zone for --since, and nothing else', () => {
    expect(parseSince('2026-03-01')).toBe('2026-03-01T00:00:00.000Z');
    expect(parseSince('2026-03-01T09:30:00+02:00')).toBe('2026-03-01T07:30:00.000Z');
    expect(parseSince('2026-03-01T09:30Z')).toBe('2026-03-01T09:30:00.000Z');
    for (const bad of ['2026-02-30', '2026-3-1', '01/03/2026', '2026-03-01T09:30:00', 'yesterday', '']) expect(parseSince(bad), bad).toBeUndefined();
  });

  it('a pipeline never run has an empty trail, which verifies', async () => {
    expect(await audit({})).toEqual({ code: 0, out: 'no audit entries for chargebee-to-jsonl\n' });
    expect(await audit({ verify: true })).toEqual({ code: 0, out: 'audit trail of chargebee-to-jsonl: 0 entries, chain intact\n' });
    expect(await audit({ since: 'last week' })).toMatchObject({ code: 2, out: expect.stringMatching(/--since 'last week' is not a date/) });
  });

  it('lists one line per attempt, filtered by record and date, and JSON for machines', async () => {
    const state = StateStore.open(join(dir, 'state.db'));
    const attempt = (sourceId: string) => ({
      stream: 'invoices',
      sourceId,
      sourceVersion: '17',
      object: 'invoices',
      action: 'upsert',
      trigger: 'run',
      payload: { id: sourceId },
    });
    const opened = state.audit.open('chargebee-to-jsonl', 'run-1', [attempt('inv_1'), attempt('inv_2')]);
    state.audit.seal('chargebee-to-jsonl', opened, [
      { outcome: 'created', targetId: 'inv_1', answer: { status: 'created', target_id: 'inv_1' } },
      { outcome: 'failed', answer: { status: 'failed', http_status: 400, error: { code: 'http_400', message: 'refused' } } },
    ]);
    state.close();
    const all = await audit({});
    expect(all.code).toBe(0);
    expect(all.out.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^#1 {2}\S+Z {2}invoices inv_1 v17 {2}upsert invoices → created inv_1 {2}\[run, run run-1, mapped payload sha256:[0-9a-f]{16}\]$/),
      expect.stringMatching(/^#2 {2}\S+Z {2}invoices inv_2 v17 {2}upsert invoices → failed HTTP 400: http_400 refused {2}\[run, run run-1, /),
    ]);
    const one = await audit({ sourceId: 'inv_2', json: true });
    expect((JSON.parse(one.out) as { entries: Array<{ source_id: string }> }).entries.map((e) => e.source_id)).toEqual(['inv_2']);
    expect((await audit({ since: '2999-01-01' })).out).toBe('no audit entries for chargebee-to-jsonl since 2999-01-01T00:00:00.000Z\n');
    expect(await audit({ verify: true })).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^audit trail of chargebee-to-jsonl: 2 entries, chain intact \(head: entry 2, sha256 [0-9a-f]{64}\)\n$/),
    });
  });
});

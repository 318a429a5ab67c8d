/**
 * The audit trail of scheduled runs and `ledgersync replay`, end to end against the fake Chargebee
 * and the fake QuickBooks Online with the example pipeline: every write attempt recorded with what
 * QBO answered, secrets masked; replays that update or do nothing, never duplicate.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../app/registry.js';
import { silentLogger } from '../../engine/log.js';
import { replayRecords, type ReplayOptions } from '../../engine/run/replay.js';
import { StateStore } from '../../engine/state/store.js';
import { startSandbox, type Sandbox } from '../connectors/quickbooks-online/e2e-harness.js';
import type { Entity } from '../fakes/qbo/index.js';
import { cli } from './serve-harness.js';

const PIPELINE = 'chargebee-to-quickbooks';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

function replay(s: Sandbox, options: Partial<ReplayOptions>) {
  return replayRecords({ connectors: installedConnectors, pipelinePath: s.pipelinePath, statePath: s.statePath, env: s.env, log: silentLogger, ...options });
}

function withState<T>(s: Sandbox, read: (state: StateStore) => T): T {
  const state = StateStore.open(s.statePath);
  try {
    return read(state);
  } finally {
    state.close();
  }
}

const byDocNumber = (s: Sandbox, doc: string): Entity[] => s.qbo.state.entities('Invoice').filter((e) => e['DocNumber'] === doc);

describe('the audit trail of a run', () => {
  it('records every write attempt with the target id QBO gave, and what QBO refused with its error', async () => {
    const s = (sandbox = await startSandbox());
    s.edit([['SUPPORT: "79"', 'SUPPORT: "99999"']]);
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    const entries = withState(s, (state) => state.audit.entries(PIPELINE));
    const written = entries.filter((e) => e.outcome === 'created' || e.outcome === 'updated');
    expect(written).toHaveLength(s.qbo.state.writes.length);
    for (const entry of written.filter((e) => e.object === 'Invoice')) {
      expect(
        byDocNumber(s, entry.sourceId).map((i) => i.Id),
        entry.sourceId,
      ).toEqual([entry.targetId]);
      expect(entry).toMatchObject({ stream: 'invoices', action: 'upsert', trigger: 'run', runId: run.runId, payloadKind: 'mapped' });
      expect((entry.payload as { DocNumber: string }).DocNumber).toBe(entry.sourceId);
      expect(entry.answer).toMatchObject({ status: 'created', target_id: entry.targetId });
    }
    const refused = entries.filter((e) => e.outcome === 'failed');
    expect(refused.length).toBeGreaterThan(0);
    for (const entry of refused) {
      expect(entry.object).toBe('Item');
      expect(entry.answer).toMatchObject({ status: 'failed', error: { code: 'qbo_2500', kind: 'record' } });
      expect(String((entry.answer!['error'] as { message: string }).message)).toMatch(/99999/);
    }
    expect(withState(s, (state) => state.audit.verify(PIPELINE))).toMatchObject({ entries: entries.length, open: 0 });
  });

  it('never keeps a secret: a registered secret inside a record is masked in the trail and absent from the state file', async () => {
    const s = (sandbox = await startSandbox());
    const customer = s.cb.state.all('customers').find((c) => !c.deleted && c.company)!;
    // The Chargebee API key, registered as a secret when the pipeline loads, typed into a company name.
    s.cb.state.touch('customers', customer.id, { company: `Leaky ${s.cb.apiKey} Ltd` });
    expect((await s.run()).exitCode).toBe(0);
    const [entry] = withState(s, (state) => state.audit.entries(PIPELINE, { sourceId: customer.id }));
    expect(JSON.stringify(entry!.payload)).toContain('Leaky *** Ltd');
    for (const file of [s.statePath, `${s.statePath}-wal`]) {
      const bytes = readFileSync(file, { flag: 'a+' });
      for (const secret of [s.cb.apiKey, s.env['QBO_CLIENT_SECRET']!]) expect(bytes.includes(secret), `${secret} in ${file}`).toBe(false);
    }
  });
});

describe('ledgersync replay', () => {
  it('--id of an unchanged record sends nothing; after a mapping change it updates that one document in place', async () => {
    const s = (sandbox = await startSandbox());
    expect((await s.run()).exitCode).toBe(0);
    const invoice = s.cb.state.all('invoices').find((i) => !i.deleted && i.status === 'payment_due')!;
    const [before] = byDocNumber(s, invoice.id);
    const writes = s.qbo.state.writes.length;

    const same = await replay(s, { sourceId: invoice.id });
    expect(same).toMatchObject({ status: 'success', exitCode: 0 });
    expect(same.records).toEqual([
      { stream: 'invoices', sourceId: invoice.id, outcome: 'unchanged', targetIds: [before!.Id], from: 'source' },
      { stream: 'voided_invoices', sourceId: invoice.id, outcome: 'unchanged', targetIds: [], from: 'source' },
    ]);
    expect(s.qbo.state.writes.length).toBe(writes);

    s.edit([['"Chargebee invoice " & id', '"Chargebee invoice no. " & id']]);
    const changed = await replay(s, { sourceId: invoice.id, stream: 'invoices' });
    expect(changed.records).toEqual([{ stream: 'invoices', sourceId: invoice.id, outcome: 'updated', targetIds: [before!.Id], from: 'source' }]);
    expect(s.qbo.state.writes.slice(writes)).toEqual([{ entity: 'Invoice', operation: 'update', id: before!.Id }]);
    expect(byDocNumber(s, invoice.id)).toHaveLength(1);
    expect(byDocNumber(s, invoice.id)[0]!['PrivateNote']).toBe(`Chargebee invoice no. ${invoice.id}`);
    const [entry] = withState(s, (state) => state.audit.entries(PIPELINE, { runId: changed.runId }));
    expect(entry).toMatchObject({ trigger: 'replay', outcome: 'updated', targetId: before!.Id });

    // Again: the ledger now holds this mapping's hash, so nothing is sent.
    expect((await replay(s, { sourceId: invoice.id, stream: 'invoices' })).records[0]!.outcome).toBe('unchanged');
    expect(s.qbo.state.writes.length).toBe(writes + 1);
  });

  it('--failed sends what waits in the dead-letter table once its cause is fixed, each document once', async () => {
    const s = (sandbox = await startSandbox());
    s.edit([['      SUPPORT: "79"\n', '']]);
    const first = await s.run();
    expect(first.exitCode).toBe(1);
    const letters = withState(s, (state) => state.deadLetters(PIPELINE));
    expect(letters.map((l) => l.stream)).toEqual(expect.arrayContaining(['items', 'invoices']));

    const stillBroken = await replay(s, { failed: true });
    expect(stillBroken.exitCode).toBe(1);
    expect(stillBroken.records.every((r) => r.outcome === 'failed')).toBe(true);
    expect(stillBroken.records.find((r) => r.stream === 'items')!.error).toMatchObject({ code: 'lookup_missing' });

    s.edit([['      SERVICES: "79"\n', '      SERVICES: "79"\n      SUPPORT: "79"\n']]);
    const fixed = await replay(s, { failed: true });
    expect(fixed.exitCode, JSON.stringify(fixed.records.filter((r) => r.outcome !== 'created'))).toBe(0);
    expect(fixed.records).toHaveLength(letters.length);
    expect(fixed.records.every((r) => r.outcome === 'created' && r.from === 'source')).toBe(true);
    expect(withState(s, (state) => state.deadLetters(PIPELINE))).toEqual([]);
    for (const r of fixed.records.filter((x) => x.stream === 'invoices')) expect(byDocNumber(s, r.sourceId), r.sourceId).toHaveLength(1);

    expect(await replay(s, { failed: true })).toMatchObject({ status: 'success', exitCode: 0, records: [] });
    const writes = s.qbo.state.writes.length;
    expect((await s.run()).exitCode).toBe(0);
    expect(s.qbo.state.writes.length).toBe(writes);
  });

  it('takes the run lock, and refuses ids no stream has read and arguments that do not go together', async () => {
    const s = (sandbox = await startSandbox());
    expect((await s.run()).exitCode).toBe(0);
    expect(await replay(s, { sourceId: 'nope' })).toMatchObject({ status: 'invalid', exitCode: 2, error: { code: 'unknown_source_id' } });
    expect(await replay(s, { sourceId: 'x', failed: true })).toMatchObject({ exitCode: 2, error: { code: 'invalid_arguments' } });
    expect(await replay(s, {})).toMatchObject({ exitCode: 2, error: { code: 'invalid_arguments' } });
    expect(await replay(s, { failed: true, stream: 'nope' })).toMatchObject({ exitCode: 2, error: { code: 'unknown_stream' } });
    const held = withState(s, (state) => state.beginRun(PIPELINE));
    expect('runId' in held).toBe(true);
    expect(await replay(s, { failed: true })).toMatchObject({ status: 'locked', exitCode: 4 });
  });

  it('prints one line per record on the command line, with the exit code', async () => {
    const s = (sandbox = await startSandbox());
    expect((await s.run()).exitCode).toBe(0);
    const invoice = s.cb.state.all('invoices').find((i) => !i.deleted && i.status === 'payment_due')!;
    const out = await cli(s, ['replay', s.pipelinePath, '--state', s.statePath, '--id', invoice.id, '--stream', 'invoices']);
    expect(out.status, out.stderr).toBe(0);
    expect(out.stdout).toMatch(
      new RegExp(`^invoices ${invoice.id}: unchanged: the mapped record did not change, nothing sent \\(target \\d+\\)\\nsuccess \\(run \\S+\\), exit 0\\n$`),
    );
    const json = await cli(s, ['replay', s.pipelinePath, '--state', s.statePath, '--id', invoice.id, '--stream', 'invoices', '--json']);
    const summary = JSON.parse(json.stdout) as Record<string, unknown> & { records: Array<Record<string, unknown>> };
    expect(summary).toMatchObject({ status: 'success', exit_code: 0, run_id: expect.any(String), streams: { invoices: expect.any(Object) } });
    expect(summary.records[0]).toMatchObject({ stream: 'invoices', source_id: invoice.id, target_ids: [expect.any(String)] });
    for (const key of json.stdout.match(/"[A-Za-z_]+":/g) ?? []) expect(key, 'a camelCase key').not.toMatch(/[a-z][A-Z]/);
    const both = await cli(s, ['replay', s.pipelinePath, '--state', s.statePath, '--id', invoice.id, '--failed']);
    expect(both.status).toBe(2);
    expect(both.stdout).toMatch(/needs either --id SOURCE_ID or --failed/);
  });
});

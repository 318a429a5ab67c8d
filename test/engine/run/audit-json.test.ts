/**
 * `ledgersync audit --json`: snake_case keys, as every `--json` output (README "CLI reference"),
 * for the entries and for `--verify`; the payload and the answer are printed as recorded.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { showAudit, type AuditOptions } from '../../../engine/run/audit-report.js';
import { StateStore } from '../../../engine/state/store.js';
import { JSONL_PIPELINE } from '../../e2e/helpers.js';

const PIPELINE = 'chargebee-to-jsonl';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ls-audit-json-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function auditJson(options: Partial<AuditOptions>): Promise<{ code: number; json: Record<string, unknown> }> {
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
    json: true,
    out: sink,
    ...options,
  });
  return { code, json: JSON.parse(out) as Record<string, unknown> };
}

/** One sealed entry whose payload and answer hold camelCase names of the target's own. */
function seedTrail(): void {
  const state = StateStore.open(join(dir, 'state.db'));
  try {
    const opened = state.audit.open(PIPELINE, 'run-1', [
      {
        stream: 'invoices',
        sourceId: 'inv_1',
        sourceVersion: '17',
        object: 'Invoice',
        action: 'upsert',
        trigger: 'run',
        payload: { DocNumber: 'inv_1', customerRef: { value: '7' } },
      },
    ]);
    state.audit.seal(PIPELINE, opened, [
      { outcome: 'created', targetId: 'T-1', targetVersion: '0', answer: { status: 'created', target_id: 'T-1', vendorEcho: 'kept' } },
    ]);
  } finally {
    state.close();
  }
}

describe('ledgersync audit --json', () => {
  it('prints each entry with snake_case keys, the payload and the answer as recorded', async () => {
    seedTrail();
    const { code, json } = await auditJson({});
    expect(code).toBe(0);
    const [entry] = json['entries'] as Array<Record<string, unknown>>;
    expect(Object.keys(entry!).sort()).toEqual(
      [
        'seq',
        'pipeline',
        'run_id',
        'trigger',
        'stream',
        'source_id',
        'source_version',
        'object',
        'action',
        'outcome',
        'target_id',
        'target_version',
        'payload_kind',
        'payload_hash',
        'payload',
        'answer',
        'started_at',
        'finished_at',
        'prev_hash',
        'entry_hash',
      ].sort(),
    );
    expect(entry).toMatchObject({
      seq: 1,
      run_id: 'run-1',
      source_id: 'inv_1',
      source_version: '17',
      target_id: 'T-1',
      target_version: '0',
      payload_kind: 'mapped',
      payload: { DocNumber: 'inv_1', customerRef: { value: '7' } },
      answer: { status: 'created', target_id: 'T-1', vendorEcho: 'kept' },
    });
  });

  it('prints --verify with snake_case keys, an intact chain and one broken by an edit', async () => {
    seedTrail();
    const intact = await auditJson({ verify: true });
    expect(intact.code).toBe(0);
    expect(intact.json['verification']).toEqual({ entries: 1, open: 0, head: { seq: 1, entry_hash: expect.stringMatching(/^[0-9a-f]{64}$/) } });

    const db = new Database(join(dir, 'state.db'));
    db.prepare(`UPDATE audit_log SET target_id = '999' WHERE seq = 1`).run();
    db.close();
    const broken = await auditJson({ verify: true });
    expect(broken.code).toBe(1);
    const verification = broken.json['verification'] as { broken: Record<string, unknown> };
    expect(verification.broken).toMatchObject({
      seq: 1,
      reason: 'edited',
      entry: { source_id: 'inv_1', target_id: '999', payload: { customerRef: { value: '7' } } },
    });
    const { payload: _payload, answer: _answer, ...own } = verification.broken['entry'] as Record<string, unknown>;
    expect(JSON.stringify({ ...verification, broken: { ...verification.broken, entry: own } })).not.toMatch(/"[a-z]+[A-Z]\w*":/);
  });
});

/**
 * The audit trail in the state file: attempts opened before a write and sealed into a hash chain
 * with their answer; the chain checked end to end after edits, deletions and truncation made with
 * SQLite directly, as someone with the file could make them.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { registerSecret } from '../../../engine/log.js';
import { GENESIS_HASH, entryHash, firstBreak, type StoredEntry } from '../../../engine/state/audit-chain.js';
import type { AuditAttempt } from '../../../engine/state/audit-trail.js';
import { StateStore } from '../../../engine/state/store.js';

const dirs: string[] = [];
function tempState(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ls-audit-'));
  dirs.push(dir);
  return join(dir, 'state.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const P = 'audit-test';

function attempt(sourceId: string, payload: unknown = { number: sourceId, amount: '10.00' }): AuditAttempt {
  return { stream: 'invoices', sourceId, sourceVersion: '1700000000000', object: 'Invoice', action: 'upsert', trigger: 'run', payload };
}

/** A trail of `n` sealed entries, one per batch of one. */
function trail(store: StateStore, n: number, runId = 'run-1'): void {
  for (let i = 1; i <= n; i++) {
    const opened = store.audit.open(P, runId, [attempt(`inv_${i}`)]);
    store.audit.seal(P, opened, [{ outcome: 'created', targetId: String(100 + i), answer: { status: 'created', target_id: String(100 + i) } }]);
  }
}

function rawDb(path: string): Database.Database {
  return new Database(path);
}

describe('the audit chain (pure)', () => {
  const sealed = (n: number): StoredEntry[] => {
    const entries: StoredEntry[] = [];
    let prev = GENESIS_HASH;
    for (let seq = 1; seq <= n; seq++) {
      const fields = {
        seq,
        pipeline: P,
        run_id: 'r',
        trigger: 'run',
        stream: 's',
        source_id: `id${seq}`,
        source_version: null,
        object: 'o',
        action: 'upsert',
        outcome: 'created',
        target_id: `t${seq}`,
        target_version: null,
        payload_kind: 'mapped',
        payload_hash: 'h',
        payload_json: '{}',
        answer_json: '{}',
        started_at: '2026-01-01T00:00:00.000Z',
        finished_at: '2026-01-01T00:00:00.001Z',
        prev_hash: prev,
      };
      const entry = { ...fields, entry_hash: entryHash(fields) };
      entries.push(entry);
      prev = entry.entry_hash;
    }
    return entries;
  };
  const headOf = (entries: StoredEntry[]) => ({ seq: entries.at(-1)!.seq, entryHash: entries.at(-1)!.entry_hash });

  it('hashes an entry exactly as trails already written were sealed (a change of format would break every existing chain)', () => {
    const fields = {
      seq: 7,
      pipeline: 'acme',
      run_id: 'r1',
      trigger: 'run',
      stream: 'invoices',
      source_id: 'inv_1',
      source_version: null,
      object: 'Invoice',
      action: 'upsert',
      outcome: 'created',
      target_id: 'T-9',
      target_version: null,
      payload_kind: 'mapped',
      payload_hash: 'ab',
      payload_json: '{"name":"Zoë – 東京"}',
      answer_json: '{"status":200}',
      started_at: '2026-12-06T00:00:00Z',
      finished_at: '2026-12-06T00:00:01Z',
      prev_hash: GENESIS_HASH,
    };
    // Sealed by the implementation that fed sha256 one column part at a time.
    expect(entryHash(fields)).toBe('2a67703ee4c2fe1eeb3ff9432672299eb13c71de5dadf8087a0d8604ca8ace7b');
  });

  it('an intact chain and its head pass; an empty trail with no head passes', () => {
    const entries = sealed(5);
    expect(firstBreak(entries, headOf(entries))).toBeUndefined();
    expect(firstBreak([], undefined)).toBeUndefined();
  });

  it('names the first entry whose content changed, whichever field it was', () => {
    for (const field of ['target_id', 'outcome', 'payload_json', 'answer_json', 'source_id', 'started_at'] as const) {
      const entries = sealed(5);
      entries[2] = { ...entries[2]!, [field]: 'edited' };
      expect(firstBreak(entries, headOf(entries)), field).toMatchObject({ reason: 'edited', seq: 3 });
    }
  });

  it('an entry re-hashed after an edit no longer links to the next one', () => {
    const entries = sealed(5);
    const { entry_hash: _old, ...fields } = { ...entries[1]!, target_id: 'other' };
    entries[1] = { ...fields, entry_hash: entryHash(fields) };
    expect(firstBreak(entries, headOf(entries))).toMatchObject({
      reason: 'unlinked',
      seq: 3,
      message: 'entry 3 does not follow entry 2: one of the two was changed after it was written',
    });
  });

  it('a deleted entry leaves a gap; deleted last entries fall short of the head', () => {
    const entries = sealed(6);
    const head = headOf(entries);
    expect(firstBreak([...entries.slice(0, 2), ...entries.slice(3)], head)).toMatchObject({
      reason: 'missing',
      seq: 3,
      message: 'entry 3 is missing from the chain (deleted?)',
    });
    expect(firstBreak([...entries.slice(0, 1), ...entries.slice(4)], head)).toMatchObject({
      seq: 2,
      message: 'entries 2–4 are missing from the chain (deleted?)',
    });
    expect(firstBreak(entries.slice(0, 4), head)).toMatchObject({
      reason: 'truncated',
      seq: 5,
      message: 'the trail ends at entry 4, but 6 were written: entries 5–6 were removed',
    });
    expect(firstBreak(entries, undefined)).toMatchObject({ reason: 'truncated' });
  });
});

describe('the audit trail in the state file', () => {
  it('seals attempts in order with their answer, and verifies', () => {
    const store = StateStore.open(tempState());
    const opened = store.audit.open(P, 'run-1', [attempt('inv_1'), attempt('inv_2')]);
    expect(store.audit.entries(P).map((e) => [e.seq, e.outcome])).toEqual([
      [null, 'pending'],
      [null, 'pending'],
    ]);
    store.audit.seal(P, opened, [
      { outcome: 'created', targetId: '145', answer: { status: 'created', target_id: '145' } },
      { outcome: 'failed', answer: { status: 'failed', http_status: 400, error: { code: 'qbo_6000', message: 'A business validation error' } } },
    ]);
    const entries = store.audit.entries(P);
    expect(entries.map((e) => [e.seq, e.sourceId, e.outcome, e.targetId])).toEqual([
      [1, 'inv_1', 'created', '145'],
      [2, 'inv_2', 'failed', null],
    ]);
    expect(entries[1]!.answer).toEqual({ status: 'failed', http_status: 400, error: { code: 'qbo_6000', message: 'A business validation error' } });
    expect(entries[0]!.payload).toEqual({ number: 'inv_1', amount: '10.00' });
    expect(entries[0]!.payloadHash).toMatch(/^[0-9a-f]{64}$/);
    expect(entries[1]!.prevHash).toBe(entries[0]!.entryHash);
    expect(store.audit.verify(P)).toMatchObject({ entries: 2, open: 0, head: { seq: 2, entryHash: entries[1]!.entryHash } });
    store.close();
  });

  it('keeps the body a sink reports it sent, hashed as sent', () => {
    const store = StateStore.open(tempState());
    const opened = store.audit.open(P, 'run-1', [attempt('inv_1', { amount: '10.00' })]);
    store.audit.seal(P, opened, [{ outcome: 'created', targetId: 'AR-1', sent: { Amount: { value: 10 } }, answer: { status: 'created' } }]);
    const [entry] = store.audit.entries(P);
    expect(entry).toMatchObject({ payloadKind: 'sent', payload: { Amount: { value: 10 } } });
    expect(store.audit.verify(P).broken).toBeUndefined();
    store.close();
  });

  it('masks every registered secret in the copy it keeps, and hashes what was sent', () => {
    const canary = 'canary-secret-7f3a9c2e1b';
    registerSecret(canary);
    const path = tempState();
    const store = StateStore.open(path);
    const opened = store.audit.open(P, 'run-1', [attempt('inv_1', { memo: `token ${canary} inside`, [canary]: 1, nested: [{ note: canary }] })]);
    store.audit.seal(P, opened, [{ outcome: 'failed', answer: { status: 'failed', error: { code: 'x', message: `refused ${canary}` } } }]);
    const [entry] = store.audit.entries(P);
    expect(entry!.payload).toEqual({ memo: 'token *** inside', '***': 1, nested: [{ note: '***' }] });
    expect(JSON.stringify(entry!.answer)).not.toContain(canary);
    store.close();
    const bytes = Buffer.concat([readFileSync(path), readFileSync(`${path}-wal`, { flag: 'a+' })]);
    expect(bytes.includes(canary)).toBe(false);
  });

  it('masks a secret that JSON escapes (a quote, a backslash) as surely as a plain one', () => {
    const tricky = 'se"cr\\et-canary-42';
    const endsInBackslash = 'canary-tail-9\\';
    registerSecret(tricky);
    registerSecret(endsInBackslash);
    const store = StateStore.open(tempState());
    const opened = store.audit.open(P, 'run-1', [attempt('inv_1', { a: `x${tricky}y`, b: endsInBackslash, c: `${endsInBackslash}"q` })]);
    store.audit.seal(P, opened, [{ outcome: 'created', answer: {} }]);
    const [entry] = store.audit.entries(P);
    expect(entry!.payload).toEqual({ a: 'x***y', b: '***', c: '***"q' });
    expect(store.audit.verify(P).broken).toBeUndefined();
    store.close();
  });

  it('an attempt left open by a killed run is sealed as interrupted by the next run, and the chain still verifies', () => {
    const store = StateStore.open(tempState());
    trail(store, 2);
    store.audit.open(P, 'run-killed', [attempt('inv_9')]);
    expect(store.audit.verify(P)).toMatchObject({ entries: 2, open: 1 });
    expect(store.abandonPendingOperations(P, 'run-next')).toBe(0);
    const entries = store.audit.entries(P);
    expect(entries.map((e) => [e.seq, e.sourceId, e.outcome])).toEqual([
      [1, 'inv_1', 'created'],
      [2, 'inv_2', 'created'],
      [3, 'inv_9', 'interrupted'],
    ]);
    expect(store.audit.verify(P)).toMatchObject({ entries: 3, open: 0 });
    expect(store.audit.verify(P).broken).toBeUndefined();
    store.close();
  });

  it('chains are per pipeline, and a run of another pipeline never seals this one', () => {
    const store = StateStore.open(tempState());
    trail(store, 3);
    const other = store.audit.open('other', 'run-o', [attempt('inv_1')]);
    store.audit.seal('other', other, [{ outcome: 'created', answer: {} }]);
    store.audit.open(P, 'run-x', [attempt('inv_4')]);
    store.abandonPendingOperations('other', 'run-y');
    expect(store.audit.verify(P)).toMatchObject({ entries: 3, open: 1 });
    expect(store.audit.entries('other').map((e) => e.seq)).toEqual([1]);
    store.close();
  });

  it('finds one record and its parts, and what happened since a moment', () => {
    const store = StateStore.open(tempState());
    const opened = store.audit.open(P, 'r', [attempt('inv_1'), attempt('inv_1#line_2'), attempt('inv_10'), attempt('inv_1x')]);
    store.audit.seal(
      P,
      opened,
      opened.map(() => ({ outcome: 'created', answer: {} })),
    );
    expect(store.audit.entries(P, { sourceId: 'inv_1' }).map((e) => e.sourceId)).toEqual(['inv_1', 'inv_1#line_2']);
    expect(store.audit.entries(P, { since: '2999-01-01T00:00:00.000Z' })).toEqual([]);
    expect(store.audit.entries(P, { since: '2000-01-01T00:00:00.000Z' })).toHaveLength(4);
    store.close();
  });

  it('verify names the entry edited, deleted or removed from the end of the state file', () => {
    const path = tempState();
    const store = StateStore.open(path);
    trail(store, 6);
    store.close();

    const edit = (sql: string) => {
      const db = rawDb(path);
      db.exec(sql);
      db.close();
    };
    const verify = () => {
      const s = StateStore.open(path);
      try {
        return s.audit.verify(P);
      } finally {
        s.close();
      }
    };
    const backup = readFileSync(path);
    // Every connection is closed, so the file holds everything and has no journal beside it.
    const restore = () => {
      rmSync(`${path}-wal`, { force: true });
      rmSync(`${path}-shm`, { force: true });
      writeFileSync(path, backup);
    };

    edit(`UPDATE audit_log SET target_id = '999' WHERE seq = 4`);
    expect(verify().broken).toMatchObject({ seq: 4, reason: 'edited', entry: { sourceId: 'inv_4', targetId: '999' } });
    restore();
    expect(verify().broken).toBeUndefined();

    edit(`DELETE FROM audit_log WHERE seq = 2`);
    expect(verify().broken).toMatchObject({ seq: 2, reason: 'missing' });
    restore();

    edit(`DELETE FROM audit_log WHERE seq >= 5`);
    expect(verify().broken).toMatchObject({ seq: 5, reason: 'truncated' });
    restore();

    edit(`UPDATE audit_log SET seq = seq + 100 WHERE seq = 6`);
    expect(verify().broken).toMatchObject({ seq: 6, reason: 'missing' });
  });
});

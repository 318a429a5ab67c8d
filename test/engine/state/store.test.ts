import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { hostname } from 'node:os';
import { StateStore, compareVersions } from '../../../engine/state/store.js';
import { LedgersyncError } from '../../../engine/errors.js';

const dirs: string[] = [];
function tempState(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ls-state-'));
  dirs.push(dir);
  return join(dir, 'state.db');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('state store', () => {
  it('uses WAL and creates its directory', () => {
    const path = join(tempState(), '..', 'nested', 'deeper', 'state.db');
    StateStore.open(path).close();
    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('holds one run lock per pipeline; a second run is refused while the first lives', () => {
    const path = tempState();
    const a = StateStore.open(path);
    const b = StateStore.open(path);
    const first = a.beginRun('p1');
    expect('runId' in first).toBe(true);
    const second = b.beginRun('p1');
    expect('heldBy' in second && second.heldBy.pid).toBe(process.pid);
    expect('runId' in b.beginRun('p2')).toBe(true);
    if ('runId' in first) a.finishRun('p1', first.runId, 'success', 0, {});
    expect('runId' in b.beginRun('p1')).toBe(true);
    a.close();
    b.close();
  });

  it('takes over a lock left by a process that no longer exists, and marks its run crashed', () => {
    const path = tempState();
    const store = StateStore.open(path);
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    const db = new Database(path);
    db.prepare("INSERT INTO runs (id, pipeline, started_at, status, pid, hostname) VALUES ('old', 'p', 1, 'running', ?, ?)").run(dead, hostname());
    db.prepare('INSERT INTO locks (pipeline, run_id, pid, hostname, acquired_at) VALUES (?, ?, ?, ?, ?)').run('p', 'old', dead, hostname(), 1);
    db.close();
    expect('runId' in store.beginRun('p')).toBe(true);
    expect(store.recentRuns('p').find((r) => r.id === 'old')?.status).toBe('crashed');
    store.close();
  });

  it('keeps a record pending until its write is confirmed, and keeps it pending when the write may have happened', () => {
    const store = StateStore.open(tempState());
    const ops = store.beginWrites('p', 'r1', [
      { stream: 's', sourceId: 'a', action: 'upsert' },
      { stream: 's', sourceId: 'b', action: 'upsert' },
      { stream: 's', sourceId: 'c', action: 'upsert' },
    ]);
    expect(store.getLedger('p', 's', 'a')?.pendingWrite).toBe(true);
    store.finishWrites('p', 'r1', ops, [
      { stream: 's', sourceId: 'a', sourceVersion: '5', contentHash: 'h', status: 'created', targetId: 'T1' },
      { stream: 's', sourceId: 'b', sourceVersion: '5', contentHash: 'h', status: 'failed', mayHaveSucceeded: true },
      { stream: 's', sourceId: 'c', sourceVersion: '5', contentHash: 'h', status: 'failed', mayHaveSucceeded: false },
    ]);
    expect(store.getLedger('p', 's', 'a')).toMatchObject({ targetId: 'T1', sourceVersion: '5', pendingWrite: false });
    expect(store.getLedger('p', 's', 'b')?.pendingWrite).toBe(true);
    expect(store.getLedger('p', 's', 'c')?.pendingWrite).toBe(false);
    expect(store.targetIdOf('p', 's', 'a')).toBe('T1');
    store.close();
  });

  it('counts dead-letter attempts and keeps the record for a retry', () => {
    const store = StateStore.open(tempState());
    const error = new LedgersyncError('lookup_missing', 'record', 'no GL account', { fix: 'add it' });
    store.putDeadLetter('p', 'r1', { stream: 's', sourceId: 'x', sourceVersion: '1', record: { id: 'x' }, deleted: false, error });
    store.putDeadLetter('p', 'r2', { stream: 's', sourceId: 'x', sourceVersion: '2', record: { id: 'x', v: 2 }, deleted: false, error });
    const [letter] = store.deadLetters('p');
    expect(letter).toMatchObject({ sourceId: 'x', sourceVersion: '2', attempts: 2, fix: 'add it', record: { id: 'x', v: 2 } });
    store.close();
  });

  it('encrypts secrets at rest and refuses to work without a key', () => {
    const path = tempState();
    const store = StateStore.open(path);
    const secrets = store.secretStore('p', 'qbo', 'k'.repeat(32));
    secrets.set('refresh_token', 'RT-very-secret-value');
    expect(secrets.get('refresh_token')).toBe('RT-very-secret-value');
    const raw = new Database(path).prepare('SELECT ciphertext FROM secrets').get() as { ciphertext: Buffer };
    expect(raw.ciphertext.toString('utf8')).not.toContain('very-secret');
    expect(() => store.secretStore('p', 'qbo', 'x'.repeat(32)).get('refresh_token')).toThrow(/cannot be decrypted/);
    expect(() => store.secretStore('p', 'qbo', undefined).set('a', 'b')).toThrow(/LEDGERSYNC_SECRET_KEY/);
    store.close();
  });

  it('compares numeric versions as integers', () => {
    expect(compareVersions('1700000000999', '999')).toBe(1);
    expect(compareVersions('10', '9')).toBe(1);
    expect(compareVersions('5', '5')).toBe(0);
  });
});

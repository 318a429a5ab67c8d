/** The state store's behaviour, held on both databases: SQLite (the default) and PostgreSQL. */
import { MIGRATIONS } from '../../../engine/state/schema.js';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { hostname } from 'node:os';
import { StateStore, compareVersions } from '../../../engine/state/store.js';
import { LedgersyncError } from '../../../engine/errors.js';
import { registerSecret } from '../../../engine/log.js';
import { stateBackends } from '../../support/state-backends.js';

const backends = stateBackends();

describe('state store on SQLite', () => {
  it('uses WAL and creates its directory', () => {
    const path = join(backends.sqlite.location(), '..', 'nested', 'deeper', 'state.db');
    StateStore.open(path).close();
    const db = new Database(path);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  it('commits a transaction that is not durable without an fsync, and goes back to synchronous=FULL after it', () => {
    const store = StateStore.open(backends.sqlite.location());
    const level = () => (store.driver.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous;
    expect(level()).toBe(2); // FULL
    let inside: number | undefined;
    store.transaction(
      () => {
        store.saveCheckpoint('p', 's', 1, 'r');
        inside = level();
      },
      { durable: false },
    );
    expect([inside, level()]).toEqual([1, 2]); // NORMAL inside, FULL again after
    expect(() =>
      store.transaction(
        () => {
          throw new Error('boom');
        },
        { durable: false },
      ),
    ).toThrow('boom');
    expect(level()).toBe(2);
    expect(store.getCheckpoint('p', 's')).toBe(1);
    store.close();
  });

  it('a transaction that reads before it writes is not undone by another process writing in between (it holds the write lock from its start)', () => {
    const path = backends.sqlite.location();
    const store = StateStore.open(path);
    store.saveCheckpoint('p', 's', 1, 'r');
    // Another process (`ledgersync status`, a second worker) writing while this one is mid-transaction.
    const other = new Database(path);
    other.pragma('busy_timeout = 0');
    let otherWrite: unknown;
    store.transaction(() => {
      expect(store.getCheckpoint('p', 's')).toBe(1);
      try {
        other.prepare("UPDATE checkpoints SET value_json = '5' WHERE pipeline = 'p'").run();
      } catch (error) {
        otherWrite = error;
      }
      store.saveCheckpoint('p', 's', 2, 'r');
    });
    // With a deferred BEGIN the other write commits and this transaction's write then fails with
    // SQLITE_BUSY_SNAPSHOT, rolling back what it recorded; now the other one waits its turn instead.
    expect(otherWrite).toMatchObject({ code: 'SQLITE_BUSY' });
    expect(store.getCheckpoint('p', 's')).toBe(2);
    other.close();
    store.close();
  });
});

describe.each(backends.all)('state store on %s', (backend) => {
  it('holds one run lock per pipeline; a second run is refused while the first lives', () => {
    const location = backend.location();
    const a = StateStore.open(location);
    const b = StateStore.open(location);
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
    const store = StateStore.open(backend.location());
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']).pid!;
    store.driver.prepare("INSERT INTO runs (id, pipeline, started_at, status, pid, hostname) VALUES ('old', 'p', 1, 'running', ?, ?)").run(dead, hostname());
    store.driver.prepare('INSERT INTO locks (pipeline, run_id, pid, hostname, acquired_at) VALUES (?, ?, ?, ?, ?)').run('p', 'old', dead, hostname(), 1);
    expect('runId' in store.beginRun('p')).toBe(true);
    expect(store.recentRuns('p').find((r) => r.id === 'old')?.status).toBe('crashed');
    store.close();
  });

  it("takes over at once a live lease naming this very pid and host that this process never took: a restarted container's pid 1", () => {
    const location = backend.location();
    const store = StateStore.open(location);
    const now = Math.floor(Date.now() / 1000);
    store.driver
      .prepare("INSERT INTO runs (id, pipeline, started_at, status, pid, hostname) VALUES ('before', 'p', 1, 'running', ?, ?)")
      .run(process.pid, hostname());
    store.driver
      .prepare('INSERT INTO locks (pipeline, run_id, pid, hostname, acquired_at, expires_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run('p', 'before', process.pid, hostname(), now - 5, now + 55, now - 5);
    const taken = store.beginRun('p');
    expect('runId' in taken && taken.tookOver?.reason).toBe('gone');
    expect(store.recentRuns('p').find((r) => r.id === 'before')?.status).toBe('crashed');
    // A run this process holds is alive, whatever store asks.
    const other = StateStore.open(location);
    expect(other.beginRun('p')).toMatchObject({ heldBy: { pid: process.pid } });
    other.close();
    store.close();
  });

  it.runIf(backend.name === 'postgres')('judges leases by the database clock: a machine whose clock runs 90 s ahead does not take a live lease over', () => {
    const location = backend.location();
    const a = StateStore.open(location);
    const b = StateStore.open(location);
    const first = a.beginRun('p', { ttlSeconds: 60 });
    expect('runId' in first).toBe(true);
    const realNow = Date.now;
    Date.now = () => realNow() + 90_000;
    try {
      const second = b.beginRun('p', { ttlSeconds: 60 });
      expect('heldBy' in second && second.heldBy.runId).toBe('runId' in first && first.runId);
    } finally {
      Date.now = realNow;
      a.close();
      b.close();
    }
  });

  it('keeps a live lease of another machine, and takes it over once it expired', () => {
    const store = StateStore.open(backend.location());
    const now = Math.floor(Date.now() / 1000);
    const lock = store.driver.prepare(
      'INSERT INTO locks (pipeline, run_id, pid, hostname, acquired_at, expires_at, heartbeat_at) VALUES (?, ?, 1, ?, ?, ?, ?)',
    );
    store.driver.prepare("INSERT INTO runs (id, pipeline, started_at, status, pid, hostname) VALUES ('far', 'p', 1, 'running', 1, 'elsewhere')").run();
    lock.run('p', 'far', 'elsewhere', now - 5, now + 30, now - 5);
    const refused = store.beginRun('p');
    expect(refused).toEqual({ heldBy: { runId: 'far', pid: 1, hostname: 'elsewhere', since: now - 5, expiresAt: now + 30, heartbeatAt: now - 5 } });
    store.driver.prepare('UPDATE locks SET expires_at = ? WHERE pipeline = ?').run(now - 1, 'p');
    const taken = store.beginRun('p');
    expect('runId' in taken).toBe(true);
    expect(store.recentRuns('p').find((r) => r.id === 'far')?.status).toBe('crashed');
    store.close();
  });

  it('renews its lease while the run lasts', async () => {
    const store = StateStore.open(backend.location());
    const begun = store.beginRun('p', { ttlSeconds: 2 });
    if (!('runId' in begun)) throw new Error('lock refused');
    const expiry = () => (store.driver.prepare('SELECT expires_at FROM locks WHERE pipeline = ?').get('p') as { expires_at: number }).expires_at;
    const first = expiry();
    await new Promise((r) => setTimeout(r, 2200));
    expect(expiry()).toBeGreaterThan(first);
    store.finishRun('p', begun.runId, 'success', 0, {});
    expect(store.driver.prepare('SELECT COUNT(*) AS n FROM locks').get()).toEqual({ n: 0 });
    store.close();
  });

  it('refuses to write once another run took its lease over (fencing)', () => {
    const location = backend.location();
    const a = StateStore.open(location);
    const b = StateStore.open(location);
    const first = a.beginRun('p', { ttlSeconds: 30 });
    if (!('runId' in first)) throw new Error('lock refused');
    expect(a.beginWrites('p', first.runId, [{ stream: 's', sourceId: '1', action: 'upsert' }])).toHaveLength(1);
    // a stalled holder: its lease ran out, and another worker takes the pipeline
    a.driver.prepare('UPDATE locks SET expires_at = ? WHERE pipeline = ?').run(Math.floor(Date.now() / 1000) - 1, 'p');
    const second = b.beginRun('p', { ttlSeconds: 30 });
    expect('runId' in second).toBe(true);
    let thrown: unknown;
    try {
      a.beginWrites('p', first.runId, [{ stream: 's', sourceId: '2', action: 'upsert' }]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LedgersyncError);
    expect(thrown).toMatchObject({ code: 'run_lease_lost', kind: 'transient' });
    expect(a.getLedger('p', 's', '2')).toBeUndefined();
    a.close();
    b.close();
  });

  it('keeps a record pending until its write is confirmed, and keeps it pending when the write may have happened', () => {
    const store = StateStore.open(backend.location());
    const ops = store.beginWrites('p', 'r1', [
      { stream: 's', sourceId: 'a', action: 'upsert' },
      { stream: 's', sourceId: 'b', action: 'upsert' },
      { stream: 's', sourceId: 'c', action: 'upsert' },
    ]);
    expect(ops).toEqual([ops[0], ops[0]! + 1, ops[0]! + 2]);
    expect(ops[0]).toBeGreaterThan(0);
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
    expect(store.countLedger('p')).toBe(1);
    expect(store.pendingOperations('p').map((o) => o.sourceId)).toEqual([]);
    store.close();
  });

  it("lists each record's parts with their last payload, and no other record's (`in_1` is not `in_10`, nor `in_1#` another stream's)", () => {
    const store = StateStore.open(backend.location());
    const writes = ['in_1', 'in_1#a', 'in_1#b', 'in_10#a', 'in_1a#x', 'in_2#a'].map((sourceId) => ({ stream: 'allocations', sourceId, action: 'upsert' }));
    const ops = store.beginWrites('p', 'r1', [...writes, { stream: 'other', sourceId: 'in_1#z', action: 'upsert' }]);
    store.finishWrites(
      'p',
      'r1',
      ops,
      [...writes, { stream: 'other', sourceId: 'in_1#z' }].map((w, i) => ({
        stream: w.stream,
        sourceId: w.sourceId,
        sourceVersion: '1',
        contentHash: `h${i}`,
        status: 'created' as const,
        targetId: `T${i}`,
        payloadJson: `{"action":"upsert","data":{"n":${i}},"object":"Payment"}`,
      })),
    );
    const parts = store.partEntries('p', 'allocations', ['in_1', 'in_2', 'in_3']);
    expect([...parts.keys()]).toEqual(['in_1', 'in_2']);
    expect(parts.get('in_1')!.map((e) => [e.sourceId, e.targetId, e.payloadJson])).toEqual([
      ['in_1#a', 'T1', '{"action":"upsert","data":{"n":1},"object":"Payment"}'],
      ['in_1#b', 'T2', '{"action":"upsert","data":{"n":2},"object":"Payment"}'],
    ]);
    store.close();
  });

  it("reads a whole page's parts in chunked statements: each record's parts once, in id order, a part of two records under both", () => {
    const store = StateStore.open(backend.location());
    const ids = Array.from({ length: 1234 }, (_, i) => `in_${i}`);
    // `in_3#x` is a record of its own too (in another chunk), so `in_3#x#1` is a part of both.
    const partIds = ['in_3#b', 'in_3#a', 'in_3#x', 'in_3#x#1', 'in_600#a', 'in_1233#a'];
    const ops = store.beginWrites(
      'p',
      'r1',
      partIds.map((sourceId) => ({ stream: 's', sourceId, action: 'upsert' })),
    );
    store.finishWrites(
      'p',
      'r1',
      ops,
      partIds.map((sourceId) => ({ stream: 's', sourceId, sourceVersion: '1', contentHash: `h-${sourceId}`, status: 'created', targetId: `T-${sourceId}` })),
    );
    // A part whose first write is in doubt: its payload is its last mapped attempt's.
    const attempt = store.audit.open('p', 'r2', [
      { stream: 's', sourceId: 'in_600#b', sourceVersion: '1', object: 'Payment', action: 'upsert', trigger: 'run', payload: { n: 1 } },
    ]);
    store.beginWrites('p', 'r2', [{ stream: 's', sourceId: 'in_600#b', action: 'upsert' }]);
    store.audit.seal('p', attempt, [{ outcome: 'error', answer: {} }]);
    const parts = store.partEntries('p', 's', [...ids, 'in_3#x', 'in_3']);
    expect([...parts.keys()]).toEqual(['in_3', 'in_600', 'in_1233', 'in_3#x']);
    expect(parts.get('in_3')!.map((e) => e.sourceId)).toEqual(['in_3#a', 'in_3#b', 'in_3#x', 'in_3#x#1']);
    expect(parts.get('in_3#x')!.map((e) => e.sourceId)).toEqual(['in_3#x#1']);
    expect(parts.get('in_600')!.map((e) => [e.sourceId, e.pendingWrite, e.payloadJson])).toEqual([
      ['in_600#a', false, null],
      ['in_600#b', true, '{"action":"upsert","data":{"n":1},"object":"Payment"}'],
    ]);
    expect(parts.get('in_1233')!.map((e) => e.targetId)).toEqual(['T-in_1233#a']);
    expect(store.partEntries('p', 's', []).size).toBe(0);
    store.close();
  });

  it('finds one source record and its parts (`<id>#<part>`), in every stream or in one, for show', () => {
    const store = StateStore.open(backend.location());
    const writes = [
      { stream: 'invoices', sourceId: 'in_1', action: 'upsert' },
      { stream: 'invoices', sourceId: 'in_1#tax', action: 'upsert' },
      { stream: 'invoices', sourceId: 'in_10', action: 'upsert' },
      { stream: 'payments', sourceId: 'in_1', action: 'upsert' },
    ];
    const ops = store.beginWrites('p', 'r1', writes);
    store.finishWrites(
      'p',
      'r1',
      ops,
      writes.map((w, i) => ({ ...w, sourceVersion: '1', contentHash: `h${i}`, status: 'created' as const, targetId: `T${i}` })),
    );
    expect(store.recordHistory('p', 'in_1').map((e) => `${e.stream} ${e.sourceId}`)).toEqual(['invoices in_1', 'invoices in_1#tax', 'payments in_1']);
    expect(store.recordHistory('p', 'in_1', 'payments').map((e) => e.targetId)).toEqual(['T3']);
    expect(store.operationsOf('p', 'invoices', 'in_1').map((o) => o.sourceId)).toEqual(['in_1', 'in_1#tax']);
    expect(store.streamsHolding('p', 'in_1')).toEqual(['invoices', 'payments']);
    store.close();
  });

  it('reads the ledger entries and dead letters of a whole page in chunked statements', () => {
    const store = StateStore.open(backend.location());
    const ids = Array.from({ length: 1234 }, (_, i) => `in_${i}`);
    const written = ids.filter((_, i) => i % 3 === 0);
    const ops = store.beginWrites(
      'p',
      'r1',
      written.map((sourceId) => ({ stream: 's', sourceId, action: 'upsert' })),
    );
    store.finishWrites(
      'p',
      'r1',
      ops,
      written.map((sourceId) => ({ stream: 's', sourceId, sourceVersion: '7', contentHash: `h-${sourceId}`, status: 'created', targetId: `T-${sourceId}` })),
    );
    store.markSeen('p', 'other', 'in_1', '1');
    const entries = store.ledgerEntries('p', 's', ids);
    expect([...entries.keys()].sort()).toEqual([...written].sort());
    expect(entries.get('in_999')).toMatchObject({ sourceId: 'in_999', sourceVersion: '7', contentHash: 'h-in_999', targetId: 'T-in_999', pendingWrite: false });
    expect(entries.get('in_999')).toEqual(store.getLedger('p', 's', 'in_999'));
    // Sizes that are padded (1, 7, 101) and an empty page.
    expect([...store.ledgerEntries('p', 's', ['in_3']).keys()]).toEqual(['in_3']);
    expect([...store.ledgerEntries('p', 's', ['in_0', 'in_1', 'in_2', 'in_3', 'in_4', 'in_5', 'in_6']).keys()].sort()).toEqual(['in_0', 'in_3', 'in_6']);
    expect(store.ledgerEntries('p', 's', ids.slice(0, 101)).size).toBe(34);
    expect(store.ledgerEntries('p', 's', []).size).toBe(0);
    expect(store.ledgerEntries('p', 'other', ids).size).toBe(1);

    const error = new LedgersyncError('lookup_missing', 'record', 'no GL account');
    for (const sourceId of ['in_5', 'in_1100'])
      store.putDeadLetter('p', 'r1', { stream: 's', sourceId, sourceVersion: '1', record: {}, deleted: false, error });
    expect([...store.deadLetterIdsAmong('p', 's', ids)].sort()).toEqual(['in_1100', 'in_5']);
    expect(store.deadLetterIdsAmong('p', 'other', ids).size).toBe(0);
    // A write that went through resolves its dead letter.
    const [op] = store.beginWrites('p', 'r2', [{ stream: 's', sourceId: 'in_5', action: 'upsert' }]);
    store.finishWrites('p', 'r2', [op!], [{ stream: 's', sourceId: 'in_5', sourceVersion: '2', contentHash: 'h', status: 'created', targetId: 'T' }]);
    expect(store.deadLetters('p').map((d) => d.sourceId)).toEqual(['in_1100']);
    store.close();
  });

  it('masks a registered secret in the payload it keeps of a write, so it never reaches the state file', () => {
    const store = StateStore.open(backend.location());
    const secret = `sk_live_${Math.random().toString(36).slice(2)}`;
    registerSecret(secret);
    const payload = JSON.stringify({ action: 'upsert', data: { company: `Leaky ${secret} Ltd` }, object: 'Customer' });
    const [op] = store.beginWrites('p', 'r1', [{ stream: 's', sourceId: 'c1', action: 'upsert' }]);
    store.finishWrites(
      'p',
      'r1',
      [op!],
      [{ stream: 's', sourceId: 'c1', sourceVersion: '1', contentHash: 'h', status: 'created', targetId: 'T', payloadJson: payload }],
    );
    expect(store.lastPayload('p', 's', 'c1')).toEqual({ action: 'upsert', data: { company: 'Leaky *** Ltd' }, object: 'Customer' });
    store.close();
  });

  it('commits a transaction that is not durable like any other', () => {
    const location = backend.location();
    const store = StateStore.open(location);
    store.transaction(() => store.saveCheckpoint('p', 's', { offset: 'x' }, 'r'), { durable: false });
    expect(() =>
      store.transaction(
        () => {
          store.saveCheckpoint('p', 's', { offset: 'y' }, 'r');
          throw new Error('boom');
        },
        { durable: false },
      ),
    ).toThrow('boom');
    const other = StateStore.open(location);
    expect(other.getCheckpoint('p', 's')).toEqual({ offset: 'x' });
    other.close();
    store.close();
  });

  it('lists the operations a dead run left pending, and marks them interrupted', () => {
    const store = StateStore.open(backend.location());
    const ops = store.beginWrites('p', 'dead', [{ stream: 's', sourceId: 'a', action: 'upsert' }]);
    expect(store.pendingOperations('p')).toEqual([{ id: ops[0], runId: 'dead', stream: 's', sourceId: 'a', action: 'upsert' }]);
    expect(store.abandonPendingOperations('p', 'now')).toBe(1);
    expect(store.pendingOperations('p')).toEqual([]);
    expect(store.getLedger('p', 's', 'a')?.pendingWrite).toBe(true);
    store.close();
  });

  it('keeps checkpoints per stream, lists them and resets one or all', () => {
    const store = StateStore.open(backend.location());
    store.saveCheckpoint('p', 'invoices', { updated_after: 1700000000, offset: null }, 'r1');
    store.saveCheckpoint('p', 'customers', { updated_after: 5 }, 'r1');
    store.saveCheckpoint('p', 'customers', { updated_after: 6 }, 'r2');
    expect(store.getCheckpoint('p', 'invoices')).toEqual({ updated_after: 1700000000, offset: null });
    expect(store.listCheckpoints('p').map((c) => [c.stream, c.value])).toEqual([
      ['customers', { updated_after: 6 }],
      ['invoices', { updated_after: 1700000000, offset: null }],
    ]);
    expect(store.resetCheckpoints('p', 'customers')).toBe(1);
    expect(store.resetCheckpoints('p')).toBe(1);
    expect(store.getCheckpoint('p', 'invoices')).toBeUndefined();
    store.close();
  });

  it('records runs newest first with their counts and errors', () => {
    const store = StateStore.open(backend.location());
    for (const status of ['success', 'partial', 'failed']) {
      const begun = store.beginRun('p');
      if (!('runId' in begun)) throw new Error('lock refused');
      store.finishRun('p', begun.runId, status, status === 'success' ? 0 : 1, { s: { read: 2 } }, status === 'failed' ? { code: 'x' } : undefined);
    }
    const runs = store.recentRuns('p', 2);
    expect(runs.map((r) => r.status)).toEqual(['failed', 'partial']);
    expect(runs[0]).toMatchObject({ exitCode: 1, counts: { s: { read: 2 } }, error: { code: 'x' } });
    expect(typeof runs[0]!.startedAt).toBe('number');
    store.close();
  });

  it('counts dead-letter attempts and keeps the record for a retry', () => {
    const store = StateStore.open(backend.location());
    const error = new LedgersyncError('lookup_missing', 'record', 'no GL account', { fix: 'add it' });
    store.putDeadLetter('p', 'r1', { stream: 's', sourceId: 'x', sourceVersion: '1', record: { id: 'x' }, deleted: false, error });
    store.putDeadLetter('p', 'r2', { stream: 's', sourceId: 'x', sourceVersion: '2', record: { id: 'x', v: 2 }, deleted: false, error });
    const [letter] = store.deadLetters('p');
    expect(letter).toMatchObject({ sourceId: 'x', sourceVersion: '2', attempts: 2, fix: 'add it', record: { id: 'x', v: 2 }, deleted: false });
    expect(store.deadLettersBefore('p', 's', 'r2')).toEqual([]);
    store.resolveDeadLetter('p', 's', 'x');
    expect(store.deadLetters('p')).toEqual([]);
    store.close();
  });

  it('keeps a connector key/value store, transactions included', () => {
    const store = StateStore.open(backend.location());
    const kv = store.keyValue('p', 'dualentry');
    kv.set('period', { month: '2026-10', posted: true });
    expect(kv.get('period')).toEqual({ month: '2026-10', posted: true });
    expect(() =>
      store.transaction(() => {
        kv.set('period', 'half-done');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(kv.get('period')).toEqual({ month: '2026-10', posted: true });
    kv.delete('period');
    expect(kv.get('period')).toBeUndefined();
    expect(store.keyValue('other', 'dualentry').get('period')).toBeUndefined();
    store.close();
  });

  it('rolls back a nested transaction alone', () => {
    const store = StateStore.open(backend.location());
    const kv = store.keyValue('p', 'x');
    store.transaction(() => {
      kv.set('outer', 1);
      expect(() =>
        store.transaction(() => {
          kv.set('inner', 2);
          throw new Error('inner fails');
        }),
      ).toThrow('inner fails');
    });
    expect([kv.get('outer'), kv.get('inner')]).toEqual([1, undefined]);
    store.close();
  });

  it('encrypts secrets at rest and refuses to work without a key', () => {
    const store = StateStore.open(backend.location());
    const secrets = store.secretStore('p', 'qbo', 'k'.repeat(32));
    secrets.set('refresh_token', 'RT-very-secret-value');
    expect(secrets.get('refresh_token')).toBe('RT-very-secret-value');
    const raw = store.driver.prepare('SELECT ciphertext FROM secrets').get() as { ciphertext: Buffer };
    expect(Buffer.isBuffer(raw.ciphertext)).toBe(true);
    expect(raw.ciphertext.toString('utf8')).not.toContain('very-secret');
    expect(() => store.secretStore('p', 'qbo', 'x'.repeat(32)).get('refresh_token')).toThrow(/cannot be decrypted/);
    expect(() => store.secretStore('p', 'qbo', undefined).set('a', 'b')).toThrow(/LEDGERSYNC_SECRET_KEY/);
    store.close();
  });

  it('migrates a new database to the latest schema once, and reopens it without migrating again', () => {
    const location = backend.location();
    const a = StateStore.open(location);
    const b = StateStore.open(location);
    expect(a.driver.schemaVersion()).toBe(MIGRATIONS.length);
    expect(b.driver.schemaVersion()).toBe(MIGRATIONS.length);
    expect(
      a.driver
        .tables()
        .map((t) => t.name)
        .sort(),
    ).toEqual([
      'audit_heads',
      'audit_log',
      'checkpoints',
      'dead_letters',
      'kv',
      'ledger',
      'locks',
      'mapping_fingerprints',
      'operations',
      'runs',
      'secrets',
      'webhook_events',
    ]);
    a.close();
    b.close();
  });
});

it('compares numeric versions as integers', () => {
  expect(compareVersions('1700000000999', '999')).toBe(1);
  expect(compareVersions('10', '9')).toBe(1);
  expect(compareVersions('5', '5')).toBe(0);
});

/**
 * `state migrate --from` is the deployment's backup: it is read, never changed. A file of the
 * previous schema keeps its schema (the previous ledgersync must still open it after a rollback)
 * and its bytes; its state is read through a migrated temporary copy.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { copyState } from '../../../engine/state/copy.js';
import { openCopySource } from '../../../engine/state/copy-source.js';
import { PostgresDriver } from '../../../engine/state/postgres-driver.js';
import { MIGRATIONS } from '../../../engine/state/schema.js';
import { StateStore } from '../../../engine/state/store.js';
import { stateBackends } from '../../support/state-backends.js';

const backends = stateBackends();
const PREVIOUS = MIGRATIONS.length - 1;

/** A state file as the previous ledgersync left it: its schema, one ledger entry, no -wal file. */
function previousStateFile(): string {
  const path = backends.sqlite.location();
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  for (let i = 0; i < PREVIOUS; i++) {
    db.exec(MIGRATIONS[i]!);
    db.pragma(`user_version = ${i + 1}`);
  }
  db.prepare(
    "INSERT INTO ledger (pipeline, stream, source_id, source_version, content_hash, target_id, pending_write, updated_at) VALUES ('acme', 'invoices', 'inv_1', '1', 'h', 'T1', 0, 1)",
  ).run();
  db.prepare("INSERT INTO checkpoints (pipeline, stream, value_json, updated_at) VALUES ('acme', 'invoices', '{\"cursor\":5}', 1)").run();
  db.close();
  return path;
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
const userVersion = (path: string) => {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true });
  } finally {
    db.close();
  }
};

/** Bind-mounts `dir` read-only (root in a container that allows it), or undefined where it cannot. */
function readOnlyMount(dir: string): { dir: string; unmount(): void } | undefined {
  const at = mkdtempSync(join(tmpdir(), 'ls-ro-'));
  const mounted = spawnSync('mount', ['--bind', dir, at]).status === 0;
  if (!mounted) {
    rmSync(at, { recursive: true, force: true });
    return undefined;
  }
  const unmount = () => {
    spawnSync('umount', [at]);
    rmSync(at, { recursive: true, force: true });
  };
  if (spawnSync('mount', ['-o', 'remount,bind,ro', at]).status !== 0) {
    unmount();
    return undefined;
  }
  return { dir: at, unmount };
}

describe('the source of state migrate', () => {
  it('a SQLite file of the previous schema keeps its schema version and bytes; its state arrives whole', () => {
    const path = previousStateFile();
    const before = sha256(path);
    const source = openCopySource(path);
    expect(source.upgradedFrom).toBe(PREVIOUS);
    const target = StateStore.open(backends.sqlite.location());
    expect(copyState(source.store, target, path).pipelines).toEqual(['acme']);
    const snapshot = source.store.path;
    source.close();

    expect(userVersion(path)).toBe(PREVIOUS);
    expect(sha256(path)).toBe(before);
    expect(existsSync(snapshot)).toBe(false);
    expect(target.getLedger('acme', 'invoices', 'inv_1')).toMatchObject({ targetId: 'T1' });
    expect(target.readCheckpoint('acme', 'invoices')).toEqual({ value: { cursor: 5 }, scope: null });
    target.close();
  });

  it('a SQLite file of this schema is opened read-only: its bytes stay, and nothing can be written through it', () => {
    const path = backends.sqlite.location();
    const written = StateStore.open(path);
    written.saveCheckpoint('acme', 'invoices', { cursor: 9 }, 'run-1');
    written.close();
    const before = sha256(path);

    const source = openCopySource(path);
    expect(source.upgradedFrom).toBeUndefined();
    expect(() => source.store.saveCheckpoint('acme', 'invoices', { cursor: 10 }, 'run-2')).toThrow(/readonly/i);
    const target = StateStore.open(backends.sqlite.location());
    copyState(source.store, target);
    source.close();

    expect(sha256(path)).toBe(before);
    expect(target.getCheckpoint('acme', 'invoices')).toEqual({ cursor: 9 });
    target.close();
  });

  it('a PostgreSQL database of an older schema is refused, and left at its version', () => {
    const url = backends.postgres.location();
    const old = PostgresDriver.open(url);
    old.migrate(MIGRATIONS.slice(0, PREVIOUS));
    old.close();

    expect(() => openCopySource(url)).toThrow(
      expect.objectContaining({ code: 'state_copy_refused', message: expect.stringMatching(`schema version ${PREVIOUS}, older than`) }),
    );
    const after = PostgresDriver.open(url);
    expect(after.schemaVersion()).toBe(PREVIOUS);
    after.close();
  });

  it('a PostgreSQL schema without state is refused rather than copied as nothing', () => {
    expect(() => openCopySource(backends.postgres.location())).toThrow(/there is no ledgersync state in/);
  });

  it('a state file on a read-only mount (no -shm file beside it) is read through a copy of it', () => {
    const path = previousStateFile();
    const mount = readOnlyMount(dirname(path));
    if (!mount) return; // mounting needs privileges this machine does not give; the copy path is the same as below
    try {
      const source = openCopySource(join(mount.dir, 'state.db'));
      expect(source.upgradedFrom).toBe(PREVIOUS);
      const target = StateStore.open(backends.sqlite.location());
      copyState(source.store, target);
      source.close();
      expect(target.getLedger('acme', 'invoices', 'inv_1')).toMatchObject({ targetId: 'T1' });
      target.close();
    } finally {
      mount.unmount();
    }
    expect(userVersion(path)).toBe(PREVIOUS);
  });
});

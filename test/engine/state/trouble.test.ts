import Database from 'better-sqlite3';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LedgersyncError } from '../../../engine/errors.js';
import { exitCodeFor } from '../../../engine/exit-codes.js';
import { MIGRATIONS } from '../../../engine/state/schema.js';
import { StateStore } from '../../../engine/state/store.js';
import { stateFailure, walProblem } from '../../../engine/state/trouble.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ledgersync-trouble-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function openError(path: string): LedgersyncError {
  try {
    StateStore.open(path).close();
  } catch (error) {
    expect(error).toBeInstanceOf(LedgersyncError);
    return error as LedgersyncError;
  }
  throw new Error(`${path} opened`);
}

describe('a state file that cannot be used is named, with the fix, and exits 2', () => {
  it('not a database (a text file, garbage): state_corrupt', () => {
    const path = join(dir, 'state.db');
    writeFileSync(path, 'this is not a database\n'.repeat(200));
    const error = openError(path);
    expect(error).toMatchObject({ code: 'state_corrupt', kind: 'config' });
    expect(error.message).toBe(`the state file ${path} is not a ledgersync state file or is damaged (file is not a database)`);
    expect(error.fix).toMatch(/restore it and its -wal file from a backup/);
    expect(exitCodeFor({ error })).toBe(2);
  });

  it('another program’s SQLite database is refused before ledgersync adds its tables to it', () => {
    const path = join(dir, 'crm.db');
    const other = new Database(path);
    other.exec('CREATE TABLE contacts (id INTEGER PRIMARY KEY, name TEXT)');
    other.close();
    expect(openError(path)).toMatchObject({ code: 'state_corrupt', message: expect.stringMatching(/another program's SQLite database \(it holds contacts\)/) });
    const check = new Database(path);
    expect((check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name)).toEqual(['contacts']);
    check.close();
  });

  it('a file written by a newer ledgersync (a state schema this one does not know): state_too_new, untouched', () => {
    const path = join(dir, 'state.db');
    StateStore.open(path).close();
    const newer = new Database(path);
    newer.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    newer.close();
    expect(openError(path)).toMatchObject({
      code: 'state_too_new',
      message: `the state file ${path} was written by a newer ledgersync (state schema ${MIGRATIONS.length + 1}; this one knows up to ${MIGRATIONS.length})`,
      fix: expect.stringMatching(/upgrade/),
    });
  });

  it('a file another program holds a write lock on: state_locked, after SQLite’s busy wait', () => {
    const path = join(dir, 'state.db');
    StateStore.open(path).close();
    const holder = new Database(path);
    holder.exec('BEGIN EXCLUSIVE');
    try {
      expect(openError(path)).toMatchObject({ code: 'state_locked', message: `the state file ${path} is locked by another program (database is locked)` });
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
  }, 20_000);

  it('a write-ahead log whose header is damaged is reported before SQLite silently drops it; a valid one left by a killed run is read', () => {
    const path = join(dir, 'state.db');
    const live = StateStore.open(path);
    live.saveCheckpoint('p', 'customers', { cursor: 42 }, 'run-1');
    // What a SIGKILL leaves: the database and its log, not checkpointed.
    const copy = join(dir, 'killed.db');
    copyFileSync(path, copy);
    copyFileSync(`${path}-wal`, `${copy}-wal`);
    live.close();
    expect(walProblem(copy)).toBeUndefined();
    const reopened = StateStore.open(copy);
    expect(reopened.getCheckpoint('p', 'customers')).toEqual({ cursor: 42 });
    reopened.close();

    const broken = join(dir, 'broken.db');
    copyFileSync(path, broken);
    writeFileSync(`${broken}-wal`, Buffer.alloc(4096, 0x5a));
    const error = openError(broken);
    expect(error).toMatchObject({ code: 'state_wal_damaged', kind: 'config' });
    expect(error.message).toMatch(
      new RegExp(`^the write-ahead log of the state file ${broken} is damaged: .*-wal does not start with the write-ahead log magic number`),
    );
    expect(error.fix).toMatch(/move .*-wal away/);
    expect(existsSync(`${broken}-wal`)).toBe(true);
  });

  it('SQLite’s read-only refusal maps to state_read_only, naming the file', () => {
    const path = join(dir, 'state.db');
    StateStore.open(path).close();
    const readOnly = new Database(path, { readonly: true });
    let thrown: unknown;
    try {
      readOnly.pragma('user_version = 1');
    } catch (error) {
      thrown = error;
    } finally {
      readOnly.close();
    }
    expect(stateFailure(path, thrown)).toMatchObject({
      code: 'state_read_only',
      message: `the state file ${path} cannot be written (attempt to write a readonly database)`,
      fix: expect.stringMatching(/write access to the file and its folder/),
    });
  });
});

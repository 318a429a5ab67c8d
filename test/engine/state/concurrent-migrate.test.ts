/**
 * Processes opening one SQLite state file together (a scheduler's tick starting several pipelines'
 * first runs, the first runs after an upgrade that adds a migration) migrate it once: the one that
 * takes the write lock first applies what is missing, the others wait for it and find nothing left.
 * Before, each read the schema version outside the lock and applied what it had seen missing, and
 * lost the race with `table runs already exists` or `duplicate column name`, reported as
 * `state_unreadable` (exit 2: "do not retry").
 */
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../engine/state/schema.js';
import { PostgresDriver } from '../../../engine/state/postgres-driver.js';
import { SqliteDriver } from '../../../engine/state/sqlite-driver.js';
import { StateStore } from '../../../engine/state/store.js';
import { ROOT, tempDir } from '../../e2e/helpers.js';
import { stateBackends } from '../../support/state-backends.js';

const backends = stateBackends();
const BETTER_SQLITE3 = createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * Another process that migrates the file as ledgersync does and, holding the write lock with the
 * migrations from `from` on applied, waits for `go` to appear, then commits `holdMs` later: the
 * parent writes `go` just before it opens the file, so it reads the version before the commit.
 */
const MIGRATING_PROCESS = `
const fs = require('node:fs');
const Database = require(process.env.BETTER_SQLITE3);
const { path, from, migrations, go, holdMs } = JSON.parse(fs.readFileSync(process.argv[1], 'utf8'));
const db = new Database(path);
db.pragma('busy_timeout = 5000');
db.pragma('journal_mode = WAL');
db.exec('BEGIN IMMEDIATE');
for (let i = from; i < migrations.length; i++) db.exec(migrations[i]);
db.pragma('user_version = ' + migrations.length);
process.stdout.write('holding\\n');
const wait = setInterval(() => {
  if (!fs.existsSync(go)) return;
  clearInterval(wait);
  setTimeout(() => { db.exec('COMMIT'); db.close(); }, holdMs);
}, 5);
`;

let work: ReturnType<typeof tempDir>;
let children: ChildProcess[] = [];
beforeEach(() => {
  work = tempDir('ledgersync-migrate-race-');
});
afterEach(() => {
  for (const child of children) child.kill();
  children = [];
  work.cleanup();
});

/**
 * Starts the other process; resolves once it holds the write lock with its migrations applied but
 * not committed, with `go()`, which lets it commit soon after (call it just before opening the file).
 */
async function migratingElsewhere(path: string, from: number, holdMs = 500): Promise<{ go(): void; exited: Promise<number | null> }> {
  const job = join(work.dir, `job-${children.length}.json`);
  const go = join(work.dir, `go-${children.length}`);
  writeFileSync(job, JSON.stringify({ path, from, migrations: MIGRATIONS, go, holdMs }));
  const child = spawn(process.execPath, ['-e', MIGRATING_PROCESS, job], {
    env: { ...process.env, BETTER_SQLITE3 },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('holding') && resolve());
    child.on('exit', (code) => reject(new Error(`the migrating process exited ${code} before it held the lock`)));
  });
  return { go: () => writeFileSync(go, ''), exited };
}

function version(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db.pragma('user_version', { simple: true }) as number;
  } finally {
    db.close();
  }
}

describe('opening a SQLite state file another process is migrating', () => {
  it('a new file: waits for the other process and finds every migration applied', async () => {
    const path = join(work.dir, 'state.db');
    const other = await migratingElsewhere(path, 0);
    other.go();
    const store = StateStore.open(path);
    try {
      store.saveCheckpoint('acme', 'invoices', { cursor: 1 }, 'run-1');
      expect(store.getCheckpoint('acme', 'invoices')).toEqual({ cursor: 1 });
    } finally {
      store.close();
    }
    expect(await other.exited).toBe(0);
    expect(version(path)).toBe(MIGRATIONS.length);
  });

  it('after an upgrade that adds a migration: the last one is applied once', async () => {
    const path = join(work.dir, 'state.db');
    SqliteDriver.openState(path, MIGRATIONS.slice(0, -1), true).close();
    expect(version(path)).toBe(MIGRATIONS.length - 1);
    const other = await migratingElsewhere(path, MIGRATIONS.length - 1);
    other.go();
    StateStore.open(path).close();
    expect(await other.exited).toBe(0);
    expect(version(path)).toBe(MIGRATIONS.length);
  });

  it('a file at this version opens without the write lock: a read-only open does not wait for a writer', () => {
    const path = join(work.dir, 'state.db');
    StateStore.open(path).close();
    const writer = new Database(path);
    writer.exec('BEGIN IMMEDIATE');
    try {
      const started = Date.now();
      StateStore.open(path, { write: false, busyTimeoutMs: 5000 }).close();
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      writer.exec('ROLLBACK');
      writer.close();
    }
  });

  it('another program’s database is still refused untouched, and one of a newer ledgersync too', () => {
    const path = join(work.dir, 'crm.db');
    const other = new Database(path);
    other.exec('CREATE TABLE contacts (id INTEGER PRIMARY KEY)');
    other.close();
    expect(() => StateStore.open(path)).toThrow(expect.objectContaining({ code: 'state_corrupt' }));
    const check = new Database(path, { readonly: true });
    expect(check.pragma('journal_mode', { simple: true })).toBe('delete');
    check.close();

    const newer = join(work.dir, 'newer.db');
    StateStore.open(newer).close();
    const db = new Database(newer);
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    db.close();
    expect(() => StateStore.open(newer)).toThrow(expect.objectContaining({ code: 'state_too_new' }));
  });
});

/** Processes racing to migrate run the built store (npm run build), as the CLI does. */
const BUILT_STORE = join(ROOT, 'dist/engine/state/store.js');

/** Opens `location` in `count` processes started at once; the failures, as `exit N: stderr`. */
async function openTogether(location: string, count: number): Promise<string[]> {
  const opener = `
    const { StateStore } = await import(${JSON.stringify(BUILT_STORE)});
    StateStore.open(process.argv[1]).close();
  `;
  const runs = Array.from({ length: count }, () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', opener, location], { stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise<string>((resolve) => child.on('exit', (code) => resolve(code === 0 ? '' : `exit ${code}: ${stderr}`)));
  });
  return (await Promise.all(runs)).filter(Boolean);
}

describe.skipIf(!existsSync(BUILT_STORE))('processes started together on a new state database all open it, migrated once', () => {
  it('SQLite: a new file, then one a migration behind', async () => {
    const fresh = join(work.dir, 'fresh.db');
    expect(await openTogether(fresh, 10)).toEqual([]);
    expect(version(fresh)).toBe(MIGRATIONS.length);

    const behind = join(work.dir, 'behind.db');
    SqliteDriver.openState(behind, MIGRATIONS.slice(0, -1), true).close();
    expect(await openTogether(behind, 10)).toEqual([]);
    expect(version(behind)).toBe(MIGRATIONS.length);
  }, 60_000);

  it('PostgreSQL: a new schema, then one a migration behind (the advisory lock)', async () => {
    const fresh = backends.postgres.location();
    expect(await openTogether(fresh, 8)).toEqual([]);
    const behind = backends.postgres.location();
    const old = PostgresDriver.open(behind);
    old.migrate(MIGRATIONS.slice(0, -1));
    old.close();
    expect(await openTogether(behind, 8)).toEqual([]);
    for (const location of [fresh, behind]) {
      const driver = PostgresDriver.open(location);
      expect(driver.schemaVersion()).toBe(MIGRATIONS.length);
      driver.close();
    }
  }, 120_000);
});

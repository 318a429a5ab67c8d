/**
 * The `--from` of `state migrate`, opened without changing it: it is the deployment's backup, and
 * the previous ledgersync must still open it after a rollback. A SQLite file is opened read-only;
 * one of an older schema is snapshotted to a temporary file, which is migrated and read instead,
 * and so is one SQLite cannot open read-only (a WAL file on a read-only mount without its -shm
 * file): its file and -wal file are copied first. A PostgreSQL database of an older schema is
 * refused, since no copy of it can be made here.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LedgersyncError } from '../errors.js';
import { isPostgresUrl, printableLocation } from './driver.js';
import { MIGRATIONS } from './schema.js';
import { SqliteDriver } from './sqlite-driver.js';
import { StateStore } from './store.js';

export interface CopySource {
  /** The state to copy from, at this ledgersync's schema. */
  store: StateStore;
  /** The schema version of the source when it was older and a migrated temporary copy is read instead. */
  upgradedFrom?: number;
  close(): void;
}

/** SQLite opens a WAL file read-only only where it can find or create its -shm file. */
function cannotOpenReadOnly(location: string, error: unknown): boolean {
  return !isPostgresUrl(location) && error instanceof LedgersyncError && error.details?.['sqlite'] === 'SQLITE_CANTOPEN' && existsSync(location);
}

/** A copy of the source, written by `write` into a temporary folder and migrated there; the folder goes when it is closed. */
function temporaryCopy(write: (path: string) => void): CopySource {
  const dir = mkdtempSync(join(tmpdir(), 'ledgersync-migrate-'));
  try {
    const path = join(dir, 'state.db');
    write(path);
    const copied = StateStore.openReadOnly(path);
    const version = copied.driver.schemaVersion();
    copied.close();
    const upgradedFrom = version < MIGRATIONS.length ? version : undefined;
    const store = StateStore.open(path);
    return {
      store,
      ...(upgradedFrom === undefined ? {} : { upgradedFrom }),
      close: () => {
        store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

export function openCopySource(location: string): CopySource {
  let source: StateStore;
  try {
    source = StateStore.openReadOnly(location);
  } catch (error) {
    if (!cannotOpenReadOnly(location, error)) throw error;
    return temporaryCopy((path) => {
      copyFileSync(location, path);
      if (existsSync(`${location}-wal`)) copyFileSync(`${location}-wal`, `${path}-wal`);
    });
  }
  const version = source.driver.schemaVersion();
  if (version === MIGRATIONS.length) return { store: source, close: () => source.close() };
  if (!(source.driver instanceof SqliteDriver)) {
    source.close();
    throw new LedgersyncError(
      'state_copy_refused',
      'config',
      version === 0
        ? `there is no ledgersync state in ${printableLocation(location)}`
        : `the state in ${printableLocation(location)} is at schema version ${version}, older than this ledgersync's (${MIGRATIONS.length}); state migrate never changes its source`,
      {
        fix:
          version === 0
            ? 'give --from the URL (and ?schema=) the pipelines run with'
            : 'keep a backup of it (pg_dump), let this ledgersync upgrade it in place (any command, e.g. `ledgersync status --state <url>`), then migrate',
      },
    );
  }
  const driver = source.driver;
  return temporaryCopy((path) => {
    try {
      driver.snapshotTo(path);
    } finally {
      source.close();
    }
  });
}

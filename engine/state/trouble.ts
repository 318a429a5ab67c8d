/**
 * What can be wrong with a state file, said in one line that names the file and the fix: not an
 * SQLite database or damaged, read-only, locked by another program, written by a newer ledgersync,
 * a damaged write-ahead log (which SQLite would silently ignore, losing the writes it holds), a disk
 * that fails. Every command that opens state reports these the same way (exit 2).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { LedgersyncError } from '../errors.js';

const BACKUP_FIX = 'restore it and its -wal file from a backup (the ledger in it is what prevents posting a document twice)';

/** A SQLite (or file system) failure on the state file as the error a person can act on; undefined for anything else. */
export function stateFailure(path: string, error: unknown): LedgersyncError | undefined {
  if (error instanceof LedgersyncError) return undefined;
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const said = (error as Error | null)?.message ?? String(error);
  const options = (fix: string) => ({ cause: error, fix, details: { path, sqlite: code } });
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new LedgersyncError('state_corrupt', 'config', `the state file ${path} is not a ledgersync state file or is damaged (${said})`, {
      ...options(
        `${BACKUP_FIX}, or point --state / LEDGERSYNC_STATE at the right file; only as a last resort move it away: a new state file starts a new ledger, and every document is then looked up before it is written`,
      ),
    });
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new LedgersyncError('state_read_only', 'config', `the state file ${path} cannot be written (${said})`, {
      ...options(
        'give the user that runs ledgersync write access to the file and its folder (SQLite writes <file>-wal and <file>-shm beside it), or choose another path with --state / LEDGERSYNC_STATE',
      ),
    });
  }
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_LOCKED_')) {
    return new LedgersyncError('state_locked', 'config', `the state file ${path} is locked by another program (${said})`, {
      ...options(
        'close the program that holds it (an sqlite3 shell or a BI tool in the middle of a write, a backup tool copying it) and run again; ledgersync runs of the same pipeline wait for each other through the run lock instead',
      ),
    });
  }
  if (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR') || code === 'ENOSPC' || code === 'EIO') {
    return new LedgersyncError('state_io_failed', 'config', `the disk under the state file ${path} failed (${said})`, {
      ...options('free space on that disk or check it, then run again: the run resumes from its last checkpoint'),
    });
  }
  if (code === 'SQLITE_CANTOPEN' || code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') {
    return new LedgersyncError('state_unreadable', 'config', `cannot open the state file ${path} (${said})`, {
      ...options('check the --state path (or LEDGERSYNC_STATE): its folder must exist or be creatable, and it must be a file'),
    });
  }
  return undefined;
}

/** The file was written by a ledgersync with a newer state schema: using it would misread or damage it. */
export function stateTooNew(path: string, fileVersion: number, known: number): LedgersyncError {
  return new LedgersyncError(
    'state_too_new',
    'config',
    `the state file ${path} was written by a newer ledgersync (state schema ${fileVersion}; this one knows up to ${known})`,
    { details: { path, fileVersion, known }, fix: 'run the ledgersync version that wrote it (or a newer one): upgrade this installation' },
  );
}

/** An SQLite database that holds tables but was never a ledgersync state file. */
export function notAStateFile(path: string, tables: readonly string[]): LedgersyncError {
  return new LedgersyncError(
    'state_corrupt',
    'config',
    `the state file ${path} is another program's SQLite database (it holds ${tables.slice(0, 5).join(', ')}${tables.length > 5 ? '…' : ''}), not a ledgersync state file`,
    {
      details: { path, tables: tables.slice(0, 20) },
      fix: 'point --state / LEDGERSYNC_STATE at the pipeline deployment’s own state file (default .ledgersync/state.db)',
    },
  );
}

const WAL_MAGIC_LE = 0x377f0682;
const WAL_MAGIC_BE = 0x377f0683;
const WAL_FORMAT = 3007000;

/**
 * Checks the header of `<path>-wal` before SQLite opens it: SQLite ignores a write-ahead log whose
 * header is not valid, silently dropping the committed writes it holds. Undefined when there is no
 * log, an empty one, or a valid header.
 */
export function walProblem(path: string): string | undefined {
  const wal = `${path}-wal`;
  let size: number;
  try {
    size = statSync(wal).size;
  } catch {
    return undefined;
  }
  if (size === 0) return undefined;
  if (size < 32) return `${wal} is ${size} bytes, shorter than a write-ahead log header`;
  const header = Buffer.alloc(32);
  const fd = openSync(wal, 'r');
  try {
    readSync(fd, header, 0, 32, 0);
  } finally {
    closeSync(fd);
  }
  const magic = header.readUInt32BE(0);
  if (magic !== WAL_MAGIC_LE && magic !== WAL_MAGIC_BE) return `${wal} does not start with the write-ahead log magic number`;
  if (header.readUInt32BE(4) !== WAL_FORMAT) return `${wal} has an unknown write-ahead log format ${header.readUInt32BE(4)}`;
  const pageSize = header.readUInt32BE(8);
  if (!(pageSize === 1 || (pageSize >= 512 && pageSize <= 32768 && (pageSize & (pageSize - 1)) === 0))) return `${wal} has an impossible page size ${pageSize}`;
  const [s0, s1] = walChecksum(header.subarray(0, 24), magic === WAL_MAGIC_BE);
  if (s0 !== header.readUInt32BE(24) || s1 !== header.readUInt32BE(28)) return `${wal} has a header whose checksum does not match`;
  return undefined;
}

/** SQLite's WAL checksum over 32-bit words, in the byte order the magic number names. */
function walChecksum(bytes: Buffer, bigEndian: boolean): [number, number] {
  let s0 = 0;
  let s1 = 0;
  for (let i = 0; i < bytes.length; i += 8) {
    const x0 = bigEndian ? bytes.readUInt32BE(i) : bytes.readUInt32LE(i);
    const x1 = bigEndian ? bytes.readUInt32BE(i + 4) : bytes.readUInt32LE(i + 4);
    s0 = (s0 + x0 + s1) >>> 0;
    s1 = (s1 + x1 + s0) >>> 0;
  }
  return [s0, s1];
}

export function walDamaged(path: string, problem: string): LedgersyncError {
  return new LedgersyncError(
    'state_wal_damaged',
    'config',
    `the write-ahead log of the state file ${path} is damaged: ${problem}; SQLite would ignore it and silently lose the last writes it holds`,
    {
      details: { path, wal: `${path}-wal` },
      fix: `${BACKUP_FIX}; or, to accept losing the writes in the log, move ${path}-wal away and run again (records whose write is then unknown are looked up before they are written)`,
    },
  );
}

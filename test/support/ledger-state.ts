/**
 * Ledger states a killed run leaves behind, written straight into a SQLite state file, for tests of
 * what the next run makes of them.
 */
import Database from 'better-sqlite3';

/**
 * The row a run leaves when it dies between the vendor's create and the ledger write: beginWrites'
 * mark only (pending_write = 1, no version, hash, target or payload), as for any record or part
 * written the first time. Returns how many rows it changed (1 when the entry existed).
 */
export function leaveWriteInDoubt(statePath: string, stream: string, sourceId: string): number {
  const db = new Database(statePath);
  try {
    return db
      .prepare(
        `UPDATE ledger SET source_version = NULL, content_hash = NULL, target_id = NULL, target_version = NULL, pending_write = 1,
                mapping_fingerprint = NULL, payload_json = NULL, written_at = NULL
          WHERE stream = ? AND source_id = ?`,
      )
      .run(stream, sourceId).changes;
  } finally {
    db.close();
  }
}

/**
 * Schema of the state store, applied in order; SQLite's `user_version` (PostgreSQL: the
 * state_schema_version table) records how far a database got. Written in SQLite's dialect;
 * postgres-dialect.ts translates each step for PostgreSQL, so a migration is written once.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    pipeline TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    finished_at INTEGER,
    status TEXT NOT NULL,
    exit_code INTEGER,
    counts_json TEXT,
    error_json TEXT,
    pid INTEGER NOT NULL,
    hostname TEXT NOT NULL
  );
  CREATE INDEX runs_by_pipeline ON runs (pipeline, started_at);

  CREATE TABLE locks (
    pipeline TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    pid INTEGER NOT NULL,
    hostname TEXT NOT NULL,
    acquired_at INTEGER NOT NULL
  );

  CREATE TABLE checkpoints (
    pipeline TEXT NOT NULL,
    stream TEXT NOT NULL,
    value_json TEXT NOT NULL,
    run_id TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (pipeline, stream)
  );

  -- source id -> target id, for ever: vendors' idempotency keys expire within hours, ours must not.
  CREATE TABLE ledger (
    pipeline TEXT NOT NULL,
    stream TEXT NOT NULL,
    source_id TEXT NOT NULL,
    source_version TEXT,
    content_hash TEXT,
    target_id TEXT,
    target_version TEXT,
    pending_write INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (pipeline, stream, source_id)
  );

  -- every write the engine asked a sink for: pending -> succeeded | failed
  CREATE TABLE operations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    stream TEXT NOT NULL,
    source_id TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT,
    target_id TEXT,
    error_json TEXT,
    started_at INTEGER NOT NULL,
    finished_at INTEGER
  );
  CREATE INDEX operations_by_record ON operations (pipeline, stream, source_id);

  CREATE TABLE dead_letters (
    pipeline TEXT NOT NULL,
    stream TEXT NOT NULL,
    source_id TEXT NOT NULL,
    source_version TEXT,
    record_json TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    error_code TEXT NOT NULL,
    error_kind TEXT NOT NULL,
    message TEXT NOT NULL,
    fix TEXT,
    details_json TEXT,
    attempts INTEGER NOT NULL DEFAULT 1,
    first_run_id TEXT NOT NULL,
    last_run_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (pipeline, stream, source_id)
  );

  CREATE TABLE kv (
    pipeline TEXT NOT NULL,
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    value_json TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (pipeline, scope, key)
  );

  CREATE TABLE secrets (
    pipeline TEXT NOT NULL,
    scope TEXT NOT NULL,
    name TEXT NOT NULL,
    salt BLOB NOT NULL,
    iv BLOB NOT NULL,
    tag BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (pipeline, scope, name)
  );
  `,
  // The mapping each ledger entry was written with, the payload last handed to the sink (the
  // canonical JSON its content hash was computed from) and when it was written, so a mapping edit
  // can be planned, applied and shown per record.
  `
  ALTER TABLE ledger ADD COLUMN mapping_fingerprint TEXT;
  ALTER TABLE ledger ADD COLUMN payload_json TEXT;
  ALTER TABLE ledger ADD COLUMN written_at INTEGER;
  CREATE INDEX ledger_by_fingerprint ON ledger (pipeline, stream, mapping_fingerprint);

  -- every fingerprint a stream ran with, and its parts (what was hashed), to say what changed
  CREATE TABLE mapping_fingerprints (
    pipeline TEXT NOT NULL,
    stream TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    components_json TEXT NOT NULL,
    first_run_id TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (pipeline, stream, fingerprint)
  );
  `,
  // The run lock becomes a lease (engine/state/lease.ts): a holder on another machine cannot be
  // checked by pid, so it renews an expiry instead, and an expired lock is taken over.
  `
  ALTER TABLE locks ADD COLUMN expires_at INTEGER;
  ALTER TABLE locks ADD COLUMN heartbeat_at INTEGER;
  `,
  `
  -- every write attempt of every connector, chained by hash per pipeline (engine/state/audit-trail.ts).
  -- A row is open (seq NULL) while its write is in flight and sealed into the chain once answered.
  CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pipeline TEXT NOT NULL,
    seq INTEGER,
    run_id TEXT NOT NULL,
    trigger TEXT NOT NULL,
    stream TEXT NOT NULL,
    source_id TEXT NOT NULL,
    source_version TEXT,
    object TEXT NOT NULL,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    target_id TEXT,
    target_version TEXT,
    payload_kind TEXT NOT NULL,
    payload_hash TEXT NOT NULL,
    payload_json TEXT NOT NULL,
    answer_json TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    prev_hash TEXT,
    entry_hash TEXT
  );
  CREATE UNIQUE INDEX audit_chain ON audit_log (pipeline, seq);
  CREATE INDEX audit_by_source ON audit_log (pipeline, source_id);

  -- the last sealed entry of each chain, so that removing the newest entries is noticed too
  CREATE TABLE audit_heads (
    pipeline TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    entry_hash TEXT NOT NULL
  );

  -- webhook deliveries, queued before they are acknowledged and kept for good (de-duplication)
  CREATE TABLE webhook_events (
    pipeline TEXT NOT NULL,
    event_id TEXT NOT NULL,
    event_type TEXT,
    received_at INTEGER NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    finished_at INTEGER,
    run_id TEXT,
    outcome_json TEXT,
    error_json TEXT,
    PRIMARY KEY (pipeline, event_id)
  );
  CREATE INDEX webhook_queue ON webhook_events (pipeline, status, next_attempt_at);
  `,
  `
  -- what a stream's cursor was read with (endpoint, params, start date): another read restarts it
  ALTER TABLE checkpoints ADD COLUMN read_scope TEXT;
  `,
];

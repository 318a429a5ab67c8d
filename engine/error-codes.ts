/**
 * The error-code catalogue: every code ledgersync raises, with its kind and a one-line meaning.
 * Each owner keeps its codes beside its code: the engine's are here, `domain/error-codes.ts` has the
 * domain modules', and each connector has `connectors/<system>/error-codes.ts`. Every catalogue
 * registers its type in `ErrorCatalogues` (declaration merging), so `ErrorCode` is the union of all
 * of them and a misspelt code in `new LedgersyncError(…)` does not compile. The README's error
 * table is checked against these files (test/architecture/error-catalogue.test.ts).
 */
import type { ErrorKind } from './errors.js';

/** What a process exits with; see the README's exit-code table. */
export type ExitCode = 0 | 1 | 2 | 3 | 4;

export interface ErrorCodeEntry {
  /** The kind the code is raised with; a list when one code is raised with different kinds in different places. */
  readonly kind: ErrorKind | readonly ErrorKind[];
  /** What happened, in one line (the README's error table). */
  readonly meaning: string;
}

/**
 * A family of codes built at run time from a prefix and what a vendor said: an HTTP status
 * (`http_` → `http_503`) or the vendor's own error code (`intacct_` → `intacct_bl34000061`).
 */
export interface ErrorFamilyEntry extends ErrorCodeEntry {
  /** What follows the prefix. */
  readonly suffix: 'number' | 'text';
  /** A code of the family, for the README. */
  readonly example: string;
}

export interface ErrorCatalogue {
  readonly codes: Readonly<Record<string, ErrorCodeEntry>>;
  /** By prefix. */
  readonly families?: Readonly<Record<string, ErrorFamilyEntry>>;
}

/** The engine's own entries may set the exit code; every other code exits by its kind (`exitCodeFor`). */
interface EngineErrorCodeEntry extends ErrorCodeEntry {
  readonly exit?: ExitCode;
}

type FamilyCodes<Families> = {
  [Prefix in keyof Families & string]: Families[Prefix] extends { suffix: 'number' } ? `${Prefix}${number}` : `${Prefix}${string}`;
}[keyof Families & string];

/** The codes one catalogue declares. */
export type CodesOf<Catalogue extends ErrorCatalogue> =
  | (keyof Catalogue['codes'] & string)
  | (Catalogue extends { families: infer Families } ? FamilyCodes<Families> : never);

export const engineErrorCodes = {
  codes: {
    invalid_configuration: { kind: 'config', meaning: 'the pipeline file has problems; each one is printed as file:line:col: message' },
    run_locked: {
      kind: 'config',
      exit: 4,
      meaning: 'another run, post or reset of the same pipeline holds the run lock; a scheduler skips this tick',
    },
    run_aborted: {
      kind: 'transient',
      meaning:
        'SIGTERM or SIGINT stopped the run within 2 s (requests in flight abandoned; a write among them is looked up before it is repeated); the next run resumes from the last checkpoint',
    },
    unknown_stream: { kind: 'config', meaning: '--stream names a stream the pipeline does not declare' },
    unknown_record: { kind: 'config', meaning: 'ledgersync show was given a source id the ledger does not hold; the fix names the ids next to it' },
    unknown_connector: { kind: 'config', meaning: 'the pipeline names a connector this installation does not have' },
    not_a_source: { kind: 'config', meaning: 'the connector named under source: cannot read' },
    not_a_sink: { kind: 'config', meaning: 'the connector named under sink: cannot write' },
    command_not_applicable: { kind: 'config', meaning: "a connector's command was given a pipeline that does not use that connector" },
    unexpected_error: {
      kind: ['system', 'record'],
      meaning: 'something other than a ledgersync error was thrown (a bug, or a library failing); the message is the original one',
    },
    state_unreadable: { kind: 'config', meaning: 'the state file cannot be opened (a path whose folder cannot be created, a folder where the file should be)' },
    state_corrupt: { kind: 'config', meaning: "the state file is not an SQLite database, is damaged, or is another program's database" },
    state_read_only: { kind: 'config', meaning: 'the state file or its folder cannot be written by the user running ledgersync' },
    state_locked: { kind: 'config', meaning: 'another program (an sqlite3 shell, a backup or BI tool) holds a lock on the state file' },
    state_too_new: { kind: 'config', meaning: 'the state file was written by a newer ledgersync, with a state schema this one does not know' },
    state_wal_damaged: {
      kind: 'config',
      meaning: "the state file's write-ahead log (<file>-wal) has a damaged header; SQLite would silently drop the writes it holds",
    },
    state_io_failed: { kind: 'config', meaning: 'the disk under the state file failed a read or write (full, I/O error)' },
    state_unavailable: {
      kind: ['transient', 'system'],
      meaning: 'the PostgreSQL state database cannot be reached or dropped the connection; the run stops, the next one resumes from the last checkpoint',
    },
    state_query_failed: {
      kind: 'system',
      meaning:
        'the PostgreSQL state database refused a statement (a bug, or a schema changed by hand), or a value its text cannot hold (U+0000 in a record id) was refused before sending',
    },
    state_copy_refused: {
      kind: ['config', 'system'],
      meaning:
        'ledgersync state migrate refused: a run holds a lock, the target already has state of the same pipeline, the schemas differ, or the source is a PostgreSQL database of an older schema or holds no state',
    },
    queue_needs_postgres: {
      kind: 'config',
      meaning: 'schedule, enqueue, worker and workers need the state in PostgreSQL (LEDGERSYNC_STATE=postgres://…), where the job queue lives',
    },
    pipeline_version_mismatch: {
      kind: 'config',
      meaning:
        'a queued job names a pipeline file this worker lacks or has in another version (its SHA-256 differs); the job is retried, maybe on another worker',
    },
    invalid_cron: { kind: 'config', meaning: 'ledgersync schedule was given a --cron expression that is not one (five fields, or six with seconds first)' },
    run_lease_lost: {
      kind: 'transient',
      meaning: "the run's lock lease expired (the process stalled or was cut off) and another run took it over; this run stopped before its next write",
    },
    secret_key_missing: { kind: 'config', meaning: 'LEDGERSYNC_SECRET_KEY is unset or shorter than 16 characters, and a token must be stored' },
    secret_undecryptable: { kind: 'config', meaning: 'a stored token cannot be decrypted with the current LEDGERSYNC_SECRET_KEY' },
    sink_result_mismatch: { kind: 'system', meaning: 'a sink returned a different number of results than records it was given (a connector bug)' },
    invalid_cases: { kind: 'config', meaning: 'a mapping-test file has no list of cases under cases:' },
    no_base_url: { kind: 'system', meaning: 'a connector descriptor declares no base_url (a connector bug)' },
    invalid_base_url: { kind: 'config', meaning: "a connection's base URL override is not an http(s) URL" },
    missing_connection_value: { kind: 'config', meaning: 'a connection block lacks a value its connector needs (site, company id, directory…)' },
    invalid_connection_value: { kind: 'config', meaning: "a connection value breaks the descriptor's rule for it (a site name with a dot…)" },
    invalid_arguments: {
      kind: 'config',
      meaning: 'command-line arguments that do not go together (e.g. --out without --format junit, or a cases file given as the pipeline)',
    },
    file_unwritable: { kind: 'config', meaning: 'a file the command must write (a JUnit report, a scaffolded pipeline) cannot be written' },
    invalid_customer: {
      kind: 'config',
      meaning: 'ledgersync init was given a customer name that cannot name a folder and a pipeline (letters, digits, . _ - only)',
    },
    unknown_target: { kind: 'config', meaning: 'ledgersync init was given a --target it has no example pipeline for' },
    files_exist: { kind: 'config', meaning: 'ledgersync init would overwrite files that exist (use --force to replace them)' },
    example_missing: { kind: 'system', meaning: 'the installed package lacks the example pipeline ledgersync init copies (a broken install)' },
    isolation_unavailable: {
      kind: 'system',
      meaning: 'validate cannot start its checking worker because the built worker file is missing (run npm run build)',
    },
    auth_needs_hook: { kind: 'system', meaning: 'a descriptor declares OAuth but the connector gives no hook to authorize requests (a connector bug)' },
    auth_needs_code: { kind: 'system', meaning: "an auth type that only the connector's code implements was used as static headers (a connector bug)" },
    connection_failed: {
      kind: 'transient',
      meaning: 'the network failed after every retry (DNS, refused connection, reset, timeout); a write cut off so is looked up before it is sent again',
    },
    unreadable_response: {
      kind: 'transient',
      meaning:
        'a vendor (or a proxy in front of it) answered 2xx with a body that cannot be read: truncated, an HTML page, not JSON, too large; the message shows its content type and first bytes',
    },
    unexpected_response: {
      kind: 'transient',
      meaning:
        'a vendor answered with a body of an unexpected shape (no list where one was expected, a write answered without the document it wrote, which is then looked up)',
    },
    paging_loop: { kind: 'transient', meaning: 'a listing returned the same next-page token twice; reading stopped instead of looping' },
    unknown_endpoint: { kind: 'config', meaning: 'a stream names an endpoint the source connector does not have' },
    transform_failed: { kind: 'record', meaning: "a JSONata expression failed on a record (the message names the expression's line)" },
    mapping_budget_exceeded: {
      kind: 'record',
      meaning:
        "a record's mapping ran past one of its limits (time, function nesting, value size, memory; limits: in the pipeline): the record is dead-lettered",
    },
    mapping_not_object: { kind: 'record', meaning: "a stream's mapping produced something other than an object" },
    invalid_action: { kind: 'record', meaning: 'a mapping set _action to something other than upsert, delete, void or skip' },
    invalid_argument: {
      kind: 'record',
      meaning:
        'a mapping called $truncate() with a limit that is not a whole number, $digest() with a length outside 1–64 or a text that is several values, or $lookup() / $ref() / $refOrNull() with a key that is several values (a path that matched many lines) or an object',
    },
    invalid_timestamp: { kind: 'record', meaning: '$date() or $datetime() was given something other than unix seconds' },
    lookup_missing: { kind: 'record', meaning: 'a lookup table has no entry for the key and no default; the fix names the entry to add' },
    unknown_lookup_table: { kind: 'config', meaning: '$lookup() names a table not declared under lookups:' },
    reference_not_synced: {
      kind: 'record',
      meaning: '$ref() points at a record of an earlier stream that has not reached the target yet; it waits in the dead-letter table',
    },
    webhook_secret_missing: { kind: 'config', meaning: 'ledgersync serve needs LEDGERSYNC_WEBHOOK_SECRET, at least 16 characters' },
    webhooks_unsupported: {
      kind: 'config',
      meaning: 'ledgersync serve was given a pipeline whose source connector cannot read webhooks or fetch records by id',
    },
    duplicate_pipeline_name: { kind: 'config', meaning: 'ledgersync serve was given two pipelines with the same name: both would answer at /webhooks/<name>' },
    serve_listen_failed: { kind: 'config', meaning: 'ledgersync serve cannot listen on --host / --port (in use, or not allowed)' },
    unknown_source_id: { kind: 'config', meaning: 'ledgersync replay --id names a record no stream of the pipeline has read; name the stream with --stream' },
    audit_chain_broken: {
      kind: 'system',
      exit: 1,
      meaning: 'ledgersync audit --verify found an entry of the audit trail that was edited, deleted or inserted after it was written',
    },
  },
  families: {
    http_: {
      suffix: 'number',
      example: 'http_404',
      kind: ['auth', 'transient', 'record'],
      meaning: 'an HTTP error answer of a connector without its own error mapping, by status',
    },
  },
} as const satisfies { codes: Readonly<Record<string, EngineErrorCodeEntry>>; families: Readonly<Record<string, ErrorFamilyEntry>> };

/**
 * Every catalogue's type, by owner. A domain module or connector adds its own from its
 * error-codes.ts with `declare module '…/engine/error-codes.js' { interface ErrorCatalogues { … } }`.
 */
export interface ErrorCatalogues {
  engine: typeof engineErrorCodes;
}

/** Every error code ledgersync raises. */
export type ErrorCode = { [Owner in keyof ErrorCatalogues]: CodesOf<ErrorCatalogues[Owner]> }[keyof ErrorCatalogues];

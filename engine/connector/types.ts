/**
 * The contract between the engine and a connector. A connector is a folder under `connectors/`
 * with a `connector.yaml` descriptor (data) and an `index.ts` exporting a `ConnectorModule`
 * (the code data cannot express). Any connector may be a source, a sink, or both.
 *
 * Data flows one way: source pages → transform → sink batches → checkpoint.
 */
import type { LedgersyncError } from '../errors.js';
import type { ConnectorCommand } from './command.js';
import type { HttpConnection, HttpConnectionFactory } from '../http/connection.js';
import type { Logger } from '../log.js';
import type { ConnectorDescriptor } from './descriptor.js';
import type { SourceEvent, WebhookReceiver } from './webhook.js';

export type { SourceEvent, WebhookReceiver };

/** One record as the source read it. */
export interface SourceRecord {
  /** The source system's id, unique within the stream. */
  id: string;
  /**
   * Monotonic version of this record (Chargebee `resource_version`). Used to drop a version that was
   * already processed, so lookback windows never emit a record twice. Omitted when the source has none.
   */
  version?: string;
  /** True when the source says the record was deleted; the transform sees it as `$deleted`. */
  deleted: boolean;
  /** The record as the source returned it. */
  data: Record<string, unknown>;
}

/** A page of records plus the checkpoint to persist once every record in it is confirmed. */
export interface SourcePage {
  records: SourceRecord[];
  /**
   * The stream checkpoint valid after this page, saved once every record of the page is confirmed;
   * undefined when the stream cannot checkpoint here (a listing not sorted by its cursor yields its
   * checkpoint once, on an empty page after the last one).
   */
  checkpoint?: unknown;
  /** Human progress: the page number. */
  progress?: { page: number };
}

/** Everything a stream read needs, already resolved from the pipeline and the descriptor. */
export interface StreamReadRequest {
  /** Pipeline stream name. */
  stream: string;
  /** Connector endpoint name (e.g. `invoices`). */
  endpoint: string;
  /** Checkpoint persisted by the previous run, or undefined on a first / full-refresh run. */
  checkpoint: unknown;
  /** Unix seconds: nothing older is read (pipeline `start_date`). */
  startDate?: number;
  /** Seconds re-read before the checkpoint, to catch records that share its second or arrive late. */
  lookbackSeconds: number;
  /** Extra query parameters declared on the stream. */
  params: Record<string, string>;
}

export interface SourceContext {
  log: Logger;
  signal: AbortSignal;
  /** Now, in unix seconds: injectable for tests. */
  now(): number;
}

export interface Source {
  /** Checks credentials and anything else the source needs before reading (e.g. catalog version). */
  open?(ctx: SourceContext, streams: readonly StreamReadRequest[]): Promise<void>;
  /** Pages of records in cursor order; the last `checkpoint` a page carries is the stream's new checkpoint. */
  read(request: StreamReadRequest, ctx: SourceContext): AsyncIterable<SourcePage>;
  /**
   * The current state of records by id, read through the stream's endpoint with the stream's
   * parameters and start date (deleted records included where the endpoint lists them). An id not
   * returned is unknown, or outside what the stream reads. Used by webhooks and `ledgersync replay`.
   */
  fetch?(request: StreamReadRequest, ids: readonly string[], ctx: SourceContext): Promise<SourceRecord[]>;
  /** An event fetched again by id, for webhooks; undefined when the source does not know the id. */
  fetchEvent?(eventId: string, ctx: SourceContext): Promise<SourceEvent | undefined>;
  close?(): Promise<void>;
}

/** What the ledger already knows of a record, from earlier runs. */
export interface LedgerEntry {
  sourceId: string;
  sourceVersion: string | null;
  contentHash: string | null;
  targetId: string | null;
  targetVersion: string | null;
  /** A write was started for it and never confirmed (crash between request and ledger write): look it up before creating. */
  pendingWrite: boolean;
  updatedAt: number;
  /** The fingerprint of the mapping that wrote it (null: written before fingerprints were kept, or never written). */
  mappingFingerprint?: string | null;
}

/** One mapped record handed to a sink. */
export interface SinkRecord {
  /** Pipeline stream name. */
  stream: string;
  /** Target object named by the stream (e.g. `Invoice`, `journal_entry`, a JSONL file name). */
  object: string;
  sourceId: string;
  sourceVersion?: string;
  deleted: boolean;
  /**
   * What the mapping asks of the sink (reserved output field `_action`): `upsert` (default: create
   * or update), `delete`, or `void`. `skip` never reaches a sink.
   */
  action: 'upsert' | 'delete' | 'void';
  /** The mapped record (output of the stream's JSONata mapping). */
  data: Record<string, unknown>;
  /** Value of the stream's natural key in the mapped record (`target.key`), when declared. */
  naturalKey?: string;
  /** Hash of `data`; equal hashes mean nothing changed since the last write. */
  contentHash: string;
  /** `data` as canonical JSON (keys sorted at every level), when the engine already wrote it: a sink that stores JSON need not serialise it again. */
  dataJson?: string;
  /** What the ledger knows of this record, if anything. */
  previous?: LedgerEntry;
}

/** A record `ledgersync plan` asks a sink about. */
export interface PlanningRecord extends SinkRecord {
  /**
   * The ledger knows the target document but kept no copy of the payload last written: return the
   * document as the target holds it (`current`), when the sink can read it, for the field diff.
   */
  wantCurrent?: boolean;
}

/**
 * What a write of one record would do, without doing it (`ledgersync plan`): `create`, `update` the
 * document the ledger or a look-up found, `adopt` a document already in the target (linked, not
 * changed), `void`, `delete`, `skip`, or `fail` with the error the record would be dead-lettered with.
 */
export type PlannedWrite =
  | {
      action: 'create' | 'update' | 'adopt' | 'void' | 'delete' | 'skip';
      targetId?: string;
      /** Why, when it is not obvious (`found by DocNumber 1042`, `created, then voided`). */
      note?: string;
      /** The target's document as it is now, when asked for (`wantCurrent`). */
      current?: Record<string, unknown>;
    }
  | { action: 'fail'; error: LedgersyncError };

/** Identifiers of one kind (`Account`, `GLACCOUNT`…, as the descriptor's `references.kinds` names them) to verify in the target. */
export interface ReferenceQuery {
  kind: string;
  values: readonly string[];
}

/** The target's answer about one identifier. */
export interface ReferenceAnswer {
  value: string;
  /** `unknown`: the target cannot be asked about this kind (the answer says why). */
  status: 'ok' | 'missing' | 'inactive' | 'unknown';
  /** What the target says, for a person: `Account 80 "Subscription Revenue"`, `no Item with Id 99`. */
  answer: string;
}

export type SinkResult = (
  | { status: 'created' | 'updated'; targetId: string; targetVersion?: string }
  | { status: 'skipped'; reason: string; targetId?: string; targetVersion?: string }
  | { status: 'failed'; error: LedgersyncError }
) & {
  /** What the audit trail should keep beyond the mapped record and the result, when the sink knows it. */
  audit?: SinkAudit;
};

/**
 * A sink's own account of a write for the audit trail. Without it the trail keeps the mapped record
 * the sink was given, the result, and the HTTP status an error carries in `details.status`.
 */
export interface SinkAudit {
  /** The body sent to the vendor, when it differs from the mapped record (values wrapped, XML as text…). */
  sent?: unknown;
  /** The vendor's HTTP status. */
  httpStatus?: number;
  /** The vendor's own code for its answer (an error code, a document number…). */
  vendorCode?: string;
}

export interface SinkContext {
  pipeline: string;
  runId: string;
  log: Logger;
  signal: AbortSignal;
  /** Target id already recorded for a source record of another (or the same) stream. */
  resolveTarget(stream: string, sourceId: string): string | undefined;
  /** Small durable key/value store scoped to this pipeline and connector (tokens, posted periods…). */
  kv: KeyValueStore;
  /** Durable encrypted secrets scoped to this pipeline and connector (rotated refresh tokens). */
  secrets: SecretStore;
  /** The run's clock in unix seconds (injectable in tests). Absent: the system clock. */
  now?(): number;
  /**
   * The audit trail, for writes a sink makes on its own rather than for a record it was given (a
   * period journal posted at close): each is recorded like a batch write. Absent in unit tests.
   */
  writeTrail?: SinkWriteTrail;
}

export interface SinkWriteTrail {
  /** Records the write before its request is sent; settle it with the answer. */
  begin(write: { stream: string; object: string; sourceId: string; action: string; payload: unknown }): SinkWriteAttempt;
}

export interface SinkWriteAttempt {
  answered(result: SinkResult): void;
  threw(error: unknown): void;
}

export interface KeyValueStore {
  get<T = unknown>(key: string): T | undefined;
  set(key: string, value: unknown): void;
  delete(key: string): void;
  /** Runs `fn` so that every set / delete in it lands together or not at all. */
  transaction?(fn: () => void): void;
}

export interface SecretStore {
  get(name: string): string | undefined;
  /** Persists at once (synchronously), encrypted with LEDGERSYNC_SECRET_KEY. */
  set(name: string, value: string): void;
}

export interface Sink {
  /** Authenticates and checks the target before any write (fails fast with an `auth` or `config` error). */
  open?(ctx: SinkContext): Promise<void>;
  /** Largest batch the sink accepts; the runner splits pages to fit. Default 100. */
  readonly maxBatchSize?: number;
  /**
   * Writes a batch and returns one result per record, in the same order. A per-record failure is a
   * `failed` result (the record is dead-lettered, the run goes on); throwing fails the whole batch
   * and stops the stream (use it for auth / connection failures).
   */
  write(batch: readonly SinkRecord[], ctx: SinkContext): Promise<SinkResult[]>;
  /**
   * Called once after every stream was written (flush files, post period journals…). Work that
   * cannot land until a person acts in the target (a locked accounting period) and stays in retry
   * is returned as `waiting`, not thrown: the run ends with exit 1, like a dead letter, so a
   * scheduler alerts without stopping the customer's other syncs.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: most sinks' close returns nothing; only those with waiting work return a report
  close?(ctx: SinkContext): Promise<void | SinkCloseReport>;
  /**
   * Called once when the run ends, whatever happened (after `close` on success, alone after a
   * failure or a stop): give back what must not outlive the run, such as a vendor session that
   * holds a licence seat. It must not throw; it should log what it could not release.
   */
  dispose?(): Promise<void>;
  /**
   * Read-only: what `write` would do with each record (one answer per record, in order), looking
   * documents up by natural key where the run would. Authenticates by itself (`open` is not called
   * first) and must change nothing in the target nor in `ctx.kv`. A sink without it is planned
   * from the ledger alone.
   */
  plan?(batch: readonly PlanningRecord[], ctx: SinkContext): Promise<PlannedWrite[]>;
  /**
   * Read-only preflight (`ledgersync check`): authenticates (storing a rotated token at most once)
   * and answers, per query and per value in order, whether each identifier exists and is active.
   * Throws an `auth` / `transient` error when the target cannot be reached, a `config` one when it
   * is not the target the pipeline names (no such company). Writes nothing.
   */
  check?(queries: readonly ReferenceQuery[], ctx: SinkContext): Promise<ReferenceAnswer[][]>;
}

/** Work a sink keeps for a later run, with what a person must do first. */
export interface WaitingWork {
  /** What waits, for a person: `DualEntry period 2026-01`. */
  subject: string;
  error: LedgersyncError;
}

export interface SinkCloseReport {
  waiting?: readonly WaitingWork[];
}

/** The connection block of a pipeline (`source:` or `sink:`), after `${VAR}` interpolation. */
export type ConnectionConfig = Readonly<Record<string, unknown>> & { connector: string };

export interface ConnectorFactoryInput {
  connection: ConnectionConfig;
  descriptor: ConnectorDescriptor;
  /** Directory the pipeline file lives in, for relative paths. */
  pipelineDir: string;
  /** Pipeline name (scopes state). */
  pipeline: string;
  /** IANA timezone of the pipeline. */
  timezone: string;
  /** Top-level pipeline blocks the engine does not know (e.g. `revenue_recognition:`), for the connector to read. */
  extensions: Readonly<Record<string, unknown>>;
  /** The pipeline's lookup tables, by name (values, default, and what the values identify in the sink: `references`). */
  lookups: Readonly<Record<string, { values: Readonly<Record<string, unknown>>; default?: unknown; references?: string }>>;
  /** The pipeline's options. */
  options: Readonly<Record<string, unknown>>;
  log: Logger;
  /**
   * The engine's one fetch client. Connectors do not call it directly: `openConnection(input, hooks)`
   * (engine/connector/open-connection.ts) builds the connection from the descriptor and the
   * pipeline's overrides; tests inject a factory here (no-wait sleeps, counters).
   */
  http: HttpConnectionFactory;
}

export type { HttpConnection };

/** A reference a connector reads itself: every value of a lookup `table`, or the value of the sink's connection `property`. */
export type ConnectorReference = { table: string; kind: string; via: string } | { property: string; kind: string; via: string };

export interface ConnectorModule {
  name: string;
  createSource?(input: ConnectorFactoryInput): Source;
  createSink?(input: ConnectorFactoryInput): Sink;
  /** Lines for `ledgersync status` about the connector's own durable state (e.g. periods waiting to post). */
  describeState?(kv: KeyValueStore): string[];
  /** Commands this connector adds to the CLI (DualEntry's `post`). */
  commands?: readonly ConnectorCommand[];
  /**
   * What the connector itself reads as references (not through a mapping): lookup tables, e.g.
   * DualEntry's `revenue_recognition.accounts` tables, and connection properties, e.g. its
   * `sink.rounding_account`. `ledgersync check` verifies their values too.
   */
  connectorReferences?(input: Pick<ConnectorFactoryInput, 'extensions' | 'lookups' | 'connection'>): ConnectorReference[];
  /** How the connector reads webhook deliveries, when its source can be served by `ledgersync serve`. */
  webhooks?: WebhookReceiver;
}

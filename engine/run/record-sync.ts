/**
 * Syncs chosen records instead of a whole listing: records fetched by id from the source go through
 * the same streams, StreamWriter, ledger and audit trail as a scheduled run's pages. Checkpoints
 * are not touched: the next scheduled run still reads everything that changed. The caller holds
 * the pipeline's run lock (`ledgersync serve` for webhooks, `ledgersync replay`).
 */
import { LedgersyncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Plan, StreamPlan } from '../config/plan.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { Sink, SinkContext, Source, SourceContext, SourceEvent, SourceRecord, WaitingWork } from '../connector/types.js';
import type { StateStore } from '../state/store.js';
import { createBindings } from '../transform/bindings.js';
import { streamFingerprint } from '../transform/fingerprint.js';
import { assertTokensCanBeKept } from './credentials.js';
import { emptyCounts, type StreamCounts } from './progress.js';
import { closeSink, createConnectors, readRequest, releaseConnectors, sinkContext } from './runner.js';
import { StreamWriter } from './stream-writer.js';

export interface RecordSyncInput {
  plan: Plan;
  connectors: ConnectorRegistry;
  state: StateStore;
  /** The run holding the lock. */
  runId: string;
  log: Logger;
  signal: AbortSignal;
  /** Unix seconds. */
  now: () => number;
  /** LEDGERSYNC_SECRET_KEY, for sinks that keep encrypted tokens. */
  secretKey: string | undefined;
  /** Map versions the ledger already holds again (replay). Default false: they are dropped, as in a run. */
  reprocess?: boolean;
}

export interface SyncRequest {
  /** Why, per source id, for the audit trail (`webhook ev_…`, `replay`). */
  trigger: (sourceId: string) => string;
  /** A copy to use for an id the source does not return (the dead letter's copy, for a replay). */
  fallback?: (sourceId: string) => SourceRecord | undefined;
}

export interface StreamSyncResult {
  /** Ids the source returned. */
  fetched: string[];
  /** Ids written from the fallback copy instead. */
  fromCopy: string[];
  /** Ids neither the source nor a copy had: deleted for good, or outside what the stream reads. */
  missing: string[];
}

export class RecordSync {
  readonly counts: Record<string, StreamCounts>;
  private readonly sourceCtx: SourceContext;
  private readonly sinkCtx: SinkContext;
  private readonly bindings: Record<string, unknown>;
  private released = false;

  private constructor(
    private readonly input: RecordSyncInput,
    private readonly source: Source,
    private readonly sink: Sink,
  ) {
    const { plan, state, runId, log, signal, now } = input;
    this.counts = Object.fromEntries(plan.streams.map((s) => [s.name, emptyCounts()]));
    this.sourceCtx = { log: log.child('source'), signal, now };
    this.sinkCtx = sinkContext({ plan, state, runId, log: log.child('sink'), signal, now, secretKey: input.secretKey });
    this.bindings = createBindings({ options: plan.options, lookups: plan.lookups, timezone: plan.timezone, resolveTarget: this.sinkCtx.resolveTarget });
  }

  /** Builds the pipeline's source and sink and opens both (credentials checked before anything is read). */
  static async open(input: RecordSyncInput): Promise<RecordSync> {
    const { source, sink } = createConnectors(input.plan, input.connectors, input.log, input.signal);
    const sync = new RecordSync(input, source, sink);
    try {
      assertTokensCanBeKept(input.plan, input.state, input.secretKey, input.log);
      await source.open?.(
        sync.sourceCtx,
        input.plan.streams.map((stream) => readRequest(input.plan, stream, undefined)),
      );
      await sink.open?.(sync.sinkCtx);
    } catch (error) {
      // The sink may have signed in before it failed: its session is given back too.
      await sync.release();
      throw error;
    }
    return sync;
  }

  /** Whether the source can fetch records by id (else only fallback copies can be synced). */
  get canFetch(): boolean {
    return typeof this.source.fetch === 'function';
  }

  /** The event fetched again from the source; undefined when the source does not know it. */
  async fetchEvent(eventId: string): Promise<SourceEvent | undefined> {
    if (!this.source.fetchEvent) {
      throw new LedgersyncError('webhooks_unsupported', 'config', `the ${this.input.plan.source.config.connector} source cannot fetch events`);
    }
    return this.source.fetchEvent(eventId, this.sourceCtx);
  }

  /** Fetches the records by id and writes them through the stream, as a page of a run. */
  async sync(stream: StreamPlan, ids: readonly string[], request: SyncRequest): Promise<StreamSyncResult> {
    const { plan, state, runId, log } = this.input;
    const wanted = new Set(ids);
    const fetched = this.source.fetch ? await this.source.fetch(readRequest(plan, stream, undefined), [...wanted], this.sourceCtx) : [];
    const records = fetched.filter((r) => wanted.has(r.id));
    const found = new Set(records.map((r) => r.id));
    const fromCopy: string[] = [];
    const missing: string[] = [];
    for (const id of wanted) {
      if (found.has(id)) continue;
      const copy = request.fallback?.(id);
      if (copy) {
        records.push(copy);
        fromCopy.push(id);
      } else {
        missing.push(id);
      }
    }
    // Entries written here carry the mapping that wrote them, as a run's do (plan and show read it).
    const { fingerprint, components } = streamFingerprint(plan, stream);
    state.recordFingerprint(plan.name, stream.name, fingerprint, components, runId);
    const writer = new StreamWriter({
      plan,
      stream,
      state,
      sink: this.sink,
      sinkCtx: this.sinkCtx,
      bindings: this.bindings,
      runId,
      counts: this.counts[stream.name]!,
      log,
      trigger: request.trigger,
      fingerprint,
      remap: this.input.reprocess ?? false,
    });
    if (records.length) await writer.writePage(records);
    return { fetched: [...found], fromCopy, missing };
  }

  /**
   * After the last write, as a run ends: the sink's close (flushes, period journals…) while the lease
   * is still held, then the sink's dispose and the source's close, whatever close did. Returns the
   * work the sink keeps waiting for a person (a locked period), which counts like a dead letter.
   */
  async finish(): Promise<readonly WaitingWork[]> {
    try {
      return await closeSink(this.sink, this.sinkCtx, this.input.state, this.input.log);
    } finally {
      await this.release();
    }
  }

  /** After a failure: the sink is not asked to finish anything, but gives back its session (a licence seat); the source is closed. */
  async abandon(): Promise<void> {
    await this.release();
  }

  /** Once, whichever of open, finish and abandon gets there first. */
  private async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await releaseConnectors(this.source, this.sink);
  }
}

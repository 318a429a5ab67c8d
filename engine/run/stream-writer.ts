/**
 * One stream's half of the run: drops versions already processed (unless the run re-maps them: a
 * full refresh, or a stream read from the start after `reset`), maps records, skips unchanged ones
 * by content hash, writes batches to the sink and records every outcome in the ledger, with the
 * fingerprint of the mapping that produced it and the payload sent.
 */
import { LedgersyncError, asLedgersyncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Plan, StreamPlan } from '../config/plan.js';
import type { LedgerEntry, Sink, SinkContext, SinkRecord, SinkResult, SourceRecord } from '../connector/types.js';
import { compareVersions, type StateStore, type WriteOutcome } from '../state/store.js';
import { hashOfCanonical, stableStringify } from '../transform/hash.js';
import { mapRecord } from '../transform/mapper.js';
import { answerOf, answerOfThrown, attemptsOf } from './audit-entries.js';
import { pacer } from '../pace.js';
import type { StreamCounts } from './progress.js';

export interface StreamWriterInput {
  plan: Plan;
  stream: StreamPlan;
  state: StateStore;
  sink: Sink;
  sinkCtx: SinkContext;
  bindings: Record<string, unknown>;
  runId: string;
  counts: StreamCounts;
  log: Logger;
  /** The stream's mapping fingerprint (engine/transform/fingerprint.ts), recorded with every entry written. */
  fingerprint?: string;
  /**
   * Map again the versions the ledger already holds, instead of dropping them: a mapping edit then
   * reaches documents already written, as updates of the same target documents, and a record whose
   * output did not change is still skipped by its content hash. Default false (incremental runs).
   */
  remap?: boolean;
  /** Why the writes happen, per source record, for the audit trail. Default: `run`. */
  trigger?: (sourceId: string) => string;
}

/** A source record whose mapped outputs are in flight, so its dead letter / seen mark is settled once. */
interface Pending {
  record: SourceRecord;
  outstanding: number;
  failed: boolean;
}

export class StreamWriter {
  private readonly pipeline: string;
  private readonly batchSize: number;

  /** A turn for signals and the lease heartbeat every 50 ms of mapping; throws once the run is stopped. */
  private readonly pace: () => Promise<void>;

  constructor(private readonly input: StreamWriterInput) {
    this.pace = pacer(input.sinkCtx.signal);
    this.pipeline = input.plan.name;
    const sinkMax = input.sink.maxBatchSize ?? 100;
    this.batchSize = Math.max(1, Math.min(input.stream.batchSize ?? sinkMax, sinkMax));
  }

  /**
   * Re-processes records that failed in earlier runs (a lookup was fixed, a dependency synced…).
   * Called after the stream's read, so a record the source returned afresh in this run has already
   * superseded its stored copy; letters this run wrote or retried are left for the next run.
   */
  async retryDeadLetters(): Promise<void> {
    const letters = this.input.state.deadLettersBefore(this.pipeline, this.input.stream.name, this.input.runId);
    if (!letters.length) return;
    this.input.log.info(`${this.input.stream.name}: retrying ${letters.length} record(s) that failed before`);
    const records: SourceRecord[] = letters.map((l) => ({
      id: l.sourceId,
      ...(l.sourceVersion ? { version: l.sourceVersion } : {}),
      deleted: l.deleted,
      data: l.record,
    }));
    for (let i = 0; i < records.length; i += 100) await this.writePage(records.slice(i, i + 100), true);
  }

  private alreadyProcessed(record: SourceRecord, entry: LedgerEntry | undefined): boolean {
    if (record.version === undefined || !entry || entry.pendingWrite || entry.sourceVersion === null) return false;
    const order = compareVersions(record.version, entry.sourceVersion);
    return this.input.remap ? order < 0 : order <= 0;
  }

  async writePage(records: readonly SourceRecord[], retrying = false): Promise<void> {
    const { stream, state, counts } = this.input;
    const batch: SinkRecord[] = [];
    const owners: Pending[] = [];
    const seenIds = new Set<string>();
    const settled: SourceRecord[] = [];
    const failed: Array<[SourceRecord, LedgersyncError]> = [];
    const confirmed: string[] = [];
    const payloads: string[] = [];
    const { fingerprint } = this.input;

    for (const record of records) {
      await this.pace();
      if (!retrying) counts.read++;
      const entry = state.getLedger(this.pipeline, stream.name, record.id);
      if (seenIds.has(record.id) || this.alreadyProcessed(record, entry)) {
        // A dead letter superseded by a newer version that went through is simply resolved.
        if (retrying) state.resolveDeadLetter(this.pipeline, stream.name, record.id);
        else counts.skipped++;
        continue;
      }
      seenIds.add(record.id);
      let outcome: Awaited<ReturnType<typeof mapRecord>>;
      try {
        outcome = await mapRecord(stream, record, this.input.bindings);
      } catch (error) {
        failed.push([record, asLedgersyncError(error, 'record')]);
        continue;
      }
      if (outcome.kind === 'filtered') {
        counts.skipped++;
        settled.push(record);
        continue;
      }
      counts.skipped += outcome.skipped.length;
      const pending: Pending = { record, outstanding: 0, failed: false };
      for (const mapped of outcome.records) {
        // The canonical text is hashed, and kept as the payload if the record is written.
        const canonical = stableStringify({ object: mapped.object, action: mapped.action, data: mapped.data });
        const hash = hashOfCanonical(canonical);
        const previous = mapped.sourceId === record.id ? entry : state.getLedger(this.pipeline, stream.name, mapped.sourceId);
        if (previous && !previous.pendingWrite && previous.contentHash === hash && previous.targetId !== null) {
          counts.skipped++;
          if (fingerprint !== undefined && previous.mappingFingerprint !== fingerprint) confirmed.push(mapped.sourceId);
          continue;
        }
        pending.outstanding++;
        batch.push({
          stream: stream.name,
          object: mapped.object,
          sourceId: mapped.sourceId,
          ...(record.version !== undefined ? { sourceVersion: record.version } : {}),
          deleted: record.deleted,
          action: mapped.action,
          data: mapped.data,
          ...(mapped.naturalKey !== undefined ? { naturalKey: mapped.naturalKey } : {}),
          contentHash: hash,
          ...(previous ? { previous } : {}),
        });
        owners.push(pending);
        payloads.push(canonical);
      }
      if (pending.outstanding === 0) settled.push(record);
    }
    state.transaction(() => {
      for (const record of settled) this.settle(record);
      for (const [record, error] of failed) this.deadLetter(record, error);
      for (const sourceId of confirmed) state.confirmMapping(this.pipeline, stream.name, sourceId, fingerprint!);
    });

    for (let i = 0; i < batch.length; i += this.batchSize) {
      await this.writeBatch(batch.slice(i, i + this.batchSize), owners.slice(i, i + this.batchSize), payloads.slice(i, i + this.batchSize));
    }
  }

  private async writeBatch(batch: SinkRecord[], owners: Pending[], payloads: string[]): Promise<void> {
    const { state, sink, sinkCtx, counts, runId } = this.input;
    const { operationIds, attempts } = state.transaction(() => ({
      operationIds: state.beginWrites(
        this.pipeline,
        runId,
        batch.map((r) => ({ stream: r.stream, sourceId: r.sourceId, action: r.action })),
      ),
      attempts: state.audit.open(this.pipeline, runId, attemptsOf(batch, this.input.trigger ?? (() => 'run'))),
    }));
    let results: SinkResult[];
    try {
      // Throwing here (auth lost, connection gone) stops the stream: the operations stay pending and
      // the next run looks those records up before writing.
      results = await sink.write(batch, sinkCtx);
      if (results.length !== batch.length) {
        throw new LedgersyncError('sink_result_mismatch', 'system', `sink ${sinkCtx.pipeline} returned ${results.length} results for ${batch.length} records`);
      }
    } catch (thrown) {
      const answer = answerOfThrown(thrown);
      state.audit.seal(
        this.pipeline,
        attempts,
        batch.map(() => answer),
      );
      throw thrown;
    }
    const outcomes: WriteOutcome[] = results.map((result, i) => {
      const record = batch[i]!;
      const base = {
        stream: record.stream,
        sourceId: record.sourceId,
        sourceVersion: record.sourceVersion ?? null,
        contentHash: record.contentHash,
        mappingFingerprint: this.input.fingerprint,
        payloadJson: payloads[i],
      };
      if (result.status === 'failed') {
        return { ...base, status: 'failed', mayHaveSucceeded: result.error.mayHaveSucceeded, error: result.error.toJSON() };
      }
      return { ...base, status: result.status, targetId: result.targetId, targetVersion: result.targetVersion };
    });
    state.transaction(() => {
      state.finishWrites(this.pipeline, runId, operationIds, outcomes);
      state.audit.seal(this.pipeline, attempts, results.map(answerOf));
      results.forEach((result, i) => {
        const owner = owners[i]!;
        owner.outstanding--;
        if (result.status === 'failed') {
          if (!owner.failed) this.deadLetter(owner.record, result.error);
          owner.failed = true;
        } else {
          counts[result.status]++;
          if (result.status === 'created' || result.status === 'updated') counts.written++;
        }
        if (owner.outstanding === 0 && !owner.failed) this.settle(owner.record);
      });
    });
  }

  /** Every output of the record is confirmed: remember its version and clear any old dead letter. Runs inside a transaction. */
  private settle(record: SourceRecord): void {
    const { state, stream } = this.input;
    const entry = state.getLedger(this.pipeline, stream.name, record.id);
    if (!entry || entry.sourceVersion !== (record.version ?? null)) {
      if (!entry?.pendingWrite) state.markSeen(this.pipeline, stream.name, record.id, record.version ?? null);
    }
    state.resolveDeadLetter(this.pipeline, stream.name, record.id);
  }

  private deadLetter(record: SourceRecord, error: LedgersyncError): void {
    const { state, stream, counts, runId, log } = this.input;
    counts.failed++;
    state.putDeadLetter(this.pipeline, runId, {
      stream: stream.name,
      sourceId: record.id,
      sourceVersion: record.version ?? null,
      record: record.data,
      deleted: record.deleted,
      error,
    });
    log.warn(`${stream.name} ${record.id}: ${error.actionable}`);
  }
}

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
import { canonicalOfMapped, hashOfCanonical, stableStringify } from '../transform/hash.js';
import { mapRecord, type MapOutcome, type MappedRecord } from '../transform/mapper.js';
import { answerOf, answerOfThrown, attemptsOf } from './audit-entries.js';
import { pacer } from '../pace.js';
import { retractions } from './removed-parts.js';
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
  /** What the stream is read with (read-scope.ts), saved with its checkpoint. */
  readScope?: string;
}

/** A source record whose mapped outputs are in flight, so its dead letter / seen mark is settled once. */
interface Pending {
  record: SourceRecord;
  /** What the ledger held for the record's own id when the page was read. */
  entry: LedgerEntry | undefined;
  outstanding: number;
  failed: boolean;
  /** An output with the record's own id was recorded: its ledger row now holds this version. */
  ownIdRecorded: boolean;
  /** What the mapping made of it: which parts it keeps, for a stream that retracts removed parts (removed-parts.ts). */
  outcome: MapOutcome;
}

/** One page's write, as the transactions around the sink calls need it. */
interface PageWrite {
  batch: SinkRecord[];
  owners: Pending[];
  /** `stableStringify({ object, action, data })`: hashed, and kept as the ledger's payload (the audit trail's is each record's `dataJson`). */
  payloads: string[];
  /** Source ids of the page that had a dead letter when it was read. */
  lettered: Set<string>;
}

/** A page after mapping: what needs no sink call, and the outputs of each record that mapped. */
interface MappedPage {
  /** Records with nothing to write (filtered, or every output unchanged): their version is recorded. */
  settled: Pending[];
  /** Dead letters being retried that a newer version already superseded. */
  resolved: string[];
  /** Records whose mapping failed: dead-lettered. */
  failed: Array<[SourceRecord, LedgersyncError]>;
  outputs: Array<[Pending, MappedRecord[]]>;
}

export interface PageOptions {
  /** The records are dead letters of earlier runs being retried (not counted as read again). Default false. */
  retrying?: boolean;
  /**
   * The source's position after this page: saved in the page's last transaction, after every record
   * of the page is recorded. Default: none saved.
   */
  checkpoint?: unknown;
}

const runTrigger = () => 'run';

/** Records of one cause (error code) a stream warns about one by one; the rest go to debug, and the run's summary groups them all. */
const WARNINGS_PER_CAUSE = 5;

export class StreamWriter {
  private readonly pipeline: string;
  /** Records per sink call: the stream's `batch_size`, at most the sink's own maximum. */
  readonly batchSize: number;

  /** A turn for signals and the lease heartbeat every 50 ms of mapping; throws once the run is stopped. */
  private readonly pace: () => Promise<void>;
  /** Dead letters warned about so far, by error code. */
  private readonly warned = new Map<string, number>();

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
    for (let i = 0; i < records.length; i += 100) await this.writePage(records.slice(i, i + 100), { retrying: true });
  }

  private alreadyProcessed(record: SourceRecord, entry: LedgerEntry | undefined): boolean {
    if (record.version === undefined || !entry || entry.pendingWrite || entry.sourceVersion === null) return false;
    const order = compareVersions(record.version, entry.sourceVersion);
    return this.input.remap ? order < 0 : order <= 0;
  }

  /**
   * Writes one page. The state moves in as few transactions as the exactly-once invariant allows:
   * per sink batch, one that marks its records pending BEFORE the sink is called (with the page's
   * records that need no write, in the first) and one that records the answers AFTER (with the
   * checkpoint, in the last). A page with nothing to write is one transaction, committed without
   * waiting for the disk: losing it to a power cut only means the page is read and skipped again.
   */
  async writePage(records: readonly SourceRecord[], options: PageOptions = {}): Promise<void> {
    const { stream, state } = this.input;
    const ids = records.map((r) => r.id);
    const ledger = state.ledgerEntries(this.pipeline, stream.name, ids);
    const lettered = state.deadLetterIdsAmong(this.pipeline, stream.name, ids);
    const mapped = await this.mapPage(records, ledger, options.retrying ?? false);
    this.readPartEntries(mapped.outputs, ledger);
    const { page, confirmed } = this.pageWrite(mapped, ledger, lettered);

    /** What needs no sink call: committed with the first batch's pending marks, or alone. */
    const recordUnwritten = () => {
      for (const id of mapped.resolved) state.resolveDeadLetter(this.pipeline, stream.name, id);
      for (const pending of mapped.settled) this.settle(pending, lettered);
      for (const [record, error] of mapped.failed) this.deadLetter(record, error);
      for (const sourceId of confirmed) state.confirmMapping(this.pipeline, stream.name, sourceId, this.input.fingerprint!);
    };
    const saveCheckpoint = () => {
      if (options.checkpoint !== undefined)
        state.saveCheckpoint(this.pipeline, stream.name, options.checkpoint, this.input.runId, this.input.readScope ?? null);
    };
    if (!page.batch.length) {
      state.transaction(
        () => {
          recordUnwritten();
          saveCheckpoint();
        },
        { durable: false },
      );
      return;
    }
    for (let i = 0; i < page.batch.length; i += this.batchSize) {
      const end = i + this.batchSize;
      await this.writeBatch(page, i, Math.min(end, page.batch.length), {
        ...(i === 0 ? { before: recordUnwritten } : {}),
        ...(end >= page.batch.length ? { after: saveCheckpoint } : {}),
      });
    }
  }

  /** Maps the page's records that are new to the ledger (or re-mapped), sorting out those that need no write. */
  private async mapPage(records: readonly SourceRecord[], ledger: ReadonlyMap<string, LedgerEntry>, retrying: boolean): Promise<MappedPage> {
    const { stream, counts } = this.input;
    const mapped: MappedPage = { settled: [], resolved: [], failed: [], outputs: [] };
    const seenIds = new Set<string>();
    for (const record of records) {
      await this.pace();
      if (!retrying) counts.read++;
      const entry = ledger.get(record.id);
      if (seenIds.has(record.id) || this.alreadyProcessed(record, entry)) {
        // A dead letter superseded by a newer version that went through is simply resolved.
        if (retrying) mapped.resolved.push(record.id);
        else counts.skipped++;
        continue;
      }
      seenIds.add(record.id);
      let outcome: MapOutcome;
      try {
        outcome = await mapRecord(stream, record, this.input.bindings);
      } catch (error) {
        mapped.failed.push([record, asLedgersyncError(error, 'record')]);
        continue;
      }
      const pending: Pending = { record, entry, outstanding: 0, failed: false, ownIdRecorded: false, outcome };
      if (outcome.kind === 'filtered') {
        counts.skipped++;
        // Left out by the stream's filter now, its parts written before are all removed ones.
        if (stream.removedParts && !outcome.beforeStart) mapped.outputs.push([pending, []]);
        else mapped.settled.push(pending);
        continue;
      }
      counts.skipped += outcome.skipped.length;
      mapped.outputs.push([pending, outcome.records]);
    }
    return mapped;
  }

  /** Outputs with ids of their own (`<id>#<part>`): their ledger entries in one more read. */
  private readPartEntries(outputs: MappedPage['outputs'], ledger: Map<string, LedgerEntry>): void {
    const partIds: string[] = [];
    for (const [{ record }, records] of outputs) for (const m of records) if (m.sourceId !== record.id && !ledger.has(m.sourceId)) partIds.push(m.sourceId);
    if (!partIds.length) return;
    for (const [id, entry] of this.input.state.ledgerEntries(this.pipeline, this.input.stream.name, partIds)) ledger.set(id, entry);
  }

  /**
   * The sink records of the page's outputs whose content changed since they were written, each
   * serialised once; unchanged outputs are skipped (and confirmed under the current mapping), and a
   * record with nothing left to write joins `mapped.settled`.
   */
  private pageWrite(mapped: MappedPage, ledger: ReadonlyMap<string, LedgerEntry>, lettered: Set<string>): { page: PageWrite; confirmed: string[] } {
    const { stream, counts, fingerprint } = this.input;
    const page: PageWrite = { batch: [], owners: [], payloads: [], lettered };
    const confirmed: string[] = [];
    const storedParts = stream.removedParts
      ? this.input.state.partEntries(
          this.pipeline,
          stream.name,
          mapped.outputs.map(([{ record }]) => record.id),
        )
      : undefined;
    for (const [pending, outputs] of mapped.outputs) {
      const { record } = pending;
      // Retractions first: a part moved to another target frees what the new one may need (a credit memo's credit).
      const stored = storedParts?.get(record.id);
      for (const removed of stored && stream.removedParts ? retractions(stream, stream.removedParts, record, pending.outcome, stored) : []) {
        pending.outstanding++;
        page.batch.push(removed.record);
        page.owners.push(pending);
        page.payloads.push(removed.canonical);
      }
      for (const output of outputs) {
        const data = stableStringify(output.data);
        const canonical = canonicalOfMapped(output.object, output.action, data);
        const hash = hashOfCanonical(canonical);
        const previous = output.sourceId === record.id ? pending.entry : ledger.get(output.sourceId);
        if (previous && !previous.pendingWrite && previous.contentHash === hash && previous.targetId !== null) {
          counts.skipped++;
          if (fingerprint !== undefined && previous.mappingFingerprint !== fingerprint) confirmed.push(output.sourceId);
          continue;
        }
        pending.outstanding++;
        page.batch.push({
          stream: stream.name,
          object: output.object,
          sourceId: output.sourceId,
          ...(record.version !== undefined ? { sourceVersion: record.version } : {}),
          deleted: record.deleted,
          action: output.action,
          data: output.data,
          ...(output.naturalKey !== undefined ? { naturalKey: output.naturalKey } : {}),
          contentHash: hash,
          dataJson: data,
          ...(previous ? { previous } : {}),
        });
        page.owners.push(pending);
        page.payloads.push(canonical);
      }
      if (pending.outstanding === 0) mapped.settled.push(pending);
    }
    return { page, confirmed };
  }

  /**
   * Writes `page.batch[from, to)`. `before` joins the transaction of the pending marks, `after` the
   * one that records the answers.
   */
  private async writeBatch(page: PageWrite, from: number, to: number, extra: { before?: () => void; after?: () => void }): Promise<void> {
    const { state, sink, sinkCtx, counts, runId } = this.input;
    const batch = page.batch.slice(from, to);
    const { operationIds, attempts } = state.transaction(() => {
      extra.before?.();
      return {
        operationIds: state.beginWrites(this.pipeline, runId, batch),
        attempts: state.audit.open(this.pipeline, runId, attemptsOf(batch, this.input.trigger ?? runTrigger)),
      };
    });
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
      const outcome: WriteOutcome = {
        stream: record.stream,
        sourceId: record.sourceId,
        sourceVersion: record.sourceVersion ?? null,
        contentHash: record.contentHash,
        mappingFingerprint: this.input.fingerprint,
        payloadJson: page.payloads[from + i],
        status: result.status,
      };
      if (result.status === 'failed') {
        outcome.mayHaveSucceeded = result.error.mayHaveSucceeded;
        outcome.error = result.error.toJSON();
      } else {
        outcome.targetId = result.targetId;
        outcome.targetVersion = result.targetVersion;
      }
      return outcome;
    });
    state.transaction(() => {
      state.finishWrites(this.pipeline, runId, operationIds, outcomes);
      state.audit.seal(this.pipeline, attempts, results.map(answerOf));
      for (let i = 0; i < results.length; i++) {
        const result = results[i]!;
        const owner = page.owners[from + i]!;
        owner.outstanding--;
        if (result.status === 'failed') {
          if (!owner.failed) this.deadLetter(owner.record, result.error);
          owner.failed = true;
        } else {
          if (batch[i]!.sourceId === owner.record.id) owner.ownIdRecorded = true;
          counts[result.status]++;
          if (result.status === 'created' || result.status === 'updated') counts.written++;
        }
        if (owner.outstanding === 0 && !owner.failed) this.settle(owner, page.lettered);
      }
      extra.after?.();
    });
  }

  /**
   * Every output of the record is confirmed: remember its version and clear any old dead letter.
   * Runs inside a transaction. The ledger is not read again: the page's snapshot of the record's own
   * id still holds, unless an output with that id was just recorded, which wrote this version.
   */
  private settle(pending: Pending, lettered: ReadonlySet<string>): void {
    const { state, stream } = this.input;
    const { record, entry } = pending;
    if (!pending.ownIdRecorded && (!entry || entry.sourceVersion !== (record.version ?? null)) && !entry?.pendingWrite) {
      state.markSeen(this.pipeline, stream.name, record.id, record.version ?? null);
    }
    if (lettered.has(record.id)) state.resolveDeadLetter(this.pipeline, stream.name, record.id);
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
    const line = `${stream.name} ${record.id}: ${error.actionable}`;
    const count = (this.warned.get(error.code) ?? 0) + 1;
    this.warned.set(error.code, count);
    if (count <= WARNINGS_PER_CAUSE) {
      log.warn(line);
      return;
    }
    if (count === WARNINGS_PER_CAUSE + 1) {
      log.warn(
        `${stream.name}: more records fail with ${error.code}; not listed one by one (the run's summary counts them by cause, \`ledgersync status\` lists them, LEDGERSYNC_LOG_LEVEL=debug prints each)`,
      );
    }
    log.debug(line);
  }
}

/**
 * The run loop's exactly-once half, alone: StreamWriter against an in-memory sink and an in-memory
 * state store, with mappings compiled from JSONata as the loader compiles them.
 */
import jsonata from 'jsonata';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompiledExpression, LookupTable, Plan, StreamPlan } from '../../../engine/config/plan.js';
import type { ConnectorDescriptor } from '../../../engine/connector/descriptor.js';
import type { Sink, SinkContext, SinkRecord, SinkResult, SourceRecord } from '../../../engine/connector/types.js';
import { LedgersyncError } from '../../../engine/errors.js';
import { silentLogger } from '../../../engine/log.js';
import { emptyCounts, type StreamCounts } from '../../../engine/run/progress.js';
import { StreamWriter } from '../../../engine/run/stream-writer.js';
import { StateStore } from '../../../engine/state/store.js';
import { createBindings } from '../../../engine/transform/bindings.js';
import { DEFAULT_MAPPING_LIMITS } from '../../../engine/transform/budget.js';

const PIPELINE = 'writer-test';
const STREAM = 'invoices';
const position = { file: 'writer-test.yaml', line: 1, column: 1 };

function expression(source: string, path = '/streams/0/mapping/expression'): CompiledExpression {
  const compiled = jsonata(source);
  return {
    source,
    position,
    path,
    evaluate: (input, bindings) => compiled.evaluate(input, bindings),
    engine: { kind: 'interpreted', reason: 'the stream-writer test uses the interpreter', offset: 0, at: position },
  };
}

/** Maps an invoice to a journal entry; `parts` invoices map to one record per line (`_part`). */
const MAPPING = `
  parts
    ? lines.{ "_part": id, "number": $$.id & "-" & id, "account": $lookup("accounts", code), "amount": amount }
    : { "number": id, "account": $lookup("accounts", code), "amount": amount }`;

function streamPlan(batchSize?: number): StreamPlan {
  return {
    name: STREAM,
    endpoint: STREAM,
    params: {},
    lookbackSeconds: 0,
    mapping: { kind: 'expression', expression: expression(MAPPING) },
    target: { object: 'journal_entry', key: 'number' },
    ...(batchSize !== undefined ? { batchSize } : {}),
    limits: DEFAULT_MAPPING_LIMITS,
    position,
  };
}

function lookups(values: Record<string, string>): Record<string, LookupTable> {
  return { accounts: { name: 'accounts', description: '', values, hasDefault: false, position } };
}

function planOf(stream: StreamPlan): Plan {
  const connection = { config: { connector: 'memory' }, descriptor: {} as ConnectorDescriptor };
  return {
    file: position.file,
    dir: '.',
    name: PIPELINE,
    description: '',
    timezone: 'UTC',
    source: connection,
    sink: connection,
    options: {},
    lookups: {},
    streams: [stream],
    limits: DEFAULT_MAPPING_LIMITS,
    extensions: {},
  };
}

type Respond = (record: SinkRecord) => SinkResult;
const created: Respond = (record) => ({ status: 'created', targetId: `T-${record.sourceId}` });

/** A sink that keeps every batch it was given and answers each record with `respond`. */
class MemorySink implements Sink {
  readonly batches: SinkRecord[][] = [];
  respond: Respond = created;
  /** Replaces the whole answer, to break the one-result-per-record contract. */
  answer: ((batch: readonly SinkRecord[]) => SinkResult[]) | undefined;

  constructor(readonly maxBatchSize = 100) {}

  async write(batch: readonly SinkRecord[]): Promise<SinkResult[]> {
    this.batches.push([...batch]);
    return this.answer ? this.answer(batch) : batch.map((record) => this.respond(record));
  }

  get written(): string[] {
    return this.batches.flat().map((r) => r.sourceId);
  }
}

let state: StateStore;
beforeEach(() => {
  state = StateStore.open(':memory:');
});
afterEach(() => state.close());

/** One run's writer for the stream; a new `runId` is a new run. */
function writer(
  sink: Sink,
  options: {
    runId?: string;
    accounts?: Record<string, string>;
    batchSize?: number;
    fingerprint?: string;
    remap?: boolean;
    trigger?: (id: string) => string;
  } = {},
): { writer: StreamWriter; counts: StreamCounts } {
  const runId = options.runId ?? 'run-1';
  const counts = emptyCounts();
  const stream = streamPlan(options.batchSize);
  const sinkCtx: SinkContext = {
    pipeline: PIPELINE,
    runId,
    log: silentLogger,
    signal: new AbortController().signal,
    resolveTarget: (s, id) => state.targetIdOf(PIPELINE, s, id),
    kv: state.keyValue(PIPELINE, 'memory'),
    secrets: state.secretStore(PIPELINE, 'memory', undefined),
  };
  const bindings = createBindings({
    options: {},
    lookups: lookups(options.accounts ?? { SAAS: '4000' }),
    timezone: 'UTC',
    resolveTarget: sinkCtx.resolveTarget,
  });
  const extra = {
    ...(options.fingerprint !== undefined ? { fingerprint: options.fingerprint } : {}),
    ...(options.remap !== undefined ? { remap: options.remap } : {}),
    ...(options.trigger !== undefined ? { trigger: options.trigger } : {}),
  };
  return { writer: new StreamWriter({ plan: planOf(stream), stream, state, sink, sinkCtx, bindings, runId, counts, log: silentLogger, ...extra }), counts };
}

function invoice(id: string, version: string | undefined, data: Record<string, unknown> = {}): SourceRecord {
  return { id, ...(version !== undefined ? { version } : {}), deleted: false, data: { id, code: 'SAAS', amount: '10.00', ...data } };
}

const ledger = (sourceId: string) => state.getLedger(PIPELINE, STREAM, sourceId);
const deadLetters = () => state.deadLetters(PIPELINE, STREAM).map((d) => ({ sourceId: d.sourceId, code: d.errorCode, attempts: d.attempts }));
const counted = (counts: StreamCounts) => ({ ...counts });

describe('StreamWriter', () => {
  it('writes mapped records and records target, version and hash in the ledger', async () => {
    const sink = new MemorySink();
    const { writer: w, counts } = writer(sink);
    await w.writePage([invoice('in_1', '5')]);
    expect(sink.batches).toHaveLength(1);
    expect(sink.batches[0]![0]).toMatchObject({
      stream: STREAM,
      object: 'journal_entry',
      sourceId: 'in_1',
      sourceVersion: '5',
      action: 'upsert',
      naturalKey: 'in_1',
      data: { number: 'in_1', account: '4000', amount: '10.00' },
    });
    expect(sink.batches[0]![0]!.previous).toBeUndefined();
    expect(ledger('in_1')).toMatchObject({ sourceVersion: '5', targetId: 'T-in_1', pendingWrite: false, contentHash: sink.batches[0]![0]!.contentHash });
    expect(counted(counts)).toEqual({ read: 1, written: 1, created: 1, updated: 0, skipped: 0, failed: 0 });
  });

  it('drops versions already processed and a second copy of a record in the same page', async () => {
    const sink = new MemorySink();
    await writer(sink).writer.writePage([invoice('in_1', '5')]);

    const { writer: w, counts } = writer(sink, { runId: 'run-2' });
    await w.writePage([invoice('in_1', '5'), invoice('in_1', '4'), invoice('in_2', '1'), invoice('in_2', '1')]);
    expect(sink.written).toEqual(['in_1', 'in_2']);
    expect(counts).toMatchObject({ read: 4, created: 1, skipped: 3 });

    // A newer version is written again (its content changed).
    await w.writePage([invoice('in_1', '6', { amount: '12.00' })]);
    expect(sink.written).toEqual(['in_1', 'in_2', 'in_1']);
    expect(sink.batches.at(-1)![0]!.previous).toMatchObject({ sourceVersion: '5', targetId: 'T-in_1' });
    expect(ledger('in_1')).toMatchObject({ sourceVersion: '6' });
  });

  it('re-maps versions it already wrote when asked to (full refresh): changed output is an update of the same target, unchanged output is skipped', async () => {
    const sink = new MemorySink();
    await writer(sink, { fingerprint: 'fp-1', accounts: { SAAS: '4000', SUPPORT: '4000' } }).writer.writePage([
      invoice('in_1', '5'),
      invoice('in_2', '5', { code: 'SUPPORT' }),
    ]);
    expect(state.lastPayload(PIPELINE, STREAM, 'in_1')).toEqual({
      object: 'journal_entry',
      action: 'upsert',
      data: { number: 'in_1', account: '4000', amount: '10.00' },
    });
    expect(state.recordHistory(PIPELINE, 'in_1')[0]).toMatchObject({ mappingFingerprint: 'fp-1', writtenAt: expect.any(Number) });

    // Without remap the same versions are dropped before mapping, whatever the mapping says now.
    const incremental = writer(sink, { runId: 'run-2', fingerprint: 'fp-2', accounts: { SAAS: '4100', SUPPORT: '4000' } });
    await incremental.writer.writePage([invoice('in_1', '5'), invoice('in_2', '5', { code: 'SUPPORT' })]);
    expect(sink.batches).toHaveLength(1);

    const full = writer(sink, { runId: 'run-3', fingerprint: 'fp-2', remap: true, accounts: { SAAS: '4100', SUPPORT: '4000' } });
    await full.writer.writePage([invoice('in_1', '5'), invoice('in_2', '5', { code: 'SUPPORT' }), invoice('in_3', '4')]);
    expect(sink.batches).toHaveLength(2);
    expect(sink.batches[1]!.map((r) => [r.sourceId, r.data['account'], r.previous?.targetId])).toEqual([
      ['in_1', '4100', 'T-in_1'],
      ['in_3', '4100', undefined],
    ]);
    expect(full.counts).toMatchObject({ read: 3, skipped: 1 });
    // The unchanged record counts as written with the new mapping; the updated one was written with it.
    expect(ledger('in_2')!.mappingFingerprint).toBe('fp-2');
    expect(ledger('in_1')!.mappingFingerprint).toBe('fp-2');
    expect((state.lastPayload(PIPELINE, STREAM, 'in_1') as { data: Record<string, unknown> }).data['account']).toBe('4100');

    // An older version than the one written is still dropped, even when re-mapping.
    await writer(sink, { runId: 'run-4', fingerprint: 'fp-2', remap: true }).writer.writePage([invoice('in_1', '4', { amount: '1.00' })]);
    expect(sink.batches).toHaveLength(2);
  });

  it('skips a new version whose mapped content hashes the same, and remembers the version', async () => {
    const sink = new MemorySink();
    await writer(sink).writer.writePage([invoice('in_1', '1')]);
    const hash = ledger('in_1')!.contentHash;

    const { writer: w, counts } = writer(sink, { runId: 'run-2' });
    // `note` is not mapped, so the target record is unchanged.
    await w.writePage([invoice('in_1', '2', { note: 'edited in the source' })]);
    expect(sink.batches).toHaveLength(1);
    expect(counts).toMatchObject({ read: 1, skipped: 1, written: 0 });
    expect(ledger('in_1')).toMatchObject({ sourceVersion: '2', contentHash: hash, targetId: 'T-in_1' });
  });

  it('writes each element of a _part array as its own record, and settles the source record once all are confirmed', async () => {
    const sink = new MemorySink();
    const parts = invoice('in_9', '3', {
      parts: true,
      lines: [
        { id: 'l1', code: 'SAAS', amount: '1.00' },
        { id: 'l2', code: 'SAAS', amount: '2.00' },
        { id: 'l3', code: 'SAAS', amount: '3.00' },
      ],
    });
    sink.respond = (record) =>
      record.sourceId === 'in_9#l1' ? created(record) : { status: 'failed', error: new LedgersyncError('http_400', 'record', 'line refused') };
    const { writer: w, counts } = writer(sink);
    await w.writePage([parts]);
    expect(sink.written).toEqual(['in_9#l1', 'in_9#l2', 'in_9#l3']);
    expect(sink.batches[0]!.map((r) => r.naturalKey)).toEqual(['in_9-l1', 'in_9-l2', 'in_9-l3']);
    expect(ledger('in_9#l1')).toMatchObject({ targetId: 'T-in_9#l1' });
    // Failing parts dead-letter the source record once, and its version is not marked seen.
    expect(deadLetters()).toEqual([{ sourceId: 'in_9', code: 'http_400', attempts: 1 }]);
    expect(ledger('in_9')).toBeUndefined();
    expect(counts).toMatchObject({ read: 1, created: 1, failed: 1 });

    // The retry writes only the parts that failed: the other hashes the same.
    sink.respond = created;
    const next = writer(sink, { runId: 'run-2' });
    await next.writer.retryDeadLetters();
    expect(sink.batches.at(-1)!.map((r) => r.sourceId)).toEqual(['in_9#l2', 'in_9#l3']);
    expect(deadLetters()).toEqual([]);
    expect(ledger('in_9')).toMatchObject({ sourceVersion: '3' });
    expect(next.counts).toMatchObject({ read: 0, created: 2, skipped: 1 });
  });

  it('dead-letters a record whose mapping fails, writes the rest, and settles both in the state', async () => {
    const sink = new MemorySink();
    const { writer: w, counts } = writer(sink);
    await w.writePage([invoice('in_1', '1', { code: 'HARDWARE' }), invoice('in_2', '1')]);
    expect(sink.written).toEqual(['in_2']);
    const [letter] = state.deadLetters(PIPELINE, STREAM);
    expect(letter).toMatchObject({
      sourceId: 'in_1',
      sourceVersion: '1',
      errorCode: 'lookup_missing',
      errorKind: 'record',
      record: { id: 'in_1', code: 'HARDWARE' },
    });
    expect(letter!.message).toMatch(/no entry for 'HARDWARE' in lookup table 'accounts'/);
    expect(letter!.fix).toMatch(/lookups\.accounts\.values/);
    expect(ledger('in_1')).toBeUndefined();
    expect(counts).toMatchObject({ read: 2, created: 1, failed: 1 });
  });

  it('dead-letters a record the sink refuses and clears its pending-write mark', async () => {
    const sink = new MemorySink();
    sink.respond = () => ({ status: 'failed', error: new LedgersyncError('http_404', 'record', 'account 4000 does not exist', { fix: 'map it' }) });
    const { writer: w, counts } = writer(sink);
    await w.writePage([invoice('in_1', '1')]);
    expect(state.deadLetters(PIPELINE, STREAM)).toEqual([
      expect.objectContaining({ sourceId: 'in_1', errorCode: 'http_404', message: 'account 4000 does not exist', fix: 'map it' }),
    ]);
    expect(ledger('in_1')).toMatchObject({ pendingWrite: false, targetId: null });
    expect(state.pendingOperations(PIPELINE)).toEqual([]);
    expect(counts).toMatchObject({ failed: 1, written: 0 });
  });

  it('keeps the pending-write mark when a failed write may have succeeded, so the next attempt looks it up first', async () => {
    const sink = new MemorySink();
    sink.respond = () => ({ status: 'failed', error: new LedgersyncError('connection_failed', 'transient', 'no answer', { mayHaveSucceeded: true }) });
    await writer(sink).writer.writePage([invoice('in_1', '1')]);
    expect(ledger('in_1')).toMatchObject({ pendingWrite: true, targetId: null });
    expect(deadLetters()).toEqual([{ sourceId: 'in_1', code: 'connection_failed', attempts: 1 }]);

    // The same version is not "already processed" while the mark stands: it is written again, flagged.
    sink.respond = created;
    const { writer: w } = writer(sink, { runId: 'run-2' });
    await w.writePage([invoice('in_1', '1')]);
    expect(sink.batches.at(-1)![0]!.previous).toMatchObject({ pendingWrite: true });
    expect(ledger('in_1')).toMatchObject({ pendingWrite: false, targetId: 'T-in_1' });
    expect(deadLetters()).toEqual([]);
  });

  it('splits a page into batches of the sink maximum, or of the stream batch size when smaller', async () => {
    const page = Array.from({ length: 7 }, (_, i) => invoice(`in_${i}`, '1'));
    const small = new MemorySink(3);
    await writer(small).writer.writePage(page);
    expect(small.batches.map((b) => b.length)).toEqual([3, 3, 1]);

    state.close();
    state = StateStore.open(':memory:');
    const capped = new MemorySink(3);
    await writer(capped, { batchSize: 50 }).writer.writePage(page);
    expect(capped.batches.map((b) => b.length)).toEqual([3, 3, 1]);

    state.close();
    state = StateStore.open(':memory:');
    const byStream = new MemorySink(100);
    await writer(byStream, { batchSize: 2 }).writer.writePage(page);
    expect(byStream.batches.map((b) => b.length)).toEqual([2, 2, 2, 1]);
  });

  it('stops with sink_result_mismatch when the sink answers with the wrong number of results, leaving the writes pending', async () => {
    const sink = new MemorySink();
    sink.answer = (batch) => batch.slice(1).map(created);
    const { writer: w } = writer(sink);
    const failure = w.writePage([invoice('in_1', '1'), invoice('in_2', '1')]);
    await expect(failure).rejects.toThrowError(expect.objectContaining({ code: 'sink_result_mismatch', kind: 'system' }));
    await expect(failure).rejects.toThrow(/returned 1 results for 2 records/);
    expect(state.pendingOperations(PIPELINE).map((o) => o.sourceId)).toEqual(['in_1', 'in_2']);
    expect(ledger('in_1')).toMatchObject({ pendingWrite: true, targetId: null });
  });

  it('retries dead letters of earlier runs after the read, not those of this run nor records it read afresh', async () => {
    const sink = new MemorySink();
    const first = writer(sink);
    await first.writer.writePage([invoice('in_1', '1', { code: 'HARDWARE' }), invoice('in_2', '1', { code: 'HARDWARE' })]);
    // Letters this run wrote are left for the next run.
    await first.writer.retryDeadLetters();
    expect(sink.batches).toEqual([]);
    expect(deadLetters()).toEqual([
      { sourceId: 'in_1', code: 'lookup_missing', attempts: 1 },
      { sourceId: 'in_2', code: 'lookup_missing', attempts: 1 },
    ]);

    // The lookup table is fixed; the source returns a newer in_2 (mapped), and in_1 is not read again.
    const second = writer(sink, { runId: 'run-2', accounts: { SAAS: '4000', HARDWARE: '4100' } });
    await second.writer.writePage([invoice('in_2', '2', { code: 'HARDWARE' })]);
    expect(sink.written).toEqual(['in_2']);
    await second.writer.retryDeadLetters();
    expect(sink.written).toEqual(['in_2', 'in_1']);
    expect(sink.batches.at(-1)![0]).toMatchObject({ sourceId: 'in_1', sourceVersion: '1', data: { account: '4100' } });
    expect(deadLetters()).toEqual([]);
    expect(ledger('in_1')).toMatchObject({ sourceVersion: '1', targetId: 'T-in_1' });
    expect(ledger('in_2')).toMatchObject({ sourceVersion: '2' });
    expect(second.counts).toMatchObject({ read: 1, created: 2, failed: 0 });
  });

  it('resolves without writing a dead letter whose version the ledger has already passed', async () => {
    const sink = new MemorySink();
    state.putDeadLetter(PIPELINE, 'run-1', {
      stream: STREAM,
      sourceId: 'in_1',
      sourceVersion: '1',
      record: invoice('in_1', '1').data,
      deleted: false,
      error: new LedgersyncError('lookup_missing', 'record', 'no entry'),
    });
    state.markSeen(PIPELINE, STREAM, 'in_1', '2');
    const { writer: w, counts } = writer(sink, { runId: 'run-2' });
    await w.retryDeadLetters();
    expect(sink.batches).toEqual([]);
    expect(deadLetters()).toEqual([]);
    expect(counts).toMatchObject({ read: 0, skipped: 0, failed: 0 });
  });

  it('a retry that fails again counts another attempt and keeps the letter', async () => {
    const sink = new MemorySink();
    await writer(sink).writer.writePage([invoice('in_1', '1', { code: 'HARDWARE' })]);
    const again = writer(sink, { runId: 'run-2' });
    await again.writer.retryDeadLetters();
    expect(deadLetters()).toEqual([{ sourceId: 'in_1', code: 'lookup_missing', attempts: 2 }]);
    expect(again.counts).toMatchObject({ read: 0, failed: 1 });
  });
});

describe('StreamWriter: the audit trail', () => {
  const trail = () => state.audit.entries(PIPELINE);

  it('records each record sent with the mapped payload and the answer, and nothing for what it skips unchanged', async () => {
    const sink = new MemorySink();
    sink.respond = (record) =>
      record.sourceId === 'in_2'
        ? { status: 'failed', error: new LedgersyncError('http_400', 'record', 'Amount is invalid', { details: { status: 400 } }) }
        : { status: 'created', targetId: `T-${record.sourceId}` };
    await writer(sink, { trigger: (id) => `webhook ev_${id}` }).writer.writePage([invoice('in_1', '5'), invoice('in_2', '5')]);
    expect(trail().map((e) => [e.seq, e.sourceId, e.sourceVersion, e.object, e.action, e.outcome, e.targetId, e.trigger])).toEqual([
      [1, 'in_1', '5', 'journal_entry', 'upsert', 'created', 'T-in_1', 'webhook ev_in_1'],
      [2, 'in_2', '5', 'journal_entry', 'upsert', 'failed', null, 'webhook ev_in_2'],
    ]);
    expect(trail()[0]!.payload).toEqual({ number: 'in_1', account: '4000', amount: '10.00' });
    expect(trail()[1]!.answer).toEqual({
      status: 'failed',
      http_status: 400,
      error: { code: 'http_400', kind: 'record', message: 'Amount is invalid', details: { status: 400 } },
    });

    await writer(sink, { runId: 'run-2' }).writer.writePage([invoice('in_1', '6')]);
    expect(trail()).toHaveLength(2);
    expect(state.audit.verify(PIPELINE).broken).toBeUndefined();
  });

  it('keeps what a sink reports it sent, and the vendor status and code', async () => {
    const sink = new MemorySink();
    sink.respond = (record) => ({
      status: 'created',
      targetId: 'AR-1',
      audit: { sent: { Amount: { value: record.data['amount'] } }, httpStatus: 201, vendorCode: 'AR000001' },
    });
    await writer(sink).writer.writePage([invoice('in_1', '5')]);
    expect(trail()[0]).toMatchObject({
      payloadKind: 'sent',
      payload: { Amount: { value: '10.00' } },
      answer: { status: 'created', target_id: 'AR-1', http_status: 201, vendor_code: 'AR000001' },
    });
  });

  it('seals the whole batch as an error when the sink throws, and the chain stays whole', async () => {
    const sink = new MemorySink();
    sink.answer = () => {
      throw new LedgersyncError('connection_failed', 'transient', 'socket hang up', { mayHaveSucceeded: true });
    };
    await expect(writer(sink).writer.writePage([invoice('in_1', '5'), invoice('in_2', '5')])).rejects.toThrow('socket hang up');
    expect(trail().map((e) => [e.seq, e.outcome])).toEqual([
      [1, 'error'],
      [2, 'error'],
    ]);
    expect(trail()[0]!.answer).toMatchObject({ status: 'error', error: { code: 'connection_failed', may_have_succeeded: true } });
    expect(state.audit.verify(PIPELINE)).toMatchObject({ entries: 2, open: 0 });
  });

  it('reprocess maps a version the ledger already holds again (a replay), but never an older one', async () => {
    const sink = new MemorySink();
    await writer(sink).writer.writePage([invoice('in_1', '5')]);
    // Same version, a mapping that now gives another account: a run drops it, a replay sends it.
    const run = writer(sink, { runId: 'run-2', accounts: { SAAS: '4100' } });
    await run.writer.writePage([invoice('in_1', '5')]);
    expect(sink.batches).toHaveLength(1);
    const replay = writer(sink, { runId: 'run-3', accounts: { SAAS: '4100' }, remap: true });
    await replay.writer.writePage([invoice('in_1', '5'), invoice('in_1', '4')]);
    expect(sink.batches).toHaveLength(2);
    expect(sink.batches[1]!.map((r) => [r.sourceId, r.data['account'], r.previous?.targetId])).toEqual([['in_1', '4100', 'T-in_1']]);
    await writer(sink, { runId: 'run-4', accounts: { SAAS: '4100' }, remap: true }).writer.writePage([invoice('in_1', '4')]);
    expect(sink.batches).toHaveLength(2);
  });

  describe('state transactions', () => {
    /** Top-level transactions the writer opens (nested ones are savepoints inside them), with their durability. */
    function recordTransactions(): Array<'durable' | 'relaxed'> {
      const opened: Array<'durable' | 'relaxed'> = [];
      const original = state.transaction.bind(state);
      let depth = 0;
      state.transaction = <T>(fn: () => T, options?: { durable?: boolean }): T => {
        if (depth === 0) opened.push(options?.durable === false ? 'relaxed' : 'durable');
        depth++;
        try {
          return original(fn, options);
        } finally {
          depth--;
        }
      };
      return opened;
    }

    it('marks a one-batch page pending in one durable transaction and records its answers and the checkpoint in one more, reading the ledger once', async () => {
      const sink = new MemorySink();
      const { writer: w } = writer(sink);
      await w.writePage(
        Array.from({ length: 50 }, (_, i) => invoice(`in_${i}`, '1')),
        { checkpoint: 'before' },
      );
      const opened = recordTransactions();
      let reads = 0;
      const read = state.ledgerEntries.bind(state);
      state.ledgerEntries = (...args) => {
        reads++;
        return read(...args);
      };
      state.getLedger = () => {
        throw new Error('the writer reads the ledger a page at a time');
      };
      const page = Array.from({ length: 50 }, (_, i) => invoice(`in_${i}`, '2', i % 2 ? { amount: '11.00' } : {}));
      let checkpointDuringWrite: unknown;
      sink.respond = (record) => {
        checkpointDuringWrite = state.getCheckpoint(PIPELINE, STREAM);
        return created(record);
      };
      await w.writePage(page, { checkpoint: 'after' });
      expect(opened).toEqual(['durable', 'durable']);
      expect(reads).toBe(1);
      expect(checkpointDuringWrite).toBe('before');
      expect(state.getCheckpoint(PIPELINE, STREAM)).toBe('after');
      // The even ones map to the same content: settled in the first transaction, not written.
      expect(sink.batches[1]!.map((r) => r.sourceId)).toEqual(page.filter((_, i) => i % 2).map((r) => r.id));
      expect(state.ledgerEntries(PIPELINE, STREAM, ['in_2']).get('in_2')?.sourceVersion).toBe('2');
    });

    it('records a page with nothing to write in one transaction that does not wait for the disk', async () => {
      const sink = new MemorySink();
      const { writer: w } = writer(sink);
      await w.writePage([invoice('in_1', '1'), invoice('in_2', '1')]);
      const opened = recordTransactions();
      await w.writePage([invoice('in_1', '2'), invoice('in_2', '1')], { checkpoint: 'c2' });
      expect(opened).toEqual(['relaxed']);
      expect(sink.batches).toHaveLength(1);
      expect(ledger('in_1')?.sourceVersion).toBe('2');
      expect(state.getCheckpoint(PIPELINE, STREAM)).toBe('c2');
    });

    it('takes two transactions per batch when the page is split, and saves the checkpoint only with the last answers', async () => {
      const sink = new MemorySink(2);
      const { writer: w } = writer(sink);
      const opened = recordTransactions();
      const checkpoints: unknown[] = [];
      sink.respond = (record) => {
        checkpoints.push(state.getCheckpoint(PIPELINE, STREAM));
        return created(record);
      };
      await w.writePage([invoice('in_1', '1'), invoice('in_2', '1'), invoice('in_3', '1')], { checkpoint: 'c1' });
      expect(sink.batches.map((b) => b.length)).toEqual([2, 1]);
      expect(opened).toEqual(['durable', 'durable', 'durable', 'durable']);
      expect(checkpoints).toEqual([undefined, undefined, undefined]);
      expect(state.getCheckpoint(PIPELINE, STREAM)).toBe('c1');
    });

    it('does not move the checkpoint when the sink throws, and keeps what was settled before the call', async () => {
      const sink = new MemorySink();
      const { writer: w } = writer(sink);
      await w.writePage([invoice('in_1', '1')], { checkpoint: 'c1' });
      sink.answer = () => {
        throw new LedgersyncError('connection_failed', 'transient', 'the connection was lost');
      };
      await expect(w.writePage([invoice('in_1', '2'), invoice('in_2', '1')], { checkpoint: 'c2' })).rejects.toThrow('the connection was lost');
      expect(state.getCheckpoint(PIPELINE, STREAM)).toBe('c1');
      expect(ledger('in_1')?.sourceVersion).toBe('2'); // unchanged content: settled with the pending marks
      expect(ledger('in_2')?.pendingWrite).toBe(true);
    });
  });
});

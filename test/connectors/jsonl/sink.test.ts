import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConnectorFactoryInput, SinkRecord, SinkResult } from '../../../engine/connector/types.js';
import { silentLogger } from '../../../engine/log.js';
import { contentHash, stableStringify } from '../../../engine/transform/hash.js';
import { JsonlSink } from '../../../connectors/jsonl/sink.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function sinkIn(dir: string): JsonlSink {
  return new JsonlSink({ connection: { dir }, descriptor: { max_batch: 500 }, log: silentLogger } as unknown as ConnectorFactoryInput);
}

function record(object: string, id: string, data: Record<string, unknown>, extra: Partial<SinkRecord> = {}): SinkRecord {
  return { stream: object, object, sourceId: id, deleted: false, action: 'upsert', data, contentHash: contentHash(data), ...extra };
}

const lines = (path: string) => readFileSync(path, 'utf8').trimEnd().split('\n');

describe('JSONL sink', () => {
  it('writes a batch that mixes objects to one file per object, in batch order, with each line as its target id', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledgersync-jsonl-'));
    dirs.push(dir);
    const sink = sinkIn(dir);
    await sink.open();
    const batch = [
      record('invoices', 'i1', { z: 1, a: 2 }),
      record('customers', 'c1', { name: 'Zoë' }),
      record('invoices', 'i2', { a: 3 }),
      record('invoices', 'i3', { a: 4 }, { dataJson: '{"a":4,"kept":"as given"}' }),
    ];
    const results = await sink.write(batch);
    await sink.close();
    expect(results.map((r) => (r.status === 'failed' ? r.status : r.targetId))).toEqual([
      'invoices.jsonl:1',
      'customers.jsonl:1',
      'invoices.jsonl:2',
      'invoices.jsonl:3',
    ]);
    // Keys sorted when the sink serialises; the engine's canonical text as it is when given.
    expect(lines(join(dir, 'invoices.jsonl'))).toEqual(['{"a":2,"z":1}', '{"a":3}', '{"a":4,"kept":"as given"}']);
    expect(lines(join(dir, 'customers.jsonl'))).toEqual([stableStringify({ name: 'Zoë' })]);
  });

  /** A file holding `{a:1}` and `{a:2}` (i1, i2) and a sink opened on it again, as after a process that died after the write and before the ledger recorded it. */
  async function reopenedAfterWrite(): Promise<{ dir: string; again: JsonlSink }> {
    const dir = mkdtempSync(join(tmpdir(), 'ledgersync-jsonl-'));
    dirs.push(dir);
    const first = sinkIn(dir);
    await first.open();
    await first.write([record('invoices', 'i1', { a: 1 }), record('invoices', 'i2', { a: 2 })]);
    await first.close();
    const again = sinkIn(dir);
    await again.open();
    return { dir, again };
  }
  const pending = { sourceVersion: null, contentHash: null, targetId: null, targetVersion: null, pendingWrite: true } as unknown as NonNullable<
    SinkRecord['previous']
  >;
  const outcomes = (results: SinkResult[]) => results.map((r) => (r.status === 'failed' ? r.status : `${r.status} ${r.targetId}`));

  it('a record flagged pending write that is already in the file is not appended again', async () => {
    const { dir, again } = await reopenedAfterWrite();
    const results = await again.write([record('invoices', 'i2', { a: 2 }, { previous: pending }), record('invoices', 'i3', { a: 3 })]);
    await again.close();
    // Adopted (an interrupted run wrote it), like the other sinks: skipped, not counted as written again.
    expect(outcomes(results)).toEqual(['skipped invoices.jsonl:2', 'created invoices.jsonl:3']);
    expect(lines(join(dir, 'invoices.jsonl'))).toEqual(['{"a":1}', '{"a":2}', '{"a":3}']);
  });

  it('a record never written is appended even when its data equals a line already in the file', async () => {
    const { dir, again } = await reopenedAfterWrite();
    // i2 may have been written (it is: line 2); i9 was not, though it maps to the same data.
    const results = await again.write([
      record('invoices', 'i2', { a: 2 }, { previous: pending, dataJson: '{"a":2}' }),
      record('invoices', 'i9', { a: 2 }, { dataJson: '{"a":2}' }),
    ]);
    await again.close();
    expect(outcomes(results)).toEqual(['skipped invoices.jsonl:2', 'created invoices.jsonl:3']);
    expect(lines(join(dir, 'invoices.jsonl'))).toEqual(['{"a":1}', '{"a":2}', '{"a":2}']);
  });
});

/**
 * The JSON Lines sink: appends each batch to <dir>/<object>.jsonl and flushes it before the
 * engine records the batch as written. After a crash between the write and the ledger, a record
 * flagged `pendingWrite` is looked for in the file first, so it is never appended twice.
 */
import { closeSync, createReadStream, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, ftruncateSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { LedgersyncError } from '../../engine/errors.js';
import type { ConnectorFactoryInput, Sink, SinkRecord, SinkResult } from '../../engine/connector/types.js';
import { contentHash, hashOfCanonical, stableStringify } from '../../engine/transform/hash.js';

const SAFE_NAME = /^[A-Za-z0-9_.-]+$/;

interface OpenFile {
  fd: number;
  lines: number;
}

/** Drops a half-written last line (the process died mid-write) and counts the complete ones. */
function repairAndCount(fd: number): number {
  const size = fstatSync(fd).size;
  if (size === 0) return 0;
  const buffer = Buffer.alloc(64 * 1024);
  let lines = 0;
  let lastNewline = -1;
  for (let position = 0; position < size; ) {
    const read = readSync(fd, buffer, 0, buffer.length, position);
    for (let i = 0; i < read; i++) {
      if (buffer[i] === 0x0a) {
        lines++;
        lastNewline = position + i;
      }
    }
    position += read;
  }
  if (lastNewline !== size - 1) ftruncateSync(fd, lastNewline + 1);
  return lines;
}

async function findWritten(path: string, hashes: Set<string>): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  if (!existsSync(path) || hashes.size === 0) return found;
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (!line) continue;
    try {
      const hash = contentHash(JSON.parse(line));
      if (hashes.has(hash)) found.set(hash, n);
    } catch {
      // not JSON: a line this sink did not write; ignore it
    }
  }
  return found;
}

export class JsonlSink implements Sink {
  readonly maxBatchSize: number;
  private readonly dir: string;
  private readonly fsync: boolean;
  private readonly files = new Map<string, OpenFile>();

  constructor(input: ConnectorFactoryInput) {
    const dir = String(input.connection['dir'] ?? '');
    if (!dir) throw new LedgersyncError('missing_connection_value', 'config', 'the jsonl sink needs a dir', { fix: 'set sink.dir in the pipeline' });
    this.dir = resolve(dir);
    this.fsync = input.connection['fsync'] !== false;
    this.maxBatchSize = input.descriptor.max_batch ?? 500;
  }

  async open(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
  }

  private fileFor(object: string): { path: string; file: OpenFile } {
    if (!SAFE_NAME.test(object)) {
      throw new LedgersyncError('invalid_object_name', 'config', `jsonl object name '${object}' is not a safe file name`, {
        fix: 'use letters, digits, _ . - only in target.object',
      });
    }
    const path = join(this.dir, `${object}.jsonl`);
    let file = this.files.get(object);
    if (!file) {
      const fd = openSync(path, 'a+');
      file = { fd, lines: repairAndCount(fd) };
      this.files.set(object, file);
    }
    return { path, file };
  }

  async write(batch: readonly SinkRecord[]): Promise<SinkResult[]> {
    const results: SinkResult[] = new Array(batch.length);
    const byObject = new Map<string, number[]>();
    batch.forEach((r, i) => {
      const indexes = byObject.get(r.object);
      if (indexes) indexes.push(i);
      else byObject.set(r.object, [i]);
    });

    for (const [object, indexes] of byObject) {
      const { path, file } = this.fileFor(object);
      // Only a record that may have been written before is looked for in the file; the rest are appended.
      const lookups = new Map<number, string>();
      for (const i of indexes) if (batch[i]!.previous?.pendingWrite) lookups.set(i, contentHashOfData(batch[i]!));
      const already = await findWritten(path, new Set(lookups.values()));
      const chunks: string[] = [];
      for (const i of indexes) {
        const record = batch[i]!;
        const lookup = lookups.get(i);
        const existing = lookup === undefined ? undefined : already.get(lookup);
        if (existing !== undefined) {
          // Written by a run that stopped before recording it: adopted, not written again, and not counted as written.
          results[i] = {
            status: 'skipped',
            reason: `adopted line ${existing} of ${object}.jsonl, written by an interrupted run`,
            targetId: `${object}.jsonl:${existing}`,
          };
          continue;
        }
        chunks.push((record.dataJson ?? stableStringify(record.data)) + '\n');
        file.lines++;
        results[i] = { status: record.previous?.targetId ? 'updated' : 'created', targetId: `${object}.jsonl:${file.lines}` };
      }
      if (chunks.length) {
        writeSync(file.fd, chunks.join(''));
        if (this.fsync) fsyncSync(file.fd);
      }
    }
    return results;
  }

  async close(): Promise<void> {
    for (const file of this.files.values()) closeSync(file.fd);
    this.files.clear();
  }
}

function contentHashOfData(record: SinkRecord): string {
  return record.dataJson !== undefined ? hashOfCanonical(record.dataJson) : contentHash(record.data);
}

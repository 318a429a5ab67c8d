/**
 * The lists the state returns sorted by id (a record's parts in `show`, dead letters in `status`,
 * retries and replay, the "next to it" ids of `show <unknown id>`, the streams a record is in,
 * checkpoints, webhook events) come in byte order of the ids on both databases. On a PostgreSQL
 * database with a linguistic collation (glibc's en_US.UTF-8, the default of the official image and
 * RDS; here ICU with punctuation ignorable, as in part-collation.test.ts) they came back in another
 * order than on SQLite, and the "next to it" ids were not next to it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgersyncError } from '../../../engine/errors.js';
import { StateStore } from '../../../engine/state/store.js';
import { startPostgres, type TestPostgres } from '../../support/postgres.js';

let server: TestPostgres | undefined;
let icuUrl = '';
const dir = mkdtempSync(join(tmpdir(), 'ls-byte-order-'));
beforeAll(async () => {
  server = await startPostgres();
  const admin = new pg.Client({ connectionString: server.url.replace(/\/[^/?]+(\?.*)?$/, '/postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE order_icu TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US-u-ka-shifted' LOCALE 'C.UTF-8'`);
  } finally {
    await admin.end();
  }
  icuUrl = server.url.replace(/\/[^/?]+(\?.*)?$/, '/order_icu');
}, 120_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const byBytes = (ids: readonly string[]) => [...ids].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

// Under the linguistic collation '-', '_' and '#' are ignored and case comes after the letter: every list differs from byte order.
const PARTS = ['CN-1', 'CN-1#inv_10', 'CN-1#Inv_5', 'CN-1#inv_9', 'CN-1#inv-7'];
const OTHERS = ['CN-10', 'CN-2'];
const LETTERS = ['b-2', 'B_1', 'a10', 'a9', 'é1', 'e2'];
const STREAMS = ['ab', 'a_c', 'B'];
const EVENTS = ['ev_b', 'ev-a', 'EV_c', 'eva'];

function fill(store: StateStore): void {
  const writes = [
    ...STREAMS.map((stream) => ({ stream, sourceId: 'CN-1' })),
    ...[...PARTS, ...OTHERS].map((sourceId) => ({ stream: 'allocations', sourceId })),
  ].map((w) => ({ ...w, action: 'upsert' }));
  const ops = store.beginWrites('p', 'r1', writes);
  store.finishWrites(
    'p',
    'r1',
    ops,
    writes.map((w, i) => ({ stream: w.stream, sourceId: w.sourceId, sourceVersion: '1', contentHash: `h${i}`, status: 'created' as const, targetId: `T${i}` })),
  );
  for (const stream of ['invoices', ...STREAMS]) {
    for (const id of LETTERS) {
      store.putDeadLetter('p', 'r1', {
        stream,
        sourceId: id,
        sourceVersion: null,
        record: { id },
        deleted: false,
        error: new LedgersyncError('lookup_missing', 'record', `m ${id}`),
      });
    }
  }
  // One second for all, so the order within it is the ids'.
  store.driver.prepare('UPDATE dead_letters SET updated_at = 1000').run();
  for (const stream of STREAMS) store.saveCheckpoint('p', stream, 1, 'r1');
  for (const id of EVENTS) store.webhooks.enqueue('p', id, 'invoice_created', 5000);
}

function lists(location: string) {
  const store = StateStore.open(location);
  try {
    fill(store);
    return {
      show: store.recordHistory('p', 'CN-1').map((e) => `${e.stream} ${e.sourceId}`),
      showOneStream: store.recordHistory('p', 'CN-1', 'allocations').map((e) => e.sourceId),
      streamsHolding: store.streamsHolding('p', 'CN-1'),
      deadLetters: store.deadLetters('p').map((d) => `${d.stream} ${d.sourceId}`),
      retried: store.deadLettersBefore('p', 'invoices', 'r2').map((d) => d.sourceId),
      neighbours: store.neighbourIds('p', 'allocations', 'CN-1#inv_8').ids,
      checkpoints: store.listCheckpoints('p').map((c) => c.stream),
      webhooks: store.webhooks.all('p').map((e) => e.eventId),
      due: store.webhooks.due('p', 10_000, 10).map((e) => e.eventId),
    };
  } finally {
    store.close();
  }
}

describe('lists sorted by id on a PostgreSQL database with a linguistic collation', () => {
  it('come in byte order of the ids, as on SQLite', () => {
    const sqlite = lists(join(dir, 'state.db'));
    const postgres = lists(`${icuUrl}?schema=lists`);
    const streams = byBytes([...STREAMS, 'allocations']);
    const expected = {
      show: streams.flatMap((s) => (s === 'allocations' ? byBytes(PARTS).map((id) => `${s} ${id}`) : [`${s} CN-1`])),
      showOneStream: byBytes(PARTS),
      streamsHolding: streams,
      deadLetters: byBytes(['invoices', ...STREAMS]).flatMap((s) => byBytes(LETTERS).map((id) => `${s} ${id}`)),
      retried: byBytes(LETTERS),
      // Byte order: CN-1#inv-7 < CN-1#inv_10 < [CN-1#inv_8] < CN-1#inv_9 < CN-10.
      neighbours: ['CN-1#inv-7', 'CN-1#inv_10', 'CN-1#inv_9', 'CN-10'],
      checkpoints: byBytes(STREAMS),
      webhooks: byBytes(EVENTS),
      due: byBytes(EVENTS),
    };
    expect(sqlite).toEqual(expected);
    expect(postgres).toEqual(expected);
  });
});

/**
 * removed_parts on a PostgreSQL state whose database collates like most production servers
 * (glibc's en_US.UTF-8, the official postgres image and RDS default; here ICU with punctuation
 * ignorable, `-u-ka-shifted`, as glibc's ISO 14651 table makes '#' and '$' ignorable).
 * A record's parts are a range of ids compared byte by byte (engine/state/part-range.ts): under such
 * a collation a plain range came back empty, so no part was ever retracted, and `audit --id` left
 * the parts out. The test server is initdb'd `--locale=C`, which hid it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { StateStore } from '../../../engine/state/store.js';
import { startPostgres, type TestPostgres } from '../../support/postgres.js';

let server: TestPostgres | undefined;
let url = '';
beforeAll(async () => {
  server = await startPostgres();
  const admin = new pg.Client({ connectionString: server.url.replace(/\/[^/?]+(\?.*)?$/, '/postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE parts_icu TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en-US-u-ka-shifted' LOCALE 'C.UTF-8'`);
  } finally {
    await admin.end();
  }
  url = server.url.replace(/\/[^/?]+(\?.*)?$/, '/parts_icu');
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

describe('StateStore.partEntries on a PostgreSQL database with a linguistic collation', () => {
  it("lists a credit note's allocation parts, so removed_parts can retract them", () => {
    const store = StateStore.open(`${url}?schema=parts`);
    const writes = ['CN-1', 'CN-1#inv_5', 'CN-1#inv_6'].map((sourceId) => ({ stream: 'credit_note_allocations', sourceId, action: 'upsert' }));
    const ops = store.beginWrites('p', 'r1', writes);
    store.finishWrites(
      'p',
      'r1',
      ops,
      writes.map((w, i) => ({
        stream: w.stream,
        sourceId: w.sourceId,
        sourceVersion: '1',
        contentHash: `h${i}`,
        status: 'created' as const,
        targetId: `T${i}`,
        payloadJson: `{"action":"upsert","data":{"n":${i}},"object":"Payment"}`,
      })),
    );
    // The rows are there (the ledger reads them by id) ...
    expect([...store.ledgerEntries('p', 'credit_note_allocations', ['CN-1#inv_5', 'CN-1#inv_6']).keys()].sort()).toEqual(['CN-1#inv_5', 'CN-1#inv_6']);
    // ... but the part look-up of removed_parts must find them too.
    const parts = store.partEntries('p', 'credit_note_allocations', ['CN-1']);
    expect(parts.get('CN-1')?.map((e) => e.sourceId)).toEqual(['CN-1#inv_5', 'CN-1#inv_6']);
    store.close();
  });
});

/**
 * PostgreSQL commits a batch, and the connection drops before its answer reaches the sink. The
 * process must not die of the connection's 'error' event, and the batch is written once more on a
 * new connection, where every row already holds what was sent: nothing is written twice, a soft
 * delete keeps its first `deleted_at`, and the write reports the rows as already there.
 */
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SinkRecord } from '../../../engine/connector/types.js';
import { isLedgersyncError } from '../../../engine/errors.js';
import { startPostgres, type TestPostgres } from '../../support/postgres.js';
import { context, openSink, type Tables } from './helpers.js';

let server: TestPostgres;
let proxy: Server;
/** The next COMMIT's answer is dropped and both sockets closed, after the server has committed. */
let dropNextCommitAnswer = false;
/** Every new connection is refused: the database is gone for good. */
let refuseConnections = false;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = await startPostgres();
  proxy = createServer((client) => {
    if (refuseConnections) return client.destroy();
    const upstream = connect(server.port, '127.0.0.1');
    sockets.push(client, upstream);
    let commitSent = false;
    client.on('data', (chunk) => {
      if (dropNextCommitAnswer && chunk.includes(Buffer.from('COMMIT\0'))) commitSent = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!commitSent) return void client.write(chunk);
      dropNextCommitAnswer = false;
      commitSent = false;
      client.destroy();
      upstream.destroy();
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
}, 60_000);
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => proxy.close(() => r()));
  await server.stop();
});

const tables: Tables = { customers: { primary_key: ['id'], columns: { id: { type: 'text' }, name: { type: 'text', nullable: true } } } };
const customer = (id: string, action: 'upsert' | 'delete', name = 'Acme'): SinkRecord => ({
  stream: 'customers',
  object: 'customers',
  sourceId: id,
  deleted: false,
  action,
  data: action === 'delete' ? { id } : { id, name },
  contentHash: `${action}-${name}`,
});

function proxiedUrl(): string {
  const url = new URL(server.url);
  url.port = String((proxy.address() as AddressInfo).port);
  return url.toString();
}

async function rowsOf(schema: string): Promise<Array<{ id: string; name: string; deleted_at: string | null }>> {
  const direct = new pg.Client({ connectionString: server.url });
  await direct.connect();
  try {
    return (await direct.query(`SELECT id, name, deleted_at::text AS deleted_at FROM ${schema}.customers ORDER BY id`)).rows;
  } finally {
    await direct.end();
  }
}

describe('SQL sink on PostgreSQL: a COMMIT whose answer is lost', () => {
  it('is written again on a new connection: the rows it committed come back as already there, nothing twice', async () => {
    const sink = await openSink({ url: proxiedUrl(), schema: 's_lost_upsert' }, tables);
    dropNextCommitAnswer = true;
    const results = await sink.write([customer('c1', 'upsert'), customer('c2', 'upsert', 'Beta')], context());
    expect(dropNextCommitAnswer).toBe(false);
    expect(results.map((r) => r.status)).toEqual(['skipped', 'skipped']);
    expect(await rowsOf('s_lost_upsert')).toEqual([
      { id: 'c1', name: 'Acme', deleted_at: null },
      { id: 'c2', name: 'Beta', deleted_at: null },
    ]);
    await sink.close();
  });

  it('a soft delete keeps the deleted_at of the COMMIT that landed', async () => {
    const sink = await openSink({ url: proxiedUrl(), schema: 's_lost_delete' }, tables);
    await sink.write([customer('c1', 'upsert')], context(1_767_225_600));
    dropNextCommitAnswer = true;
    const [result] = await sink.write([customer('c1', 'delete')], context(1_767_225_700));
    expect(result).toMatchObject({ status: 'skipped' });
    const [row] = await rowsOf('s_lost_delete');
    expect(row!.deleted_at).toMatch(/^2026-01-01 00:01:40/);
    await sink.close();
  });

  it('with the database gone for good, the write fails as a lost connection (exit 3 for the run), not a crash', async () => {
    const sink = await openSink({ url: proxiedUrl(), schema: 's_lost_gone' }, tables);
    dropNextCommitAnswer = true;
    refuseConnections = true;
    try {
      const error = await sink.write([customer('c1', 'upsert')], context()).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isLedgersyncError(error) && error.code).toBe('sql_connection_failed');
    } finally {
      refuseConnections = false;
      await sink.close();
    }
    // The first COMMIT did land.
    expect(await rowsOf('s_lost_gone')).toEqual([{ id: 'c1', name: 'Acme', deleted_at: null }]);
  });
});

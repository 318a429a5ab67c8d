/** What only the PostgreSQL driver has to get right: a connection that drops, a server that is down, the password. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { StateStore } from '../../../engine/state/store.js';
import { PostgresDriver, keepIdleStateConnections, parseStateUrl } from '../../../engine/state/postgres-driver.js';
import { postgresSecrets, printableLocation } from '../../../engine/state/driver.js';
import { startPostgres, type TestPostgres } from '../../support/postgres.js';
import { ROOT } from '../../e2e/helpers.js';
import { thrownLedgersyncError } from '../../support/thrown.js';

const require = createRequire(import.meta.url);

/** Processes racing for a lock run the built store (npm run build). */
const BUILT_STORE = join(ROOT, 'dist/engine/state/store.js');

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server.stop();
});

describe('the PostgreSQL state driver', () => {
  it('keeps the state in the schema the URL names, default ledgersync', async () => {
    StateStore.open(server.url).close();
    StateStore.open(`${server.url}?schema=acme`).close();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const { rows } = await client.query("SELECT table_schema FROM information_schema.tables WHERE table_name = 'ledger' ORDER BY 1");
    await client.end();
    expect(rows.map((r: { table_schema: string }) => r.table_schema)).toEqual(['acme', 'ledgersync']);
    expect(parseStateUrl(`${server.url}?schema=acme&sslmode=disable`)).toEqual({ url: `${server.url}?sslmode=disable`, schema: 'acme' });
    expect(thrownLedgersyncError(() => parseStateUrl(`${server.url}?schema=Robert';DROP`)).code).toBe('state_unreadable');
  });

  it('reconnects after its connection was cut, outside a transaction; inside one the transaction fails as state_unavailable and leaves nothing', async () => {
    const store = StateStore.open(`${server.url}?schema=cut`);
    store.saveCheckpoint('p', 's', 1, 'r');
    const kill = async () => {
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'ledgersync pid %'");
      await admin.end();
      await new Promise((r) => setTimeout(r, 100));
    };
    await kill();
    expect(store.getCheckpoint('p', 's')).toBe(1);
    // Cut inside a transaction: the transaction is gone, so the statement fails rather than reconnect.
    const killNow = `const pg = require(${JSON.stringify(require.resolve('pg'))}); const c = new pg.Client({ connectionString: process.argv[1] });
      c.connect().then(() => c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'ledgersync pid %'")).then(() => c.end());`;
    const inside = thrownLedgersyncError(() =>
      store.transaction(() => {
        store.saveCheckpoint('p', 's', 2, 'r');
        expect(store.getCheckpoint('p', 's')).toBe(2); // sent: the transaction is open on this connection
        spawnSync(process.execPath, ['-e', killNow, server.url]);
        store.saveCheckpoint('p', 's', 3, 'r');
      }),
    );
    expect(inside).toMatchObject({ code: 'state_unavailable', kind: 'transient' });
    expect(store.getCheckpoint('p', 's')).toBe(1);
    store.close();
  });

  it('fails with state_unavailable (transient: exit 3) when the server is down, and never prints the password', async () => {
    const down = server.url.replace(`:${server.port}/`, ':1/');
    const error = thrownLedgersyncError(() => StateStore.open(down));
    expect(error).toMatchObject({ code: 'state_unavailable', kind: 'transient' });
    expect(error.message).not.toContain(server.password);
    expect(error.message).toContain('***');
    const wrong = thrownLedgersyncError(() => StateStore.open(server.url.replace(server.password, 'wrong-password')));
    expect(wrong).toMatchObject({ code: 'state_unreadable', kind: 'config' });
    expect(printableLocation(server.url)).not.toContain(server.password);
  });

  it('a password given as a query parameter (?password=, which node-postgres accepts) is masked and registered as a secret too', () => {
    const url = new URL(server.url);
    const inQuery = `postgres://${url.username}@${url.host}${url.pathname}?password=${encodeURIComponent(server.password)}&schema=masked`;
    expect(postgresSecrets(inQuery)).toEqual([server.password]);
    expect(printableLocation(inQuery)).toBe(`postgres://${url.username}@${url.host}${url.pathname}?password=***&schema=masked`);
    const store = StateStore.open(inQuery);
    expect(store.driver.location).not.toContain(server.password);
    store.close();
    expect(postgresSecrets(`${server.url}?sslpassword=key-pass`)).toEqual([server.password, 'key-pass']);
  });

  it('sends the statements of a transaction together, and a failure among them still fails and rolls back the whole transaction', () => {
    const store = StateStore.open(`${server.url}?schema=batched`);
    const insert = store.driver.prepare('INSERT INTO kv (pipeline, scope, key, value_json, updated_at) VALUES (?, ?, ?, ?, ?)');
    const error = thrownLedgersyncError(() =>
      store.transaction(() => {
        insert.run('p', 's', 'a', '1', 1);
        insert.run('p', 's', 'a', '2', 1); // duplicate key, found when the batch is sent
        store.saveCheckpoint('p', 'x', 1, 'r');
      }),
    );
    expect(error).toMatchObject({ code: 'state_query_failed', kind: 'system', details: { code: '23505' } });
    expect(store.keyValue('p', 's').get('a')).toBeUndefined();
    expect(store.getCheckpoint('p', 'x')).toBeUndefined();
    // the result of a held-back statement is there when asked for
    const changes = store.transaction(() => insert.run('p', 's', 'b', '3', 1).changes);
    expect(changes).toBe(1);
    store.close();
  });

  it("sends a batch's pending marks, and its audit attempts, in two round trips each (the rows, then the commit), their row ids distinct and in order", () => {
    const store = StateStore.open(`${server.url}?schema=batch_ids`);
    const writes = Array.from({ length: 50 }, (_, i) => ({ stream: 's', sourceId: `r${i}`, action: 'upsert' }));
    const attempts = writes.map((w) => ({ ...w, sourceVersion: null, object: 'o', trigger: 'run', payload: { id: w.sourceId } }));
    let trips = PostgresDriver.totalRoundTrips;
    const operationIds = store.beginWrites('p', 'r1', writes);
    // The 100 rows when their ids are read, then the commit: not a round trip per record.
    expect(PostgresDriver.totalRoundTrips - trips).toBe(2);
    trips = PostgresDriver.totalRoundTrips;
    const opened = store.audit.open('p', 'r1', attempts);
    expect(PostgresDriver.totalRoundTrips - trips).toBe(2);
    const ascending = (ids: number[]) => ids.every((id, i) => i === 0 || id > ids[i - 1]!);
    expect(new Set(operationIds).size).toBe(50);
    expect(ascending(operationIds)).toBe(true);
    expect(ascending(opened.map((o) => o.id))).toBe(true);
    const operations = store.driver.prepare('SELECT id, source_id FROM operations ORDER BY id').all() as Array<{ id: number; source_id: string }>;
    expect(operations.map((o) => [Number(o.id), o.source_id])).toEqual(writes.map((w, i) => [operationIds[i], w.sourceId]));
    store.close();
  });

  it('sends a transaction of single statements to the server as one query, its values written in as literals that come back exactly', () => {
    const store = StateStore.open(`${server.url}?schema=literals`);
    const values: unknown[] = [
      "it's",
      "back\\slash \\x41 $1 $$ E'x'",
      'Zoë — 日本 🧾',
      'line\nbreak\ttab',
      '',
      0,
      -12.5,
      2 ** 53 - 1,
      true,
      null,
      { nested: ["a'b", { c: '\\' }] },
    ];
    const bytes = Buffer.from([0, 1, 0x5c, 0x27, 0x78, 0xff]);
    const queries = PostgresDriver.totalServerQueries;
    store.transaction(() => {
      const kv = store.keyValue('p', 'literals');
      for (const [i, value] of values.entries()) kv.set(`k${i}`, value);
      store.driver
        .prepare('INSERT INTO secrets (pipeline, scope, name, salt, iv, tag, ciphertext, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run('p', 'literals', 'raw', bytes, bytes, bytes, bytes, 1);
    });
    // BEGIN, the inserts and COMMIT: one query for the server, not one per statement.
    expect(PostgresDriver.totalServerQueries - queries).toBe(1);
    const kv = store.keyValue('p', 'literals');
    expect(values.map((_, i) => kv.get(`k${i}`))).toEqual(values);
    const row = store.driver.prepare('SELECT salt, ciphertext FROM secrets WHERE name = ?').get('raw') as { salt: Buffer; ciphertext: Buffer };
    expect(Buffer.compare(row.salt, bytes)).toBe(0);
    expect(Buffer.compare(row.ciphertext, bytes)).toBe(0);
    store.close();
  });

  it('keeps closed connections for the next open when a worker asks for it, and they still work after PostgreSQL cut them', async () => {
    const url = `${server.url}?schema=pooled`;
    keepIdleStateConnections(1);
    try {
      const first = StateStore.open(url);
      const driver = first.driver;
      first.saveCheckpoint('p', 's', 1, 'r');
      first.close();
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'ledgersync pid %'");
      await admin.end();
      await new Promise((r) => setTimeout(r, 100));
      const second = StateStore.open(url);
      expect(second.driver).toBe(driver);
      const begun = second.beginRun('p');
      expect('runId' in begun).toBe(true);
      expect(second.getCheckpoint('p', 's')).toBe(1);
      second.close();
    } finally {
      keepIdleStateConnections(0);
    }
    const third = StateStore.open(url);
    const other = StateStore.open(url);
    expect(third.driver).not.toBe(other.driver);
    third.close();
    other.close();
  });

  it('refuses a database migrated by a newer ledgersync', () => {
    const url = `${server.url}?schema=newer`;
    const store = StateStore.open(url);
    store.driver.prepare('INSERT INTO state_schema_version (version) VALUES (?)').run(99);
    store.close();
    expect(thrownLedgersyncError(() => StateStore.open(url))).toMatchObject({
      code: 'state_unreadable',
      message: expect.stringContaining('schema version 99'),
    });
  });

  it.skipIf(!existsSync(BUILT_STORE))('lets exactly one of many processes take a free lock at once', async () => {
    const url = `${server.url}?schema=race`;
    StateStore.open(url).close();
    // Each holds on to what it got until all have tried (a winner that exited would be a dead holder, rightly taken over).
    const script = `
      import { StateStore } from ${JSON.stringify(BUILT_STORE)};
      const store = StateStore.open(process.argv[1]);
      const begun = store.beginRun('p', { ttlSeconds: 30 });
      process.stdout.write('runId' in begun ? 'won' : 'lost');
      process.stdin.resume();
      process.stdin.on('end', () => store.close());
    `;
    const children = Array.from({ length: 4 }, () =>
      spawn(process.execPath, ['--input-type=module', '-e', script, url], { stdio: ['pipe', 'pipe', 'inherit'] }),
    );
    const results = await Promise.all(
      children.map((child) => new Promise<string>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(d.toString())))),
    );
    await Promise.all(children.map((child) => new Promise((resolve) => child.on('exit', resolve).stdin.end())));
    expect(results.sort()).toEqual(['lost', 'lost', 'lost', 'won']);
  });
});

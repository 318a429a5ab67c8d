/**
 * End to end through the runner: the fake Chargebee → a pipeline → the sql sink, on SQLite and on
 * PostgreSQL. Every record lands once as rows, deleted records keep their rows with deleted_at,
 * changes are upserted, and an idle second run writes nothing.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { runPipeline } from '../../../engine/run/runner.js';
import { silentLogger } from '../../../engine/log.js';
import { parseTables } from '../../../connectors/sql/tables.js';
import { SqlSink } from '../../../connectors/sql/sink.js';
import { startFakeChargebee, SEED_FACTS, type FakeChargebee } from '../../fakes/chargebee/index.js';
import { startPostgres, type TestPostgres } from '../../support/postgres.js';
import { chargebeeEnv, tempDir } from '../../e2e/helpers.js';
import { sinkInput } from './helpers.js';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { installedConnectors } from '../../../app/registry.js';

const PIPELINE = fileURLToPath(new URL('./chargebee-to-sql.yaml', import.meta.url));
const TABLES = parse(readFileSync(PIPELINE, 'utf8')).sink.tables;

let server: TestPostgres;
let fake: FakeChargebee;
let work: ReturnType<typeof tempDir>;
let clock: number;

beforeAll(async () => {
  server = await startPostgres();
}, 120_000);
afterAll(async () => server?.stop());
beforeEach(async () => {
  clock = SEED_FACTS.bulkUpdatedAt + 3600;
  fake = await startFakeChargebee({ customers: 60, now: () => clock });
  work = tempDir('ledgersync-sql-e2e-');
});
afterEach(async () => {
  await fake.close();
  work.cleanup();
});

const targets = [
  { name: 'SQLite', env: () => ({ SQL_PATH: join(work.dir, 'out', 'metrics.db') }), connection: () => ({ path: join(work.dir, 'out', 'metrics.db') }) },
  { name: 'PostgreSQL', env: () => ({ SQL_URL: server.url, SQL_SCHEMA: 'chargebee' }), connection: () => ({ url: server.url, schema: 'chargebee' }) },
];

describe.each(targets)('Chargebee → sql sink on $name', (target) => {
  const run = () =>
    runPipeline({
      connectors: installedConnectors,
      pipelinePath: PIPELINE,
      statePath: join(work.dir, 'state.db'),
      env: { ...chargebeeEnv(fake, join(work.dir, 'out')), ...target.env() },
      log: silentLogger,
      now: () => clock,
    });

  async function tables() {
    const sink = new SqlSink(sinkInput(target.connection(), TABLES));
    await sink.db.open();
    const out: Record<string, Array<Record<string, unknown>>> = {};
    for (const spec of parseTables(TABLES)) out[spec.name] = (await sink.db.readTables([spec]))[0]!;
    await sink.db.close();
    return out;
  }

  it('writes every record once, keeps deleted ones flagged, upserts changes, and an idle re-run writes nothing', async () => {
    const first = await run();
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('success');
    const customers = fake.state.entries('customers').map((e) => e.record);
    // Deleted subscriptions are read too (include_deleted): they land with deleted_at set.
    const subscriptions = fake.state.entries('subscriptions').map((e) => e.record);
    const items = subscriptions.flatMap((s) => (s['subscription_items'] as Array<Record<string, unknown>>).map((i) => [s['id'], i]));
    expect(first.streams['customers']!.created).toBe(customers.length);
    expect(first.streams['subscriptions']!.created).toBe(subscriptions.length + items.length);

    let rows = await tables();
    expect(rows['customers']).toHaveLength(customers.length);
    expect(rows['subscriptions']).toHaveLength(subscriptions.length);
    expect(rows['subscription_items']).toHaveLength(items.length);
    expect(rows['invoices']).toHaveLength(fake.state.entries('invoices').length);
    const deleted = customers.filter((c) => c['deleted'] === true).map((c) => c['id']);
    expect(deleted.length).toBeGreaterThan(0);
    expect(rows['customers']!.filter((r) => r['deleted_at'] !== null).map((r) => r['id'])).toEqual([...deleted].sort());
    const someSubscription = subscriptions[0]!;
    const row = rows['subscriptions']!.find((r) => r['id'] === someSubscription['id'])!;
    expect(row['started_at']).toBe(new Date(Number(someSubscription['started_at']) * 1000).toISOString());
    expect(row['auto_collection']).toBe(someSubscription['auto_collection'] === 'on');
    const jpy = rows['invoices']!.find((r) => r['currency_code'] === 'JPY');
    expect(jpy?.['total']).toMatch(/^-?\d+$/);

    const second = await run();
    expect(second.status).toBe('success');
    expect(Object.values(second.streams).reduce((n, c) => n + c.written, 0)).toBe(0);

    // A change and a deletion in Chargebee: one row updated, one flagged; nothing else written.
    clock += 600;
    const renamed = customers.find((c) => c['deleted'] !== true)!['id'] as string;
    const removed = customers.filter((c) => c['deleted'] !== true)[1]!['id'] as string;
    fake.state.touch('customers', renamed, { first_name: 'Renamed', last_name: 'Person' });
    fake.state.delete('customers', removed);
    const third = await run();
    expect(third.status).toBe('success');
    expect(third.streams['customers']).toMatchObject({ updated: 2, created: 0, written: 2 });
    rows = await tables();
    expect(rows['customers']!.find((r) => r['id'] === renamed)).toMatchObject({ name: 'Renamed Person', deleted_at: null });
    expect(rows['customers']!.find((r) => r['id'] === removed)!['deleted_at']).toBe(new Date(clock * 1000).toISOString());
    expect(rows['customers']).toHaveLength(customers.length);
  });
});

describe('Chargebee → sql sink: PostgreSQL unreachable or refusing the login', () => {
  const runWith = (url: string) =>
    runPipeline({
      connectors: installedConnectors,
      pipelinePath: PIPELINE,
      statePath: join(work.dir, 'state.db'),
      env: { ...chargebeeEnv(fake, join(work.dir, 'out')), SQL_URL: url },
      log: silentLogger,
      now: () => clock,
    });

  it('a wrong password exits 3, names the server and never prints the password', async () => {
    const wrong = server.url.replace(server.password, 'not-the-password-42');
    const summary = await runWith(wrong);
    expect(summary.exitCode).toBe(3);
    expect(summary.error).toMatchObject({ code: 'sql_login_failed', kind: 'auth' });
    expect(summary.error?.message).toContain(`postgres://127.0.0.1:${server.port}/ledgersync_test`);
    expect(JSON.stringify(summary)).not.toContain('not-the-password-42');
    expect(JSON.stringify(summary)).not.toContain(server.password);
    expect(Object.values(summary.streams).reduce((n, c) => n + c.read, 0)).toBe(0);
  });

  it('a server that does not answer exits 3 with what to check', async () => {
    const summary = await runWith(`postgres://ledgersync:${server.password}@127.0.0.1:1/ledgersync_test`);
    expect(summary.exitCode).toBe(3);
    expect(summary.error).toMatchObject({ code: 'sql_connection_failed', kind: 'auth' });
    expect(summary.error?.fix).toMatch(/server is up and reachable/);
    expect(JSON.stringify(summary)).not.toContain(server.password);
  });
});

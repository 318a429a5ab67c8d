import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { startFakeChargebee, SEED_FACTS, type FakeChargebee } from '../fakes/chargebee/index.js';
import { runPipeline } from '../../engine/run/runner.js';
import { StateStore } from '../../engine/state/store.js';
import { silentLogger } from '../../engine/log.js';
import { JSONL_PIPELINE, chargebeeEnv, readJsonl, tempDir, versionCounts } from './helpers.js';

const STREAMS = ['customers', 'invoices', 'credit_notes', 'transactions'] as const;

let fake: FakeChargebee;
let work: ReturnType<typeof tempDir>;
let clock: number;

beforeEach(async () => {
  clock = SEED_FACTS.bulkUpdatedAt + 3600;
  fake = await startFakeChargebee({ customers: 120, now: () => clock });
  work = tempDir();
});
afterEach(async () => {
  await fake.close();
  work.cleanup();
});

const out = () => join(work.dir, 'out');
const state = () => join(work.dir, 'state.db');
import { createLogger } from '../../engine/log.js';
import { installedConnectors } from '../../app/registry.js';
const dbg = process.env['DBG'] ? createLogger({ level: 'debug', write: (l) => console.log(new Date().toISOString(), l) }) : silentLogger;
const run = (extra: Partial<Parameters<typeof runPipeline>[0]> = {}) =>
  runPipeline({
    connectors: installedConnectors,
    pipelinePath: JSONL_PIPELINE,
    statePath: state(),
    env: chargebeeEnv(fake, out()),
    log: dbg,
    now: () => clock,
    ...extra,
  });

function expectEveryRecordOnce(): void {
  for (const stream of STREAMS) {
    const rows = readJsonl(join(out(), `${stream}.jsonl`));
    const counts = versionCounts(rows);
    const duplicates = [...counts].filter(([, n]) => n > 1);
    expect(duplicates, `${stream} duplicates`).toEqual([]);
    const latest = new Map(rows.map((r) => [String(r['id']), r]));
    const expected = fake.state.entries(stream);
    expect(latest.size, `${stream} ids`).toBe(expected.length);
    for (const entry of expected) {
      expect(latest.get(entry.record.id)?.['resource_version'] ?? null, `${stream} ${entry.record.id}`).toBe(entry.record['resource_version'] ?? null);
    }
  }
}

describe('Chargebee → JSONL end to end', () => {
  it('says when a run starts with no state for its pipeline (a scheduler in another folder gets a new file), and only then', async () => {
    const lines: string[] = [];
    const log = createLogger({ write: (line) => lines.push(line) });
    await run({ log });
    expect(lines.filter((l) => l.includes('first run of'))).toEqual([
      `[ledgersync] first run of chargebee-to-jsonl with the state at ${state()}: no cursor, no ledger yet, every record is read as new (if this pipeline ran before, its state is elsewhere: --state or LEDGERSYNC_STATE)`,
    ]);
    lines.length = 0;
    await run({ log });
    expect(lines.filter((l) => l.includes('first run of'))).toEqual([]);
  });

  it('a full sync writes every record once, flags deleted ones, and an idle re-run writes nothing', async () => {
    const first = await run();
    expect(first.status).toBe('success');
    expect(first.exitCode).toBe(0);
    expectEveryRecordOnce();
    for (const stream of STREAMS) expect(first.streams[stream]!.created).toBe(fake.state.entries(stream).length);

    const customers = readJsonl(join(out(), 'customers.jsonl'));
    expect(customers.some((c) => c['deleted'] === true)).toBe(true);
    expect(customers.some((c) => c['resource_version'] === undefined)).toBe(true); // legacy records without updated_at
    const invoices = readJsonl(join(out(), 'invoices.jsonl'));
    const jpy = invoices.find((i) => i['currency'] === 'JPY');
    expect(jpy?.['total']).toMatch(/^-?\d+$/);
    const kwd = invoices.find((i) => i['currency'] === 'KWD');
    expect(kwd?.['total']).toMatch(/^-?\d+\.\d{3}$/);

    const second = await run();
    expect(second.status).toBe('success');
    expect(Object.values(second.streams).reduce((n, c) => n + c.written, 0)).toBe(0);
    expectEveryRecordOnce();
    expect(readFileSync(state()).includes(fake.apiKey)).toBe(false);
  });

  it("an incremental run picks up changes, including new records in the checkpoint's own second", async () => {
    await run();
    const store = StateStore.open(state());
    const cursor = (store.getCheckpoint('chargebee-to-jsonl', 'invoices') as { cursor: number }).cursor;
    store.close();
    expect(cursor).toBe(SEED_FACTS.bulkUpdatedAt);

    // Late arrivals stamped with the very second the checkpoint holds.
    fake.state.setClock(cursor);
    const someCustomer = fake.state.entries('customers')[5]!.record.id;
    const late = fake.state.create('invoices', {
      customer_id: someCustomer,
      currency_code: 'USD',
      total: 1234,
      amount_due: 1234,
      date: cursor,
      status: 'payment_due',
      line_items: [],
    });
    const changedInvoice = fake.state.entries('invoices')[10]!.record.id;
    fake.state.touch('invoices', changedInvoice, { amount_due: 0, status: 'paid' });
    fake.state.setClock(undefined);
    clock += 60;
    const changedCustomer = fake.state.entries('customers')[7]!.record.id;
    fake.state.touch('customers', changedCustomer, { company: 'Renamed Ltd' });
    const changedNote = fake.state.entries('credit_notes')[0]!.record.id;
    fake.state.touch('credit_notes', changedNote, { status: 'refunded' });

    const second = await run();
    expect(second.status).toBe('success');
    expect(second.streams['invoices']!.created).toBe(1);
    expect(second.streams['invoices']!.updated).toBe(1);
    expect(second.streams['customers']!.updated).toBe(1);
    expect(second.streams['credit_notes']!.updated).toBe(1);
    expectEveryRecordOnce();
    const invoices = readJsonl(join(out(), 'invoices.jsonl'));
    expect(invoices.filter((i) => i['id'] === late.id)).toHaveLength(1);
  });

  it('loses nothing under injected 429s, 503s and dropped connections', async () => {
    fake.faults.rateLimitNext(3, 1);
    fake.faults.failEvery(4, 503);
    const summary = await run();
    fake.faults.clear();
    expect(summary.status).toBe('success');
    expectEveryRecordOnce();
    expect(fake.requests.filter((r) => r.status === 429).length).toBe(3);
    expect(fake.requests.filter((r) => r.status === 503).length).toBeGreaterThanOrEqual(3);

    // A flaky network: sockets reset mid-request on the next incremental run.
    clock += 60;
    fake.state.touch('invoices', fake.state.entries('invoices')[3]!.record.id, { amount_due: 0, status: 'paid' });
    fake.faults.resetConnectionNext(2);
    const flaky = await run();
    expect(flaky.status).toBe('success');
    expect(flaky.streams['invoices']!.updated).toBe(1);
    expectEveryRecordOnce();
  });

  it('start_date: nothing dated before the go-live is read', async () => {
    const pipeline = join(work.dir, 'go-live.yaml');
    writeFileSync(pipeline, readFileSync(JSONL_PIPELINE, 'utf8').replace('timezone: UTC', 'timezone: UTC\nstart_date: 2024-01-01'));
    const summary = await run({ pipelinePath: pipeline });
    expect(summary.status).toBe('success');
    const goLive = Date.UTC(2024, 0, 1) / 1000;
    const invoices = readJsonl(join(out(), 'invoices.jsonl'));
    const expected = fake.state.entries('invoices').filter((e) => Number(e.record['date']) >= goLive);
    expect(invoices.length).toBe(expected.length);
    expect(invoices.every((i) => String(i['date']) >= '2024-01-01')).toBe(true);
    expect(expected.length).toBeLessThan(fake.state.entries('invoices').length);
  });

  it('a start_date moved earlier reads what it now includes: a cursor is never applied to a read it was not saved for', async () => {
    const pipeline = join(work.dir, 'go-live.yaml');
    const text = readFileSync(JSONL_PIPELINE, 'utf8');
    writeFileSync(pipeline, text.replace('timezone: UTC', 'timezone: UTC\nstart_date: 2024-01-01'));
    expect((await run({ pipelinePath: pipeline })).status).toBe('success');
    const lines: string[] = [];
    writeFileSync(pipeline, text.replace('timezone: UTC', 'timezone: UTC\nstart_date: 2020-01-01'));
    const moved = await run({ pipelinePath: pipeline, log: createLogger({ write: (line) => lines.push(line) }) });
    expect(moved.status).toBe('success');
    expect(lines.filter((l) => l.includes('changed since its cursor was saved')).length).toBe(4);
    // Every invoice once: those written before are not written again, the older ones now are.
    const invoices = readJsonl(join(out(), 'invoices.jsonl'));
    expect(new Set(invoices.map((i) => i['id'])).size).toBe(invoices.length);
    expect(invoices.length).toBe(fake.state.entries('invoices').filter((e) => Number(e.record['date']) >= Date.UTC(2020, 0, 1) / 1000).length);
    // The cursors are now saved for the new read: the next run uses them.
    lines.length = 0;
    await run({ pipelinePath: pipeline, log: createLogger({ write: (line) => lines.push(line) }) });
    expect(lines.filter((l) => l.includes('changed since its cursor was saved'))).toEqual([]);
  });

  it('a wrong key exits 3 with a message naming the site and what to check, without the key, and advances nothing', async () => {
    const env = { ...chargebeeEnv(fake, out()), CHARGEBEE_API_KEY: 'live_wrongwrongwrongwrong' };
    const summary = await runPipeline({ connectors: installedConnectors, pipelinePath: JSONL_PIPELINE, statePath: state(), env, log: silentLogger });
    expect(summary.exitCode).toBe(3);
    expect(summary.error?.message).toMatch(/Chargebee site 'acme-test' rejected the API key/);
    expect(summary.error?.fix).toMatch(/CHARGEBEE_API_KEY/);
    expect(JSON.stringify(summary)).not.toContain('live_wrongwrongwrongwrong');
    const store = StateStore.open(state());
    expect(store.listCheckpoints('chargebee-to-jsonl')).toEqual([]);
    expect(store.recentRuns('chargebee-to-jsonl')[0]).toMatchObject({ status: 'failed', exitCode: 3 });
    store.close();
    for (const file of ['state.db', 'state.db-wal'].map((f) => join(work.dir, f)).filter((f) => existsSync(f))) {
      expect(readFileSync(file).includes('live_wrongwrongwrongwrong'), file).toBe(false);
    }
  });

  it('--full-refresh re-reads everything but writes nothing twice', async () => {
    await run();
    const again = await run({ fullRefresh: true });
    expect(again.streams['invoices']!.read).toBe(fake.state.entries('invoices').length);
    expect(Object.values(again.streams).reduce((n, c) => n + c.written, 0)).toBe(0);
    expectEveryRecordOnce();
  });

  it('a second run of the same pipeline while one holds the lock exits 4', async () => {
    fake.faults.delayMs = 30;
    const first = run();
    // The first run holds the lock once it talks to Chargebee.
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const second = await run();
    expect(second.exitCode).toBe(4);
    expect(second.error?.message).toMatch(
      /^another run of pipeline 'chargebee-to-jsonl' holds the lock \(run \S+, pid \d+ on .+; lease renewed \d+ s ago, valid until /,
    );
    fake.faults.delayMs = 0;
    expect((await first).exitCode).toBe(0);
  });
});

/**
 * `ledgersync serve` on PostgreSQL state hands webhook events to the job queue: the built `serve`
 * (without any Chargebee or QuickBooks credential) and one built `worker`, a throwaway PostgreSQL,
 * the fake Chargebee sending deliveries and the fake QuickBooks Online receiving documents. A signed
 * event → one `webhook` job → the document once; the same event delivered again → no second job,
 * no second write; an event arriving while a run holds the pipeline's lock → synced after that run,
 * never during it. Needs `npm run build`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateStore } from '../../engine/state/store.js';
import { startSandbox, type Sandbox } from '../connectors/quickbooks-online/e2e-harness.js';
import { deliverWebhook, eventsAbout, webhookBody } from '../fakes/chargebee/index.js';
import type { FakeQboOptions } from '../fakes/qbo/index.js';
import type { Entity } from '../fakes/qbo/index.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { ROOT } from './helpers.js';
import { WEBHOOK_SECRET, basic, spawnServe, type ServeProcess } from './serve-harness.js';
import { startWorkerProcess, stopWorker, type WorkerProcess } from './workers-harness.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));
const PIPELINE = 'chargebee-to-quickbooks';
const SCHEMA = 'serveq';

let server: TestPostgres;
let sandbox: Sandbox;
let state: string;
let serve: ServeProcess;
let worker: WorkerProcess;
/** Read by the fake QuickBooks on every request: raised to make a run slow enough to overlap a delivery. */
const qboOptions: FakeQboOptions = {};

beforeAll(async () => {
  if (!built) return;
  server = await startPostgres({ maxConnections: 40 });
  state = `${server.url}?schema=${SCHEMA}`;
  sandbox = await startSandbox({}, qboOptions);
  const first = await sandbox.run({ statePath: state });
  expect(first.exitCode, JSON.stringify(first.error)).toBe(0);
  const workerEnv = {
    PATH: process.env['PATH'],
    ...sandbox.env,
    LEDGERSYNC_STATE: state,
    LEDGERSYNC_LOCK_TTL_SECONDS: '5',
    LEDGERSYNC_QUEUE_MAINTENANCE_SECONDS: '1',
    LEDGERSYNC_QUEUE_RETRY_DELAY_SECONDS: '1',
    LEDGERSYNC_QUEUE_REARM_SECONDS: '1',
  };
  worker = startWorkerProcess(['--poll-seconds', '0.5', '--dir', sandbox.dir], workerEnv, sandbox.dir, 'machine-w');
  // serve gets the state, the webhook secret and PATH: no credential of Chargebee or QuickBooks.
  serve = await spawnServe(sandbox.pipelinePath, ['--dir', sandbox.dir], {
    PATH: process.env['PATH'] ?? '',
    LEDGERSYNC_STATE: state,
    LEDGERSYNC_WEBHOOK_SECRET: WEBHOOK_SECRET,
  });
}, 180_000);

afterAll(async () => {
  if (serve && serve.child.exitCode === null && serve.child.signalCode === null) {
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
  }
  if (worker) expect(await stopWorker(worker)).toBe(0);
  await sandbox?.close();
  await server?.stop();
}, 60_000);

function invoicesNumbered(docNumber: string): Entity[] {
  return sandbox.qbo.state.entities('Invoice').filter((e) => e['DocNumber'] === docNumber);
}

function webhookEvent(eventId: string) {
  const store = StateStore.open(state);
  try {
    return store.webhooks.get(PIPELINE, eventId);
  } finally {
    store.close();
  }
}

/** The pg-boss jobs (live and archived) sent for one event. */
async function jobsFor(eventId: string): Promise<Array<{ id: string; data: Record<string, unknown> }>> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    const query = (table: string) =>
      `SELECT id::text AS id, data FROM ${SCHEMA}_queue.${table} WHERE name = 'ledgersync-run' AND data->>'reason' = 'webhook' AND data->'event'->>'id' = $1`;
    const { rows } = await client.query(`${query('job')} UNION ALL ${query('archive')}`, [eventId]);
    return rows as Array<{ id: string; data: Record<string, unknown> }>;
  } finally {
    await client.end();
  }
}

/** Until a run holds the pipeline's lock. */
async function waitForLock(): Promise<void> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    const deadline = Date.now() + 20_000;
    while ((await client.query(`SELECT 1 FROM ${SCHEMA}.locks WHERE pipeline = $1`, [PIPELINE])).rowCount === 0) {
      if (Date.now() > deadline) throw new Error('no run took the lock');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await client.end();
  }
}

/** A new invoice in Chargebee, as a copy of an open one (its customer is in QBO already), and its event. */
function newInvoice(id: string) {
  const open = sandbox.cb.state.all('invoices').find((i) => !i.deleted && i.status === 'payment_due')!;
  const { id: _id, ...copy } = open;
  sandbox.cb.state.create('invoices', { ...copy, id });
  return eventsAbout(sandbox.cb.state, 'invoice', id).at(-1)!;
}

describe.skipIf(!built)('ledgersync serve on PostgreSQL state: webhook events through the job queue', () => {
  it('a signed event becomes one webhook job carrying only its id; a worker writes the document once and marks the event done', async () => {
    const event = newInvoice('WHQ-ONE');
    const writesBefore = sandbox.qbo.state.writes.length;
    const delivery = await deliverWebhook(serve.webhookUrl, webhookBody(event), basic);
    expect(delivery.status).toBe(200);
    expect(JSON.parse(delivery.body)).toEqual({ status: 'queued', event_id: event.id });
    // Stored (de-duplication, audit) before the answer, and handed off: the job is there when the answer is.
    expect(webhookEvent(event.id!)).toMatchObject({ status: expect.stringMatching(/queued|processing|done/), deliveries: 1 });
    const jobs = await jobsFor(event.id!);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.data).toEqual({
      pipeline: PIPELINE,
      file: 'chargebee-to-quickbooks.yaml',
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      reason: 'webhook',
      event: { id: event.id, type: event.event_type },
    });

    const done = await worker.waitForJob((e) => e.eventId === event.id && e.status !== 'locked');
    expect(done).toMatchObject({ reason: 'webhook', pipeline: PIPELINE, status: 'success', exitCode: 0, id: jobs[0]!.id });
    expect(invoicesNumbered('WHQ-ONE')).toHaveLength(1);
    expect(sandbox.qbo.state.writes.slice(writesBefore)).toEqual([{ entity: 'Invoice', operation: 'create', id: invoicesNumbered('WHQ-ONE')[0]!.Id }]);
    expect(webhookEvent(event.id!)).toMatchObject({
      status: 'done',
      attempts: 1,
      runId: done.runId,
      outcome: { records: expect.arrayContaining([expect.objectContaining({ stream: 'invoices', id: 'WHQ-ONE', outcome: 'created' })]) },
    });
    const health = (await (await fetch(`${serve.url}/healthz`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ status: 'ok', synced_by: 'queue workers', pipelines: { [PIPELINE]: { done: 1, queued: 0 } } });
    expect(serve.output()).toContain(`event ${event.id} handed to the job queue`);
  });

  it('the same event delivered 3 times at once and once more after it is synced: one job, one write', async () => {
    const event = newInvoice('WHQ-TWICE');
    const writesBefore = sandbox.qbo.state.writes.length;
    const deliveries = await Promise.all([1, 2, 3].map(() => deliverWebhook(serve.webhookUrl, webhookBody(event), basic)));
    expect(deliveries.map((d) => d.status)).toEqual([200, 200, 200]);
    expect(deliveries.map((d) => (JSON.parse(d.body) as { status: string }).status).sort()).toEqual(['duplicate', 'duplicate', 'queued']);
    await worker.waitForJob((e) => e.eventId === event.id && e.status === 'success');
    const late = await deliverWebhook(serve.webhookUrl, webhookBody(event), basic);
    expect(JSON.parse(late.body)).toEqual({ status: 'duplicate', event_id: event.id });
    // Long enough for a second job, had one been sent, to be taken (the worker polls every 0.5 s).
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(await jobsFor(event.id!)).toHaveLength(1);
    expect(worker.jobs.filter((e) => e.eventId === event.id)).toHaveLength(1);
    expect(invoicesNumbered('WHQ-TWICE')).toHaveLength(1);
    expect(sandbox.qbo.state.writes.slice(writesBefore)).toHaveLength(1);
    expect(webhookEvent(event.id!)).toMatchObject({ status: 'done', deliveries: 4, attempts: 1 });
  });

  it('an event arriving while a run holds the lock is synced after that run, never during it', async () => {
    // A run of the customers stream with writes to make, each QuickBooks answer slowed: it holds the
    // lock for seconds. It reads no invoice, so the event's invoice is the worker's to write.
    const changed = sandbox.cb.state.all('customers').slice(0, 4);
    for (const customer of changed) sandbox.cb.state.touch('customers', customer.id, { email: `billing+${customer.id}@example.com` });
    const event = newInvoice('WHQ-LOCKED');
    qboOptions.latencyMs = 500;
    const writesBefore = sandbox.qbo.state.writes.length;
    let runEnded = 0;
    let runWrites = 0;
    const run = sandbox.run({ statePath: state, streams: ['customers'] }).then((summary) => {
      runEnded = Date.now();
      runWrites = sandbox.qbo.state.writes.length - writesBefore;
      return summary;
    });
    try {
      await waitForLock();
      const delivery = await deliverWebhook(serve.webhookUrl, webhookBody(event), basic);
      expect(delivery.status).toBe(200);
      const locked = await worker.waitForJob((e) => e.eventId === event.id, 30_000);
      expect(locked).toMatchObject({ status: 'locked', error: { code: 'run_locked' } });
      expect(runEnded).toBe(0);
      const summary = await run;
      expect(summary.exitCode, JSON.stringify(summary.error)).toBe(0);
      expect(runWrites).toBe(changed.length);
      const synced = await worker.waitForJob((e) => e.eventId === event.id && e.status === 'success', 30_000);
      // Retried by pg-boss after the run released the lock; the run's writes all came before its own.
      expect(Date.parse(synced.startedAt)).toBeGreaterThanOrEqual(runEnded - 50);
      expect(synced.retry).toBeGreaterThanOrEqual(1);
      const writes = sandbox.qbo.state.writes.slice(writesBefore);
      expect(writes.map((w) => w.entity)).toEqual([...changed.map(() => 'Customer'), 'Invoice']);
      expect(writes.at(-1)).toEqual({ entity: 'Invoice', operation: 'create', id: invoicesNumbered('WHQ-LOCKED')[0]!.Id });
      expect(webhookEvent(event.id!)).toMatchObject({ status: 'done', attempts: 1 });
      expect(await jobsFor(event.id!)).toHaveLength(1);
    } finally {
      qboOptions.latencyMs = 0;
      await run;
    }
  });

  it('an event whose job used up its 10 retries behind a long-held lock is tried again, and synced once the lock is free', async () => {
    const event = newInvoice('WHQ-STRANDED');
    const holder = StateStore.open(state);
    const held = holder.beginRun(PIPELINE);
    if ('heldBy' in held) throw new Error(`the pipeline is locked by ${held.heldBy.runId}`);
    try {
      expect((await deliverWebhook(serve.webhookUrl, webhookBody(event), basic)).status).toBe(200);
      // pg-boss's last retry (the 10th) finds the lock held; without re-arming the job would stay failed.
      await worker.waitForJob((e) => e.eventId === event.id && e.retry === 10 && e.status === 'locked', 60_000);
      const rearmed = await worker.waitForJob((e) => e.eventId === event.id && e.retry > 10, 30_000);
      expect(rearmed).toMatchObject({ status: 'locked', error: { code: 'run_locked' } });
      expect(webhookEvent(event.id!)?.status).toBe('queued');
      expect(invoicesNumbered('WHQ-STRANDED')).toHaveLength(0);
    } finally {
      holder.finishRun(PIPELINE, held.runId, 'success', 0, {});
      holder.close();
    }
    const synced = await worker.waitForJob((e) => e.eventId === event.id && e.status === 'success', 30_000);
    expect(synced.retry).toBeGreaterThan(10);
    expect(invoicesNumbered('WHQ-STRANDED')).toHaveLength(1);
    expect(webhookEvent(event.id!)).toMatchObject({ status: 'done', attempts: 1 });
    // The same job, given more tries: no second job was sent for the event.
    expect(await jobsFor(event.id!)).toHaveLength(1);
    expect(worker.output()).toContain(`event ${event.id} still waits after its job's retries: one more try`);
  }, 120_000);
});

/**
 * A `webhook` job never completes while its event still waits in webhook_events: it fails as
 * transient, so that pg-boss gives it again (a redelivery sends the same job id, ignored while a
 * completed job holds it, and the re-armer only takes failed jobs). Its event put back for a strange
 * answer, or a configuration error of the worker (a missing variable, a secret key), is synced once
 * the cause is gone. `ledgersync serve` and a queue worker in process, on a throwaway PostgreSQL,
 * against the fake Chargebee and the fake QuickBooks Online.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgersyncError } from '../../../engine/errors.js';
import { silentLogger } from '../../../engine/log.js';
import { WorkerMetrics } from '../../../engine/queue/metrics.js';
import { runWebhookJob } from '../../../engine/queue/webhook-job.js';
import { startWorker, type JobEvent, type RunningWorker } from '../../../engine/queue/worker.js';
import { startServe, type ServeHandle } from '../../../engine/serve/serve.js';
import { StateStore } from '../../../engine/state/store.js';
import { startSandbox, type Sandbox } from '../../connectors/quickbooks-online/e2e-harness.js';
import { deliverWebhook, eventsAbout, webhookBody } from '../../fakes/chargebee/index.js';
import { startPostgres, type TestPostgres } from '../../support/postgres.js';
import { withStrangeEventAnswers } from '../../support/strange-event-answers.js';
import { withSinkWatched, type SinkWatch } from '../../support/watched-connectors.js';
import { waitFor } from '../../e2e/serve-harness.js';

const PIPELINE = 'chargebee-to-quickbooks';
const SECRET = 'webhook-job-waiting-secret-0123456789';

let server: TestPostgres;
let sandbox: Sandbox;
let stateUrl: string;
let serve: ServeHandle | undefined;
let worker: RunningWorker | undefined;
const jobs: JobEvent[] = [];
const envBefore = { ...process.env };
/** The event id whose GET /events/{id} answers with an unexpected shape, while set. */
let poisoned = '';

const registry = withStrangeEventAnswers(() => poisoned);

beforeAll(async () => {
  server = await startPostgres({ maxConnections: 40 });
  stateUrl = `${server.url}?schema=webhook_job_waiting`;
  sandbox = await startSandbox();
  // The worker reads the pipeline's variables from its environment.
  Object.assign(process.env, sandbox.env);
  const first = await sandbox.run({ statePath: stateUrl });
  expect(first.exitCode, JSON.stringify(first.error)).toBe(0);
  serve = await startServe({
    connectors: registry,
    pipelinePaths: [sandbox.pipelinePath],
    statePath: stateUrl,
    port: 0,
    host: '127.0.0.1',
    env: { PATH: process.env['PATH'], LEDGERSYNC_WEBHOOK_SECRET: SECRET },
    log: silentLogger,
    jobDir: sandbox.dir,
  });
  worker = await startWorker({
    stateUrl,
    connectors: registry,
    dir: sandbox.dir,
    pollingIntervalSeconds: 0.5,
    rearmIntervalMs: 500,
    queue: { retryDelaySeconds: 1, maintenanceIntervalSeconds: 1 },
    log: silentLogger,
    metrics: new WorkerMetrics(),
    onJob: (e) => jobs.push(e),
  });
}, 180_000);

afterAll(async () => {
  serve?.stop();
  await serve?.closed;
  await worker?.stop();
  await sandbox?.close();
  await server?.stop();
  for (const key of Object.keys(process.env)) if (!(key in envBefore)) delete process.env[key];
  Object.assign(process.env, envBefore);
}, 60_000);

function eventRow(eventId: string) {
  const store = StateStore.open(stateUrl);
  try {
    return store.webhooks.get(PIPELINE, eventId);
  } finally {
    store.close();
  }
}

/** Changes the due date of the n-th open invoice on the fake Chargebee: its event, and the date QBO should get. */
function changeInvoice(n: number): { eventId: string; invoiceId: string; due: string; type: string } {
  const invoice = sandbox.cb.state.all('invoices').filter((i) => !i.deleted && i.status === 'payment_due')[n]!;
  const due = invoice.due_date! + 86_400 * 3;
  sandbox.cb.state.touch('invoices', invoice.id, { due_date: due });
  const event = eventsAbout(sandbox.cb.state, 'invoice', invoice.id).at(-1)!;
  return { eventId: event.id!, invoiceId: invoice.id, due: new Date(due * 1000).toISOString().slice(0, 10), type: event.event_type! };
}

const qboDue = (invoiceId: string) => sandbox.qbo.state.entities('Invoice').find((e) => e['DocNumber'] === invoiceId)?.['DueDate'];

async function delivered(eventId: string): Promise<void> {
  const events = sandbox.cb.state.all('events').filter((e) => e.id === eventId);
  expect((await deliverWebhook(`${serve!.url}/webhooks/${PIPELINE}`, webhookBody(events[0]!), { token: SECRET })).status).toBe(200);
}

describe('webhook jobs whose event still waits', () => {
  it('an event put back after a strange answer: its job fails (exit 3) and is retried until the event is synced', async () => {
    const change = changeInvoice(0);
    poisoned = change.eventId;
    await delivered(change.eventId);
    await waitFor(() => jobs.some((j) => j.eventId === change.eventId), 'the webhook job to run', 30_000);
    const first = jobs.find((j) => j.eventId === change.eventId)!;
    expect(first).toMatchObject({ status: 'failed', exitCode: 3, error: { code: 'unexpected_response' } });
    expect(first.error?.message).toMatch(new RegExp(`event ${change.eventId} is still queued after its sync: no event in the answer`));
    expect(eventRow(change.eventId)).toMatchObject({ status: 'queued', error: { code: 'unexpected_response' } });

    poisoned = '';
    await waitFor(() => eventRow(change.eventId)?.status === 'done', 'the retried job to sync the event', 20_000);
    expect(qboDue(change.invoiceId)).toBe(change.due);
    expect(jobs.filter((j) => j.eventId === change.eventId).at(-1)).toMatchObject({ status: 'success', exitCode: 0, retry: expect.any(Number) });
    expect(jobs.filter((j) => j.eventId === change.eventId).at(-1)!.retry).toBeGreaterThan(0);
  }, 60_000);

  it('a configuration error of the worker (no secret key for the stored tokens): the job is retried, and the event synced once it is fixed', async () => {
    const key = process.env['LEDGERSYNC_SECRET_KEY'];
    delete process.env['LEDGERSYNC_SECRET_KEY'];
    const change = changeInvoice(1);
    try {
      await delivered(change.eventId);
      await waitFor(() => jobs.filter((j) => j.eventId === change.eventId).length >= 2, 'the job to be retried', 30_000);
    } finally {
      process.env['LEDGERSYNC_SECRET_KEY'] = key;
    }
    const first = jobs.find((j) => j.eventId === change.eventId)!;
    expect(first).toMatchObject({ status: 'failed', exitCode: 3, error: { code: 'secret_key_missing' } });
    expect(first.error?.message).toContain(`event ${change.eventId} stays queued; its job is retried until this is fixed`);
    await waitFor(() => eventRow(change.eventId)?.status === 'done', 'the event once the key is back', 20_000);
    expect(qboDue(change.invoiceId)).toBe(change.due);
  }, 60_000);

  it('a pipeline that does not load on the worker (a variable missing) fails its job as transient, the event untouched', async () => {
    const change = changeInvoice(2);
    const store = StateStore.open(stateUrl);
    try {
      store.webhooks.enqueue(PIPELINE, change.eventId, change.type, Date.now());
    } finally {
      store.close();
    }
    const env = { ...process.env, CHARGEBEE_API_KEY: undefined };
    const signal = new AbortController().signal;
    const input = { connectors: registry, stateUrl, pipelinePath: sandbox.pipelinePath, eventId: change.eventId, log: silentLogger, signal };
    const invalid = await runWebhookJob({ ...input, env });
    expect(invalid.summary).toMatchObject({ status: 'invalid', exitCode: 3, error: { code: 'invalid_configuration', kind: 'transient' } });
    expect(invalid.summary.error?.message).toMatch(/CHARGEBEE_API_KEY/);
    expect(eventRow(change.eventId)).toMatchObject({ status: 'queued', attempts: 0 });
    // Fixed: the same job syncs it.
    const fixed = await runWebhookJob({ ...input, env: process.env });
    expect(fixed.summary).toMatchObject({ status: 'success', exitCode: 0 });
    expect(eventRow(change.eventId)?.status).toBe('done');
  }, 60_000);

  it('a drain whose sink keeps a period waiting at close: the job is partial with exit 1 and names it, as a run', async () => {
    const change = changeInvoice(3);
    const store = StateStore.open(stateUrl);
    try {
      store.webhooks.enqueue(PIPELINE, change.eventId, change.type, Date.now());
    } finally {
      store.close();
    }
    const locked = new LedgersyncError('dualentry_period_locked', 'config', 'the period 2026-01 is locked', { fix: 'reopen 2026-01 in the target' });
    const watch: SinkWatch = { calls: [], closeReport: { waiting: [{ subject: 'Test period 2026-01', error: locked }] } };
    const job = await runWebhookJob({
      connectors: withSinkWatched('quickbooks-online', watch),
      stateUrl,
      pipelinePath: sandbox.pipelinePath,
      eventId: change.eventId,
      log: silentLogger,
      signal: new AbortController().signal,
      env: process.env,
    });
    // Before, the job said success with exit 0 while the runs table said partial.
    expect(job.summary).toMatchObject({
      status: 'partial',
      exitCode: 1,
      waiting: [{ subject: 'Test period 2026-01', code: 'dualentry_period_locked', fix: 'reopen 2026-01 in the target' }],
    });
    expect(watch.calls).toEqual(['close', 'dispose']);
    expect(eventRow(change.eventId)?.status).toBe('done');
    expect(qboDue(change.invoiceId)).toBe(change.due);
  }, 60_000);
});

/**
 * The webhook worker when things go wrong, with `ledgersync serve` started in process (short retry
 * delays) against the fake Chargebee and the fake QuickBooks Online: Chargebee unreachable, a
 * scheduled run holding the lock, one event Chargebee answers strangely.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import type { ConnectorRegistry } from '../../../engine/connector/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { startServe, type ServeHandle } from '../../../engine/serve/serve.js';
import { StateStore } from '../../../engine/state/store.js';
import { WebhookQueue } from '../../../engine/state/webhook-queue.js';
import { startSandbox, type Sandbox } from '../../connectors/quickbooks-online/e2e-harness.js';
import { deliverWebhook, eventsAbout, webhookBody } from '../../fakes/chargebee/index.js';
import { waitFor } from '../../e2e/serve-harness.js';
import { withStrangeEventAnswers } from '../../support/strange-event-answers.js';

const PIPELINE = 'chargebee-to-quickbooks';
const SECRET = 'worker-test-secret-0123456789';

let sandbox: Sandbox | undefined;
let handle: ServeHandle | undefined;
afterEach(async () => {
  handle?.abort();
  await handle?.closed;
  handle = undefined;
  await sandbox?.close();
  sandbox = undefined;
});

async function serving(registry: ConnectorRegistry = installedConnectors, options: { stopGraceMs?: number } = {}): Promise<{ s: Sandbox; serve: ServeHandle }> {
  const s = (sandbox = await startSandbox());
  // Chargebee's own retries made short, so that the worker's retry is what the test sees.
  s.edit([
    ['  base_url: ${CHARGEBEE_BASE_URL:-}\n', '  base_url: ${CHARGEBEE_BASE_URL:-}\n  retry: { max_attempts: 2, base_delay_ms: 20, max_delay_ms: 40 }\n'],
  ]);
  expect((await s.run()).exitCode).toBe(0);
  handle = await startServe({
    connectors: registry,
    pipelinePaths: [s.pipelinePath],
    statePath: s.statePath,
    port: 0,
    host: '127.0.0.1',
    env: { ...s.env, LEDGERSYNC_WEBHOOK_SECRET: SECRET },
    log: silentLogger,
    worker: { retryDelayMs: () => 300, lockRetryMs: 100 },
    ...options,
  });
  return { s, serve: handle };
}

async function changeAndDeliver(
  s: Sandbox,
  serve: ServeHandle,
  invoiceIndex = 0,
  beforeDelivery: (eventId: string) => void = () => {},
): Promise<{ eventId: string; due: string; invoiceId: string }> {
  const invoice = s.cb.state.all('invoices').filter((i) => !i.deleted && i.status === 'payment_due')[invoiceIndex]!;
  const due = invoice.due_date! + 86_400 * 3;
  s.cb.state.touch('invoices', invoice.id, { due_date: due });
  const event = eventsAbout(s.cb.state, 'invoice', invoice.id).at(-1)!;
  beforeDelivery(event.id!);
  const delivery = await deliverWebhook(`${serve.url}/webhooks/${PIPELINE}`, webhookBody(event), { token: SECRET });
  expect(delivery.status).toBe(200);
  return { eventId: event.id!, due: new Date(due * 1000).toISOString().slice(0, 10), invoiceId: invoice.id };
}

const qboDue = (s: Sandbox, id: string) => s.qbo.state.entities('Invoice').find((e) => e['DocNumber'] === id)?.['DueDate'];

function queued(s: Sandbox, eventId: string) {
  const state = StateStore.open(s.statePath);
  try {
    return state.webhooks.get(PIPELINE, eventId);
  } finally {
    state.close();
  }
}

async function health(serve: ServeHandle): Promise<{ status: string; pipelines: Record<string, Record<string, unknown>> }> {
  return (await (await fetch(`${serve.url}/healthz`)).json()) as { status: string; pipelines: Record<string, Record<string, unknown>> };
}

describe('webhook worker', () => {
  it('keeps events queued while Chargebee is unreachable, says so on /healthz, and syncs them once it is back', async () => {
    const { s, serve } = await serving();
    s.cb.faults.serviceUnavailableNext(10_000, 'json');
    const { eventId, due, invoiceId } = await changeAndDeliver(s, serve);
    await waitFor(() => (queued(s, eventId)?.attempts ?? 0) >= 2 && queued(s, eventId)?.status === 'queued', 'two failed attempts');
    expect(queued(s, eventId)).toMatchObject({ status: 'queued', error: { code: 'chargebee_site_not_ready' } });
    const sick = await health(serve);
    expect(sick.status).toBe('degraded');
    expect(sick.pipelines[PIPELINE]).toMatchObject({ queued: 1, retrying: 1, lastError: expect.stringMatching(/503/) });
    s.cb.faults.clear();
    await waitFor(() => qboDue(s, invoiceId) === due, 'the invoice in QBO once Chargebee is back');
    await waitFor(() => queued(s, eventId)?.status === 'done', 'the event done');
    expect((await health(serve)).status).toBe('ok');
  });

  it('waits for a scheduled run that holds the lock, then syncs', async () => {
    const { s, serve } = await serving();
    const state = StateStore.open(s.statePath);
    const held = state.beginRun(PIPELINE);
    if (!('runId' in held)) throw new Error('lock not taken');
    const { eventId, due, invoiceId } = await changeAndDeliver(s, serve);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(qboDue(s, invoiceId)).not.toBe(due);
    expect(queued(s, eventId)?.status).toBe('queued');
    expect((await health(serve)).pipelines[PIPELINE]).toMatchObject({ waitingForLock: true, queued: 1 });
    state.finishRun(PIPELINE, held.runId, 'success', 0, {});
    state.close();
    await waitFor(() => queued(s, eventId)?.status === 'done', 'the event done after the run');
    expect(qboDue(s, invoiceId)).toBe(due);
  });

  it('a stop while a scheduled run holds the lock ends at once; the event stays queued for the next start', async () => {
    const { s, serve } = await serving();
    const state = StateStore.open(s.statePath);
    try {
      const held = state.beginRun(PIPELINE);
      if (!('runId' in held)) throw new Error('lock not taken');
      const { eventId } = await changeAndDeliver(s, serve);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect((await health(serve)).pipelines[PIPELINE]).toMatchObject({ waitingForLock: true, queued: 1 });
      const stopping = Date.now();
      serve.stop();
      await serve.closed;
      expect(Date.now() - stopping).toBeLessThan(2000);
      expect(queued(s, eventId)?.status).toBe('queued');
      state.finishRun(PIPELINE, held.runId, 'success', 0, {});
    } finally {
      state.close();
    }
  });

  it('a stop whose drain hangs on the target gives up after its grace period; the event stays queued for the next start', async () => {
    const { s, serve } = await serving(installedConnectors, { stopGraceMs: 300 });
    let answer!: () => void;
    const hung = new Promise<void>((resolve) => (answer = resolve));
    s.qbo.faults.afterWrite = () => hung;
    const writes = s.qbo.state.writes.length;
    const { eventId } = await changeAndDeliver(s, serve);
    await waitFor(() => s.qbo.state.writes.length > writes, 'the write to reach QuickBooks');
    const stopping = Date.now();
    serve.stop();
    await serve.closed;
    answer();
    expect(Date.now() - stopping).toBeLessThan(3000);
    expect(queued(s, eventId)?.status).toBe('queued');
  });

  it('a queue that cannot be read (the state file busy past its timeout) is read again: the event is synced', async () => {
    const { s, serve } = await serving();
    const due = WebhookQueue.prototype.due;
    let failures = 0;
    WebhookQueue.prototype.due = function (this: WebhookQueue, ...args: Parameters<WebhookQueue['due']>) {
      if (failures++ === 0) throw Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
      return due.apply(this, args);
    };
    try {
      const { eventId, due: dueDate, invoiceId } = await changeAndDeliver(s, serve);
      await waitFor(() => queued(s, eventId)?.status === 'done', 'the event done after the queue could be read again');
      expect(failures).toBeGreaterThan(1);
      expect(qboDue(s, invoiceId)).toBe(dueDate);
    } finally {
      WebhookQueue.prototype.due = due;
    }
  });

  it('an event Chargebee answers with an unexpected body waits alone; the others are synced', async () => {
    let poisoned = '';
    const { s, serve } = await serving(withStrangeEventAnswers(() => poisoned));
    const bad = await changeAndDeliver(s, serve, 0, (id) => {
      poisoned = id;
    });
    const good = await changeAndDeliver(s, serve, 1);
    await waitFor(() => queued(s, good.eventId)?.status === 'done', 'the good event');
    expect(qboDue(s, good.invoiceId)).toBe(good.due);
    expect(queued(s, bad.eventId)).toMatchObject({ status: 'queued', error: { code: 'unexpected_response' } });
  });
});

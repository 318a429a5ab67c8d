/**
 * Chargebee webhooks end to end: the built `ledgersync serve` in a child process, the fake
 * Chargebee sending deliveries, the fake QuickBooks Online receiving documents, and the example
 * pipeline's state shared with scheduled runs. Needs `npm run build`.
 */
import Database from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../engine/state/store.js';
import { startSandbox, type Sandbox } from '../connectors/quickbooks-online/e2e-harness.js';
import { deliverWebhook, eventsAbout, webhookBody } from '../fakes/chargebee/index.js';
import type { Entity } from '../fakes/qbo/index.js';
import { WEBHOOK_SECRET, basic, cli, deliverLatest, startServeProcess, waitFor, type ServeProcess } from './serve-harness.js';

const PIPELINE = 'chargebee-to-quickbooks';

let sandbox: Sandbox | undefined;
let serve: ServeProcess | undefined;
afterEach(async () => {
  if (serve && serve.child.exitCode === null && serve.child.signalCode === null) {
    serve.child.kill('SIGKILL');
    await serve.exited;
  }
  serve = undefined;
  await sandbox?.close();
  sandbox = undefined;
});

async function synced(options: Parameters<typeof startSandbox>[1] = {}): Promise<Sandbox> {
  sandbox = await startSandbox({}, options);
  const first = await sandbox.run();
  expect(first.exitCode, JSON.stringify(first.error)).toBe(0);
  return sandbox;
}

function invoicesNumbered(s: Sandbox, docNumber: string): Entity[] {
  return s.qbo.state.entities('Invoice').filter((e) => e['DocNumber'] === docNumber);
}

function eventStatus(s: Sandbox, eventId: string): string | undefined {
  const state = StateStore.open(s.statePath);
  try {
    return state.webhooks.get(PIPELINE, eventId)?.status;
  } finally {
    state.close();
  }
}

const isoDate = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

/** An open invoice of a customer already in QBO, to change or to copy. */
function openInvoice(s: Sandbox) {
  return s.cb.state.all('invoices').find((i) => !i.deleted && i.status === 'payment_due')!;
}

describe('ledgersync serve: Chargebee webhooks', () => {
  it('a valid event syncs its invoice within seconds, through the ledger of scheduled runs', async () => {
    const s = await synced();
    serve = await startServeProcess(s);
    const invoice = openInvoice(s);
    const newDue = invoice.due_date! + 86_400 * 7;
    s.cb.state.touch('invoices', invoice.id, { due_date: newDue });
    const writesBefore = s.qbo.state.writes.length;
    const delivery = await deliverLatest(s, serve, 'invoice', invoice.id);
    expect(delivery.status).toBe(200);
    expect(JSON.parse(delivery.body)).toEqual({ status: 'queued', event_id: delivery.eventId });
    await waitFor(() => invoicesNumbered(s, invoice.id)[0]?.['DueDate'] === isoDate(newDue), 'the invoice update in QBO');
    await waitFor(() => eventStatus(s, delivery.eventId) === 'done', 'the event to be done');
    expect(s.qbo.state.writes.slice(writesBefore)).toEqual([{ entity: 'Invoice', operation: 'update', id: invoicesNumbered(s, invoice.id)[0]!.Id }]);
    // The scheduled run that follows finds the ledger up to date.
    const writes = s.qbo.state.writes.length;
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
    const next = await s.run();
    expect(next.exitCode).toBe(0);
    expect(s.qbo.state.writes.length).toBe(writes);
    // status shows the webhook queue beside the runs.
    const status = await cli(s, ['status', s.pipelinePath, '--state', s.statePath]);
    expect(status.stdout).toMatch(/^webhook events \(ledgersync serve\): 0 queued, 0 being synced, 1 done, 0 dropped$/m);
    const json = await cli(s, ['status', s.pipelinePath, '--state', s.statePath, '--json']);
    expect(JSON.parse(json.stdout).webhook_events).toEqual({ queued: 0, processing: 0, done: 1, dropped: 0, retrying: 0 });
  });
  it('the same event delivered 5 times makes one document; the event id is remembered for good', async () => {
    const s = await synced();
    serve = await startServeProcess(s);
    const { id: _id, ...copy } = openInvoice(s);
    const writesBefore = s.qbo.state.writes.length;
    s.cb.state.create('invoices', { ...copy, id: 'WH-FIVE' });
    const event = eventsAbout(s.cb.state, 'invoice', 'WH-FIVE').at(-1)!;
    const deliveries = await Promise.all(Array.from({ length: 5 }, () => deliverWebhook(serve!.webhookUrl, webhookBody(event), basic)));
    expect(deliveries.map((d) => d.status)).toEqual([200, 200, 200, 200, 200]);
    expect(deliveries.map((d) => (JSON.parse(d.body) as { status: string }).status).sort()).toEqual([
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
      'queued',
    ]);
    await waitFor(() => eventStatus(s, event.id!) === 'done', 'the event to be synced');
    // Delivered again long after it was synced: still a duplicate, nothing written.
    const late = await deliverWebhook(serve.webhookUrl, webhookBody(event), basic);
    expect(JSON.parse(late.body)).toEqual({ status: 'duplicate', event_id: event.id });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(invoicesNumbered(s, 'WH-FIVE')).toHaveLength(1);
    expect(s.qbo.state.writes.slice(writesBefore)).toEqual([{ entity: 'Invoice', operation: 'create', id: invoicesNumbered(s, 'WH-FIVE')[0]!.Id }]);
    const state = StateStore.open(s.statePath);
    expect(state.webhooks.get(PIPELINE, event.id!)).toMatchObject({ status: 'done', deliveries: 6, attempts: 1 });
    state.close();
  });

  it('two versions delivered newest first: the newest stays', async () => {
    const s = await synced();
    serve = await startServeProcess(s);
    const invoice = openInvoice(s);
    s.cb.state.touch('invoices', invoice.id, { due_date: invoice.due_date! + 86_400 * 10 });
    const older = eventsAbout(s.cb.state, 'invoice', invoice.id).at(-1)!;
    s.cb.state.touch('invoices', invoice.id, { due_date: invoice.due_date! + 86_400 * 20 });
    const newer = eventsAbout(s.cb.state, 'invoice', invoice.id).at(-1)!;
    expect(Number((newer.content['invoice'] as { resource_version: number }).resource_version)).toBeGreaterThan(
      Number((older.content['invoice'] as { resource_version: number }).resource_version),
    );
    const writesBefore = s.qbo.state.writes.length;
    expect((await deliverWebhook(serve.webhookUrl, webhookBody(newer), basic)).status).toBe(200);
    await waitFor(() => eventStatus(s, newer.id!) === 'done', 'the newer event');
    expect((await deliverWebhook(serve.webhookUrl, webhookBody(older), basic)).status).toBe(200);
    await waitFor(() => eventStatus(s, older.id!) === 'done', 'the older event');
    expect(invoicesNumbered(s, invoice.id)[0]!['DueDate']).toBe(isoDate(invoice.due_date! + 86_400 * 20));
    expect(s.qbo.state.writes.slice(writesBefore)).toHaveLength(1);
  });

  it('forged, unauthenticated, oversized and malformed deliveries write nothing; the secret is never printed nor stored', async () => {
    const s = await synced();
    serve = await startServeProcess(s);
    const invoice = openInvoice(s);
    const real = eventsAbout(s.cb.state, 'invoice', invoice.id).at(-1) ?? s.cb.state.all('events').at(-1)!;
    const writesBefore = s.qbo.state.writes.length;
    const send = (body: string, auth: Parameters<typeof deliverWebhook>[2] = basic) => deliverWebhook(serve!.webhookUrl, body, auth);

    expect((await send(webhookBody(real), { none: true })).status).toBe(401);
    expect((await send(webhookBody(real), { basic: { user: 'chargebee', password: 'not-the-secret-at-all' } })).status).toBe(401);
    expect((await send(webhookBody(real), { token: `${WEBHOOK_SECRET}x` })).status).toBe(401);
    expect((await send('x'.repeat(1024 * 1024 + 1))).status).toBe(413);
    expect((await send('{"id": "ev_1", ')).status).toBe(400);
    expect((await send(JSON.stringify({ object: 'customer', id: 'cus_1' }))).status).toBe(400);
    // Right secret, but an event Chargebee never sent: fetched again, unknown, dropped.
    const forged = {
      id: 'ev_forged_1',
      object: 'event',
      event_type: 'invoice_generated',
      content: { invoice: { ...invoice, id: 'FORGED-1', total: 99_999_999 } },
    };
    expect((await send(JSON.stringify(forged))).status).toBe(200);
    // A real event id with its content tampered with: Chargebee's own copy is what counts.
    const tampered = { ...JSON.parse(webhookBody(real)), content: { invoice: { ...invoice, total: 1, due_date: 1 } } };
    expect((await send(JSON.stringify(tampered), { token: WEBHOOK_SECRET })).status).toBe(200);
    await waitFor(() => eventStatus(s, 'ev_forged_1') === 'dropped' && eventStatus(s, real.id!) === 'done', 'both events to be handled');

    expect(s.qbo.state.writes.slice(writesBefore)).toEqual([]);
    expect(invoicesNumbered(s, 'FORGED-1')).toEqual([]);
    const state = StateStore.open(s.statePath);
    expect(state.webhooks.all(PIPELINE).map((e) => [e.eventId, e.status])).toEqual(
      expect.arrayContaining([
        ['ev_forged_1', 'dropped'],
        [real.id, 'done'],
      ]),
    );
    expect(state.webhooks.all(PIPELINE)).toHaveLength(2);
    state.close();
    expect(serve.output()).toMatch(/refused a delivery to \/webhooks\/chargebee-to-quickbooks from \S+: no or a wrong secret \(401\)/);
    expect(serve.output()).toMatch(/event ev_forged_1 is unknown to the source: dropped, nothing written/);
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
    expect(serve.output()).not.toContain(WEBHOOK_SECRET);
    for (const file of [s.statePath, `${s.statePath}-wal`]) {
      const bytes = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
      for (const secret of [WEBHOOK_SECRET, s.env['QBO_CLIENT_SECRET']!, s.env['CHARGEBEE_API_KEY']!])
        expect(bytes.includes(secret), `${secret} in ${file}`).toBe(false);
    }
  });

  it('SIGTERM mid-queue refuses new deliveries, syncs every queued event, and exits 0', async () => {
    const s = await synced({ latencyMs: 30 });
    serve = await startServeProcess(s);
    const invoices = s.cb.state
      .all('invoices')
      .filter((i) => !i.deleted && i.status === 'payment_due')
      .slice(0, 12);
    for (const invoice of invoices) s.cb.state.touch('invoices', invoice.id, { due_date: invoice.due_date! + 86_400 * 30 });
    const writesBefore = s.qbo.state.writes.length;
    for (const invoice of invoices) expect((await deliverLatest(s, serve, 'invoice', invoice.id)).status).toBe(200);
    serve.child.kill('SIGTERM');
    const writtenAtSignal = s.qbo.state.writes.length - writesBefore;
    expect(writtenAtSignal, 'the queue was not drained yet when SIGTERM came').toBeLessThan(invoices.length);
    await waitFor(() => /draining/.test(serve!.output()), 'the drain to start');
    const refused = await deliverLatest(s, serve, 'invoice', invoices[0]!.id).catch(() => ({ status: 0 }));
    expect([0, 503]).toContain(refused.status);
    expect((await serve.exited).code).toBe(0);
    for (const invoice of invoices) expect(invoicesNumbered(s, invoice.id)[0]!['DueDate'], invoice.id).toBe(isoDate(invoice.due_date! + 86_400 * 30));
    expect(s.qbo.state.writes.slice(writesBefore)).toHaveLength(invoices.length);
    const state = StateStore.open(s.statePath);
    expect(state.webhooks.counts(PIPELINE)).toMatchObject({ queued: 0, processing: 0, done: invoices.length });
    state.close();
  });

  it('--log-format json: every stderr line is one JSON object, from the refusal of a delivery to the drain on SIGTERM', async () => {
    const s = await synced();
    serve = await startServeProcess(s, ['--log-format', 'json']);
    expect((await deliverWebhook(serve.webhookUrl, '{}', { none: true })).status).toBe(401);
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);
    const lines = serve
      .output()
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('listening on'));
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(lines.map((l) => (JSON.parse(l) as { scope: string }).scope)).toContain('ledgersync:serve');
  });

  it('a state file locked by another program: deliveries get a quick 503 and /healthz still answers; redelivered later, they sync', async () => {
    const s = await synced();
    serve = await startServeProcess(s);
    const open = s.cb.state.all('invoices').find((i) => !i.deleted && i.status === 'payment_due')!;
    const { id: _id, ...copy } = open;
    const events = ['inv_locked_1', 'inv_locked_2'].map((id) => {
      s.cb.state.create('invoices', { ...copy, id });
      return eventsAbout(s.cb.state, 'invoice', id).at(-1)!;
    });
    const other = new Database(s.statePath);
    other.exec('BEGIN IMMEDIATE');
    const started = Date.now();
    const answers = await Promise.all([
      ...events.map((e) => deliverWebhook(serve!.webhookUrl, webhookBody(e), basic).then((r) => r.status)),
      fetch(`${serve.url}/healthz`).then((r) => r.status),
    ]);
    const waited = Date.now() - started;
    other.exec('COMMIT');
    other.close();
    expect(answers).toEqual([503, 503, 200]);
    // Each delivery waits a quarter second for the lock, not the 5 s of the workers' connection.
    expect(waited).toBeLessThan(2500);
    for (const e of events) expect((await deliverWebhook(serve.webhookUrl, webhookBody(e), basic)).status).toBe(200);
    await waitFor(() => events.every((e) => eventStatus(s, e.id!) === 'done'), 'both events synced once delivered again');
  });

  it('SIGKILL mid-queue loses nothing: the next start syncs what was queued, each document once', async () => {
    const s = await synced({ latencyMs: 30 });
    serve = await startServeProcess(s);
    const source = openInvoice(s);
    const { id: _id, ...copy } = source;
    const ids = Array.from({ length: 10 }, (_, i) => `WH-KILL-${i}`);
    for (const id of ids) s.cb.state.create('invoices', { ...copy, id });
    for (const id of ids) expect((await deliverLatest(s, serve, 'invoice', id)).status).toBe(200);
    await waitFor(() => s.qbo.state.writes.some((w) => w.operation === 'create'), 'a first document', 10_000);
    serve.child.kill('SIGKILL');
    await serve.exited;
    expect(ids.filter((id) => invoicesNumbered(s, id).length).length, 'killed mid-queue').toBeLessThan(ids.length);
    serve = await startServeProcess(s);
    await waitFor(() => ids.every((id) => ['done'].includes(eventStatus(s, eventsAbout(s.cb.state, 'invoice', id).at(-1)!.id!) ?? '')), 'every event', 30_000);
    for (const id of ids) expect(invoicesNumbered(s, id), id).toHaveLength(1);
    serve.child.kill('SIGTERM');
    await serve.exited;
    // A write cut short by the kill is in the trail as interrupted, and the chain holds.
    const state = StateStore.open(s.statePath);
    expect(state.audit.verify(PIPELINE)).toMatchObject({ open: 0 });
    expect(state.audit.verify(PIPELINE).broken).toBeUndefined();
    state.close();
  });

  it('audit --verify passes after runs and webhooks, and names the entry edited in the state file', async () => {
    const s = await synced();
    serve = await startServeProcess(s);
    const invoice = openInvoice(s);
    s.cb.state.touch('invoices', invoice.id, { due_date: invoice.due_date! + 86_400 });
    const delivery = await deliverLatest(s, serve, 'invoice', invoice.id);
    await waitFor(() => eventStatus(s, delivery.eventId) === 'done', 'the event');
    serve.child.kill('SIGTERM');
    await serve.exited;

    const verified = await cli(s, ['audit', s.pipelinePath, '--state', s.statePath, '--verify']);
    expect(verified.status, verified.stdout + verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/audit trail of chargebee-to-quickbooks: \d+ entries, chain intact/);
    const text = await cli(s, ['audit', s.pipelinePath, '--state', s.statePath, '--id', invoice.id]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(
        `^#\\d+  \\S+Z  invoices ${invoice.id} v\\d+  upsert Invoice → updated \\d+  \\[webhook ${delivery.eventId}, run \\S+, mapped payload sha256:[0-9a-f]{16}\\]$`,
        'm',
      ),
    );
    expect(text.stdout).toMatch(/^ {4}payload \(mapped, sha256 [0-9a-f]{64}\):\n {6}\{\n {8}"ApplyTaxAfterDiscount"/m);
    const trail = await cli(s, ['audit', s.pipelinePath, '--state', s.statePath, '--id', invoice.id, '--json']);
    const entries = (JSON.parse(trail.stdout) as { entries: Array<{ trigger: string; outcome: string; stream: string }> }).entries;
    expect(entries.filter((e) => e.stream === 'invoices').map((e) => [e.trigger, e.outcome])).toEqual([
      ['run', 'created'],
      [`webhook ${delivery.eventId}`, 'updated'],
    ]);

    const db = new Database(s.statePath);
    db.prepare("UPDATE audit_log SET answer_json = replace(answer_json, 'created', 'skipped') WHERE pipeline = ? AND seq = 7").run(PIPELINE);
    db.close();
    const broken = await cli(s, ['audit', s.pipelinePath, '--state', s.statePath, '--verify']);
    expect(broken.status).toBe(1);
    expect(broken.stdout).toMatch(/BROKEN at entry 7 \(\w+ \S+, [0-9T:.-]+Z\): entry 7 was changed after it was written/);
  });
});

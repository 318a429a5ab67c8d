/**
 * A webhook drain is a run, and a run whose lease is lost stops what it has in flight at once with
 * `run_lease_lost`: `ledgersync serve` started in process against the fake Chargebee and a fake
 * QuickBooks Online whose answer to the drain's write never comes, while `unlock --force` releases
 * the drain's lock from elsewhere.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { createLogger } from '../../../engine/log.js';
import { startServe, type ServeHandle } from '../../../engine/serve/serve.js';
import { StateStore } from '../../../engine/state/store.js';
import { startSandbox, type Sandbox } from '../../connectors/quickbooks-online/e2e-harness.js';
import { deliverWebhook, eventsAbout, webhookBody } from '../../fakes/chargebee/index.js';
import { waitFor } from '../../e2e/serve-harness.js';

const PIPELINE = 'chargebee-to-quickbooks';
const SECRET = 'drain-lease-secret-0123456789';

let sandbox: Sandbox | undefined;
let handle: ServeHandle | undefined;
let answer: (() => void) | undefined;
const ttlBefore = process.env['LEDGERSYNC_LOCK_TTL_SECONDS'];
afterEach(async () => {
  answer?.();
  handle?.abort();
  await handle?.closed;
  handle = undefined;
  await sandbox?.close();
  sandbox = undefined;
  if (ttlBefore === undefined) delete process.env['LEDGERSYNC_LOCK_TTL_SECONDS'];
  else process.env['LEDGERSYNC_LOCK_TTL_SECONDS'] = ttlBefore;
});

function withState<T>(s: Sandbox, read: (state: StateStore) => T): T {
  const state = StateStore.open(s.statePath);
  try {
    return read(state);
  } finally {
    state.close();
  }
}

describe('serve: a drain whose run lock is released from elsewhere', () => {
  it('aborts its write in flight with run_lease_lost, puts the event back for its retry, and the retry writes it once', async () => {
    const s = (sandbox = await startSandbox());
    expect((await s.run()).exitCode).toBe(0);
    // Beats every 0.7 s: the loss is seen within a second.
    process.env['LEDGERSYNC_LOCK_TTL_SECONDS'] = '2';
    const lines: string[] = [];
    handle = await startServe({
      connectors: installedConnectors,
      pipelinePaths: [s.pipelinePath],
      statePath: s.statePath,
      port: 0,
      host: '127.0.0.1',
      env: { ...s.env, LEDGERSYNC_WEBHOOK_SECRET: SECRET },
      log: createLogger({ level: 'info', write: (line) => void lines.push(line) }),
      worker: { retryDelayMs: () => 2_000, lockRetryMs: 100 },
    });
    // QuickBooks takes the write and does not answer until told to.
    const hung = new Promise<void>((resolve) => (answer = resolve));
    s.qbo.faults.afterWrite = () => hung;
    const invoice = s.cb.state.all('invoices').filter((i) => !i.deleted && i.status === 'payment_due')[0]!;
    const due = invoice.due_date! + 86_400 * 3;
    s.cb.state.touch('invoices', invoice.id, { due_date: due });
    const event = eventsAbout(s.cb.state, 'invoice', invoice.id).at(-1)!;
    const writes = s.qbo.state.writes.length;
    expect((await deliverWebhook(`${handle.url}/webhooks/${PIPELINE}`, webhookBody(event), { token: SECRET })).status).toBe(200);
    await waitFor(() => s.qbo.state.writes.length > writes, 'the write to reach QuickBooks');

    const drainRun = withState(s, (state) => {
      const holder = state.lockHolder(PIPELINE);
      expect(holder).toBeDefined();
      expect(state.releaseLock(PIPELINE, holder!.runId, 'unlocked')).toBe(true);
      return holder!.runId;
    });
    const unlockedAt = Date.now();
    await waitFor(() => withState(s, (state) => state.webhooks.get(PIPELINE, event.id!)?.status) === 'queued', 'the drain to stop on its lost lease', 5_000);
    const stoppedAfterMs = Date.now() - unlockedAt;

    const row = withState(s, (state) => state.webhooks.get(PIPELINE, event.id!));
    const run = withState(s, (state) => state.recentRuns(PIPELINE, 5).find((r) => r.id === drainRun));
    expect({
      stoppedAtOnce: stoppedAfterMs < 2_000,
      status: row?.status,
      code: (row?.error as { code?: string } | null)?.code,
      // The back-off of a failed attempt, not at once as for a stop.
      waitsItsBackOff: (row?.nextAttemptAt ?? 0) > Date.now() + 500,
      run: run?.status,
      writesWhileUnlocked: s.qbo.state.writes.length - writes,
    }).toEqual({ stoppedAtOnce: true, status: 'queued', code: 'run_lease_lost', waitsItsBackOff: true, run: 'unlocked', writesWhileUnlocked: 1 });
    expect(lines.some((l) => l.includes('could not be synced') && l.includes('lost its lock'))).toBe(true);

    // QuickBooks answers again: the retry looks the cut-off write up and the invoice is there once.
    answer?.();
    await waitFor(() => withState(s, (state) => state.webhooks.get(PIPELINE, event.id!)?.status) === 'done', 'the retry to sync the event', 15_000);
    const invoices = s.qbo.state.entities('Invoice').filter((e) => e['DocNumber'] === invoice.id);
    expect(invoices.map((e) => e['DueDate'])).toEqual([new Date(due * 1000).toISOString().slice(0, 10)]);
  }, 60_000);
});

/**
 * A drain that fails while the state file cannot be written (another program holds its lock) cannot
 * put its events back in the queue either: they are left `processing`, which the queue never hands
 * out. serve's worker is the pipeline's only drainer, so it queues them again at its next turn, and
 * keeps trying while the state file stays locked. `ledgersync serve` started in process against the
 * fake Chargebee and the fake QuickBooks Online; the locked file is simulated on the queue's writes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { createLogger } from '../../../engine/log.js';
import { startServe, type ServeHandle } from '../../../engine/serve/serve.js';
import { StateStore } from '../../../engine/state/store.js';
import { WebhookQueue } from '../../../engine/state/webhook-queue.js';
import { startSandbox, type Sandbox } from '../../connectors/quickbooks-online/e2e-harness.js';
import { deliverWebhook, eventsAbout, webhookBody } from '../../fakes/chargebee/index.js';
import { waitFor } from '../../e2e/serve-harness.js';

const PIPELINE = 'chargebee-to-quickbooks';
const SECRET = 'left-processing-secret-0123456789';

const { retryLater, recover } = WebhookQueue.prototype;
let sandbox: Sandbox | undefined;
let handle: ServeHandle | undefined;
afterEach(async () => {
  WebhookQueue.prototype.retryLater = retryLater;
  WebhookQueue.prototype.recover = recover;
  handle?.abort();
  await handle?.closed;
  handle = undefined;
  await sandbox?.close();
  sandbox = undefined;
});

const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

function eventRow(s: Sandbox, eventId: string) {
  const state = StateStore.open(s.statePath);
  try {
    return state.webhooks.get(PIPELINE, eventId);
  } finally {
    state.close();
  }
}

describe('serve: events a failed drain could not put back in the queue', () => {
  it('are queued again by the running worker (trying until the state file can be written) and synced, without a restart', async () => {
    const s = (sandbox = await startSandbox());
    // Chargebee's own retries made short: the drain fails fast while Chargebee is away.
    s.edit([
      ['  base_url: ${CHARGEBEE_BASE_URL:-}\n', '  base_url: ${CHARGEBEE_BASE_URL:-}\n  retry: { max_attempts: 2, base_delay_ms: 20, max_delay_ms: 40 }\n'],
    ]);
    expect((await s.run()).exitCode).toBe(0);
    const lines: string[] = [];
    handle = await startServe({
      connectors: installedConnectors,
      pipelinePaths: [s.pipelinePath],
      statePath: s.statePath,
      port: 0,
      host: '127.0.0.1',
      env: { ...s.env, LEDGERSYNC_WEBHOOK_SECRET: SECRET },
      log: createLogger({ level: 'info', write: (line) => void lines.push(line) }),
      worker: { retryDelayMs: () => 300, lockRetryMs: 100 },
    });
    // The drain fails (Chargebee unreachable), and the state file is locked when it puts its event
    // back and at the worker's first attempt to queue it again.
    let putBacks = 0;
    WebhookQueue.prototype.retryLater = function (this: WebhookQueue, ...args: Parameters<WebhookQueue['retryLater']>) {
      if (putBacks++ === 0) throw busy();
      return retryLater.apply(this, args);
    };
    let requeueAttempts = 0;
    let requeued = 0;
    WebhookQueue.prototype.recover = function (this: WebhookQueue, ...args: Parameters<WebhookQueue['recover']>) {
      if (requeueAttempts++ === 0) throw busy();
      const n = recover.apply(this, args);
      requeued += n;
      return n;
    };
    s.cb.faults.serviceUnavailableNext(2, 'json');
    const invoice = s.cb.state.all('invoices').filter((i) => !i.deleted && i.status === 'payment_due')[0]!;
    const due = invoice.due_date! + 86_400 * 3;
    s.cb.state.touch('invoices', invoice.id, { due_date: due });
    const event = eventsAbout(s.cb.state, 'invoice', invoice.id).at(-1)!;
    expect((await deliverWebhook(`${handle.url}/webhooks/${PIPELINE}`, webhookBody(event), { token: SECRET })).status).toBe(200);

    await waitFor(() => eventRow(s, event.id!)?.status === 'done', 'the event to be synced by the running serve', 15_000);
    // One failed put-back, one failed attempt to queue it again, then the one that did.
    expect({ putBacks, requeueAttempts, requeued }).toEqual({ putBacks: 1, requeueAttempts: 2, requeued: 1 });
    expect(eventRow(s, event.id!)).toMatchObject({ status: 'done', attempts: 2 });
    expect(
      s.qbo.state
        .entities('Invoice')
        .filter((e) => e['DocNumber'] === invoice.id)
        .map((e) => e['DueDate']),
    ).toEqual([new Date(due * 1000).toISOString().slice(0, 10)]);
    // The log says what happened: nothing claims the events stay queued while they are left processing.
    expect(lines.filter((l) => l.includes('stay queued'))).toEqual([]);
    expect(lines.some((l) => l.includes('could not all be put back in the queue (database is locked)'))).toBe(true);
    expect(lines.some((l) => l.includes('the webhook queue could not be read or written (database is locked)'))).toBe(true);
    expect(lines.some((l) => l.includes('1 event(s) a failed drain left processing are queued again'))).toBe(true);
  }, 60_000);
});

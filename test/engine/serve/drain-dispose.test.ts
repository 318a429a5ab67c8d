/**
 * A webhook drain ends as a scheduled run does: the sink's close only while the drain still holds its
 * lease, the work close leaves waiting (a locked period) counted like a dead letter, and the sink's
 * dispose whatever happened, so that an Acumatica session (one of the licence's API seats) is signed
 * out after every drain, a failed one too. `ledgersync serve` in process against the fake Chargebee
 * and the fake Acumatica; the drain itself against the fake QuickBooks Online, its sink wrapped to
 * watch close and dispose.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { loadPipeline } from '../../../engine/config/load.js';
import type { ConnectorRegistry } from '../../../engine/connector/registry.js';
import type { Source } from '../../../engine/connector/types.js';
import { LedgersyncError } from '../../../engine/errors.js';
import { silentLogger } from '../../../engine/log.js';
import { syncEventsUnderLock } from '../../../engine/serve/event-sync.js';
import { startServe, type ServeHandle } from '../../../engine/serve/serve.js';
import { StateStore } from '../../../engine/state/store.js';
import { startSandbox as startAcumatica, type Sandbox as AcumaticaSandbox } from '../../connectors/acumatica/e2e-harness.js';
import { startSandbox as startQbo, type Sandbox as QboSandbox } from '../../connectors/quickbooks-online/e2e-harness.js';
import { waitFor } from '../../e2e/serve-harness.js';
import { deliverWebhook, eventsAbout, webhookBody } from '../../fakes/chargebee/index.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { intercept, watchSink, withModules, type SinkWatch } from '../../support/watched-connectors.js';

const SECRET = 'drain-dispose-secret-0123456789';

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

function withState<T>(statePath: string, read: (state: StateStore) => T): T {
  const state = StateStore.open(statePath);
  try {
    return read(state);
  } finally {
    state.close();
  }
}

describe('serve into Acumatica: a failed drain signs out', () => {
  const PIPELINE = 'chargebee-to-acumatica';

  async function serving(s: AcumaticaSandbox, chargebeeUrl: string): Promise<ServeHandle> {
    const handle = await startServe({
      connectors: installedConnectors,
      pipelinePaths: [s.pipelinePath],
      statePath: s.statePath,
      port: 0,
      host: '127.0.0.1',
      env: { ...s.env, CHARGEBEE_BASE_URL: chargebeeUrl, LEDGERSYNC_WEBHOOK_SECRET: SECRET },
      log: silentLogger,
      worker: { retryDelayMs: () => 200, lockRetryMs: 50 },
    });
    closers.push(async () => {
      handle.abort();
      await handle.closed;
    });
    return handle;
  }

  async function renameACustomer(s: AcumaticaSandbox, handle: ServeHandle): Promise<string> {
    const customer = s.cb.state.all('customers').find((c) => !c.deleted)!;
    s.cb.state.touch('customers', customer.id, { company: 'Renamed by webhook Ltd' });
    const event = eventsAbout(s.cb.state, 'customer', customer.id).at(-1)!;
    expect((await deliverWebhook(`${handle.url}/webhooks/${PIPELINE}`, webhookBody(event), { token: SECRET })).status).toBe(200);
    return event.id!;
  }

  it('drains that fail after signing in (Chargebee answering 503 to GET /events/{id}) give their seats back, and the next run signs in', async () => {
    const s = await startAcumatica({ auth: 'cookie', acumatica: { licence: { maxApiUsers: 2 } } });
    closers.push(() => s.close());
    s.edit([
      ['  base_url: ${CHARGEBEE_BASE_URL:-}\n', '  base_url: ${CHARGEBEE_BASE_URL:-}\n  retry: { max_attempts: 2, base_delay_ms: 20, max_delay_ms: 40 }\n'],
    ]);
    expect((await s.run()).exitCode).toBe(0);
    // Chargebee through a proxy: only GET /events/{id} fails, after the sink signed in at open.
    const target = new URL(s.cb.url);
    const proxy: FaultProxy = await startFaultProxy(target.origin);
    closers.push(() => proxy.close());
    proxy.inject({ method: 'GET', path: /\/events\//, times: Infinity, fault: { kind: 'status', status: 503, forward: false } });
    const handle = await serving(s, `${proxy.url}${target.pathname}`);
    const eventId = await renameACustomer(s, handle);
    // Three drains, more than the licence's two seats: before, the third could not sign in at all.
    await waitFor(() => withState(s.statePath, (state) => state.webhooks.get(PIPELINE, eventId)?.attempts ?? 0) >= 3, 'three failed drains');
    // (A drain that succeeds signs out in close, as a run does.)
    handle.abort();
    await handle.closed;

    expect(s.acu.state.openSessions).toBe(0);
    const next = await s.run();
    expect(next.error?.code).toBeUndefined();
    expect(next.exitCode).toBe(0);
  }, 60_000);
});

describe('a drain ends its sink as a run does', () => {
  const PIPELINE = 'chargebee-to-quickbooks';

  interface Watch extends SinkWatch {
    /** Runs when GET /events/{id} has answered; the event it returns names nothing when `namesNothing`. */
    afterFetchEvent?: () => void;
    namesNothing?: boolean;
  }

  /** The installed connectors, with QuickBooks Online's close and dispose and Chargebee's fetchEvent watched. */
  function watched(watch: Watch): ConnectorRegistry {
    return withModules({
      'quickbooks-online': (qbo) => ({ ...qbo, createSink: (input) => watchSink(qbo.createSink!(input), watch) }),
      chargebee: (chargebee) => ({
        ...chargebee,
        createSource: (input) =>
          intercept<Source>(chargebee.createSource!(input), {
            fetchEvent: (inner) => async (id, ctx) => {
              const event = await inner.fetchEvent!(id, ctx);
              watch.afterFetchEvent?.();
              return event && watch.namesNothing ? { ...event, references: [] } : event;
            },
          }),
      }),
    });
  }

  async function drainOneEvent(s: QboSandbox, watch: Watch) {
    const loaded = await loadPipeline(s.pipelinePath, { env: s.env, mode: 'run', connectorsDir: installedConnectors.descriptorsDir });
    const plan = loaded.plan!;
    const customer = s.cb.state.all('customers').find((c) => !c.deleted)!;
    s.cb.state.touch('customers', customer.id, { company: 'Renamed by webhook Ltd' });
    const event = eventsAbout(s.cb.state, 'customer', customer.id).at(-1)!;
    const state = StateStore.open(s.statePath);
    try {
      state.webhooks.enqueue(PIPELINE, event.id!, event.event_type, Date.now());
      const due = state.webhooks.due(PIPELINE, Date.now(), 50);
      const options = {
        plan,
        connectors: watched(watch),
        state,
        log: silentLogger,
        signal: new AbortController().signal,
        secretKey: s.env['LEDGERSYNC_SECRET_KEY'],
      };
      const outcome = await syncEventsUnderLock(options, due).then(
        (result) => ({ result }),
        (error: unknown) => ({ error: error as LedgersyncError }),
      );
      const run = state.recentRuns(PIPELINE, 1)[0]!;
      return { outcome, run, event: state.webhooks.get(PIPELINE, event.id!)! };
    } finally {
      state.close();
    }
  }

  async function sandbox(): Promise<QboSandbox> {
    const s = await startQbo();
    closers.push(() => s.close());
    expect((await s.run()).exitCode).toBe(0);
    return s;
  }

  it('a period the sink keeps waiting at close makes the drain partial with exit 1, as a run; the sink is disposed', async () => {
    const s = await sandbox();
    const watch: Watch = {
      calls: [],
      closeReport: {
        waiting: [
          {
            subject: 'Test period 2026-01',
            error: new LedgersyncError('dualentry_period_locked', 'config', 'the period 2026-01 is locked', { fix: 'reopen 2026-01 in the target' }),
          },
        ],
      },
    };
    const { outcome, run, event } = await drainOneEvent(s, watch);
    expect('result' in outcome).toBe(true);
    expect(watch.calls).toEqual(['close', 'dispose']);
    // Before, the drain was recorded success with exit 0 and the period's refusal was not even logged.
    expect({ status: run.status, exitCode: run.exitCode, event: event.status }).toEqual({ status: 'partial', exitCode: 1, event: 'done' });
  }, 60_000);

  it('a drain whose lease is lost before close does not close the sink, but disposes it; its event goes back to the queue', async () => {
    const s = await sandbox();
    const watch: Watch = {
      calls: [],
      namesNothing: true,
      // `unlock --force` from elsewhere, after the last write and before close.
      afterFetchEvent: () =>
        withState(s.statePath, (other) => {
          const holder = other.lockHolder(PIPELINE)!;
          expect(other.releaseLock(PIPELINE, holder.runId, 'unlocked')).toBe(true);
        }),
    };
    const { outcome, run, event } = await drainOneEvent(s, watch);
    expect('error' in outcome ? outcome.error.code : 'no error').toBe('run_lease_lost');
    // Before, close flushed what the sink held without the lock.
    expect(watch.calls).toEqual(['dispose']);
    expect({ run: run.status, event: event.status }).toEqual({ run: 'unlocked', event: 'queued' });
  }, 60_000);

  it('a drain that fails disposes the sink once, without closing it', async () => {
    const s = await sandbox();
    const watch: Watch = {
      calls: [],
      afterFetchEvent: () => {
        throw new LedgersyncError('connection_failed', 'transient', 'Chargebee could not be reached');
      },
    };
    const { outcome, event } = await drainOneEvent(s, watch);
    expect('error' in outcome ? outcome.error.code : 'no error').toBe('connection_failed');
    expect(watch.calls).toEqual(['dispose']);
    expect(event.status).toBe('queued');
  }, 60_000);
});

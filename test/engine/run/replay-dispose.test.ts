/**
 * `ledgersync replay` ends its sink as a run does: dispose whatever happened (an Acumatica session
 * holds one of the licence's API seats), and the work close leaves waiting (a locked period) counted
 * like a failed record. Against the fake Chargebee with the fake Acumatica, and with the fake
 * QuickBooks Online behind a sink wrapped to watch close and dispose.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { replayJson, replayText } from '../../../app/audit-commands.js';
import { LedgersyncError } from '../../../engine/errors.js';
import { silentLogger } from '../../../engine/log.js';
import { replayRecords } from '../../../engine/run/replay.js';
import { startSandbox as startAcumatica } from '../../connectors/acumatica/e2e-harness.js';
import { startSandbox as startQbo, type Sandbox as QboSandbox } from '../../connectors/quickbooks-online/e2e-harness.js';
import { startFaultProxy } from '../../support/fault-proxy.js';
import { withSinkWatched, type SinkWatch } from '../../support/watched-connectors.js';

let closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

describe('replay into Acumatica', () => {
  it('a replay that fails after signing in (Chargebee answering 503) signs out, and the next run signs in', async () => {
    const s = await startAcumatica({ auth: 'cookie', acumatica: { licence: { maxApiUsers: 1 } } });
    closers.push(() => s.close());
    s.edit([
      ['  base_url: ${CHARGEBEE_BASE_URL:-}\n', '  base_url: ${CHARGEBEE_BASE_URL:-}\n  retry: { max_attempts: 2, base_delay_ms: 20, max_delay_ms: 40 }\n'],
    ]);
    expect((await s.run()).exitCode).toBe(0);
    // Chargebee through a proxy: only the fetch of the record fails, after the sink signed in at open.
    const target = new URL(s.cb.url);
    const proxy = await startFaultProxy(target.origin);
    closers.push(() => proxy.close());
    proxy.inject({ method: 'GET', path: /\/customers/, times: Infinity, fault: { kind: 'status', status: 503, forward: false } });
    const customer = s.cb.state.all('customers').find((c) => !c.deleted)!;

    const replayed = await replayRecords({
      connectors: installedConnectors,
      pipelinePath: s.pipelinePath,
      statePath: s.statePath,
      env: { ...s.env, CHARGEBEE_BASE_URL: `${proxy.url}${target.pathname}` },
      log: silentLogger,
      sourceId: customer.id,
    });
    expect(replayed.status).toBe('failed');
    expect(s.acu.state.sessionsOpened).toBeGreaterThanOrEqual(2);
    // Before, the replay's session stayed open, and with a licence of one seat the next run could not sign in.
    expect(s.acu.state.openSessions).toBe(0);
    const next = await s.run();
    expect(next.error?.code).toBeUndefined();
    expect(next.exitCode).toBe(0);
  }, 60_000);
});

describe('replay ends its sink as a run does', () => {
  async function replayARenamedCustomer(watch: SinkWatch) {
    const s: QboSandbox = await startQbo();
    closers.push(() => s.close());
    expect((await s.run()).exitCode).toBe(0);
    const customer = s.cb.state.all('customers').find((c) => !c.deleted)!;
    s.cb.state.touch('customers', customer.id, { company: 'Renamed before the replay Ltd' });
    return replayRecords({
      connectors: withSinkWatched('quickbooks-online', watch),
      pipelinePath: s.pipelinePath,
      statePath: s.statePath,
      env: s.env,
      log: silentLogger,
      sourceId: customer.id,
      stream: 'customers',
    });
  }

  it('a period the sink keeps waiting at close makes the replay partial with exit 1, naming it; the sink is disposed', async () => {
    const watch: SinkWatch = {
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
    const summary = await replayARenamedCustomer(watch);
    expect(watch.calls).toEqual(['close', 'dispose']);
    // Before, the replay said success with exit 0.
    expect(summary.records.map((r) => r.outcome)).toEqual(['updated']);
    expect({ status: summary.status, exitCode: summary.exitCode, waiting: summary.waiting }).toEqual({
      status: 'partial',
      exitCode: 1,
      waiting: [expect.objectContaining({ subject: 'Test period 2026-01', code: 'dualentry_period_locked', fix: 'reopen 2026-01 in the target' })],
    });
    // What `replay` prints names it too, with --json under the key `run --json` uses.
    expect(replayText(summary)).toContain(
      'waiting in retry: Test period 2026-01 [dualentry_period_locked] the period 2026-01 is locked Fix: reopen 2026-01 in the target',
    );
    expect(replayJson(summary)['waiting_in_retry']).toEqual(summary.waiting);
  }, 60_000);

  it('a replay that fails disposes the sink once, without closing it', async () => {
    const watch: SinkWatch = { calls: [], writeError: new LedgersyncError('connection_failed', 'transient', 'QuickBooks Online could not be reached') };
    const summary = await replayARenamedCustomer(watch);
    expect({ status: summary.status, code: summary.error?.code }).toEqual({ status: 'failed', code: 'connection_failed' });
    expect(watch.calls).toEqual(['dispose']);
  }, 60_000);
});

/**
 * start_date is the go-live: "no older invoice, credit note, transaction or event is read (by
 * document date)" (README, *Pipeline format*). Documents older than it were posted by the system
 * before; posting them again doubles their revenue. Dead letters of such documents, stored by a run
 * before start_date was set (or moved), must not be posted by the run's retry of dead letters, nor
 * planned by `ledgersync plan`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { planPipeline } from '../../../engine/run/change-plan.js';
import { startSandbox, type Sandbox } from '../../connectors/quickbooks-online/e2e-harness.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

describe('dead letters of documents older than a start_date set afterwards', () => {
  it('are neither planned nor posted once their cause is fixed', async () => {
    const s = (sandbox = await startSandbox({ customers: 40 }));
    // First sync before go-live was settled: the invoices of SUPPORT items wait as dead letters.
    s.edit([['      SUPPORT: "79"\n', '']]);
    expect((await s.run()).exitCode).toBe(1);
    const posted = new Set(s.qbo.state.entities('Invoice').map((i) => String(i['DocNumber'])));
    const waiting = s.cb.state
      .all('invoices')
      .filter((i) => !i.deleted && i.status !== 'voided' && !posted.has(i.id))
      .sort((a, b) => (a.date ?? 0) - (b.date ?? 0));
    expect(waiting.length).toBeGreaterThan(1);

    // Go-live is set between the oldest and the newest of them; the cause is fixed.
    const goLive = waiting[Math.floor(waiting.length / 2)]!.date ?? 0;
    const day = new Date(goLive * 1000).toISOString().slice(0, 10);
    const older = waiting.filter((i) => (i.date ?? 0) < Date.parse(`${day}T00:00:00Z`) / 1000).map((i) => i.id);
    expect(older.length).toBeGreaterThan(0);
    s.edit([
      ['timezone: UTC\n', `timezone: UTC\nstart_date: ${day}\n`],
      ['      SERVICES: "79"\n', '      SERVICES: "79"\n      SUPPORT: "79"\n'],
    ]);

    const plan = await planPipeline({ connectors: installedConnectors, pipelinePath: s.pipelinePath, statePath: s.statePath, env: s.env, log: silentLogger });
    expect.soft(plan.changes.filter((c) => c.stream === 'invoices' && older.includes(c.sourceId)).map((c) => `${c.action} ${c.sourceId}`)).toEqual([]);

    await s.run();
    const postedNow = s.qbo.state.entities('Invoice').filter((i) => older.includes(String(i['DocNumber'])));
    expect(postedNow.map((i) => `${String(i['DocNumber'])} dated ${String(i['TxnDate'])}, before start_date ${day}`)).toEqual([]);
  });
});

/**
 * `ledgersync plan` on Acumatica says what the run then does: the sink's `plan()` looks documents up
 * as `write` does and takes the same decision. An invoice voided in Chargebee is never planned as a
 * `void` (the connector voids nothing): one Acumatica holds open is the run's dead letter
 * (`acumatica_cannot_void`), one it does not hold (never synced, or deleted there) is a skip.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { planPipeline } from '../../../engine/run/change-plan.js';
import { startSandbox, type Sandbox, unreferencedUnpaidInvoice } from './e2e-harness.js';

let s: Sandbox;
afterEach(async () => {
  await s.close();
});

const plan = (streams?: string[]) =>
  planPipeline({
    connectors: installedConnectors,
    pipelinePath: s.pipelinePath,
    statePath: s.statePath,
    env: s.env,
    log: silentLogger,
    ...(streams ? { streams } : {}),
  });

function voidInChargebee(id: string): void {
  s.cb.state.touch('invoices', id, { status: 'voided', voided_at: s.cb.state.now(), amount_due: 0 } as never);
}

describe('ledgersync plan on Acumatica', () => {
  it('plans voided invoices as the run settles them: open in Acumatica → fail, never synced or gone → skip; never a void', async () => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    const open = unreferencedUnpaidInvoice(s);
    expect((await s.run()).exitCode).toBe(0);

    const { id: _id, ...copy } = structuredClone(open);
    // Synced, then deleted in Acumatica by a person: the ledger still names its document.
    s.cb.state.insertSeeded('invoices', { ...copy, id: 'inv_deleted_there', status: 'payment_due', updated_at: s.cb.state.now(), resource_version: undefined });
    expect((await s.run({ streams: ['invoices'] })).exitCode).toBe(0);
    const gone = s.acu.state.records('Invoice').find((d) => d['CustomerOrder'] === 'inv_deleted_there')!;
    s.acu.state.forget('Invoice', String(gone['Type']), String(gone['ReferenceNbr']));

    voidInChargebee(open.id);
    voidInChargebee('inv_deleted_there');
    s.cb.state.insertSeeded('invoices', { ...copy, id: 'inv_voided_unsynced', status: 'voided', updated_at: s.cb.state.now(), resource_version: undefined });

    const writes = s.acu.state.writes.length;
    const planned = await plan(['invoices']);
    expect(s.acu.state.writes.length, 'a plan writes nothing').toBe(writes);
    expect(s.acu.state.openSessions, 'the plan signed out').toBe(0);
    const actions = Object.fromEntries(planned.changes.map((c) => [c.sourceId, c]));
    expect(actions[open.id]).toMatchObject({ action: 'fail', error: { code: 'acumatica_cannot_void' } });
    expect(actions['inv_voided_unsynced']).toBeUndefined();
    expect(actions['inv_deleted_there']).toBeUndefined();
    expect(planned.streams['invoices']).toMatchObject({ void: 0, fail: 1 });
    expect(planned.exitCode).toBe(1);

    const run = await s.run({ streams: ['invoices'] });
    expect(run.streams['invoices']).toMatchObject({ failed: 1, created: 0, updated: 0 });
    expect(run.exitCode).toBe(planned.exitCode);
  }, 120_000);

  it('before the first run: plans a create for each document the run creates', async () => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    const planned = await plan();
    expect(s.acu.state.writes).toHaveLength(0);
    expect(s.acu.state.openSessions).toBe(0);
    expect(planned.exitCode).toBe(0);
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    for (const [stream, counts] of Object.entries(planned.streams)) {
      expect(counts.create, stream).toBe(run.streams[stream]?.created ?? 0);
      expect(counts.fail, stream).toBe(0);
    }
  }, 120_000);
});

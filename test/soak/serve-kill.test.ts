/**
 * Webhooks under SIGKILL (npm run soak): `ledgersync serve` killed at LEDGERSYNC_KILL_POINTS random
 * points (default 20), each inside a QuickBooks write (committed by QBO, its answer never read, the
 * ledger not written) or after a random delay, then started again. Every event acknowledged must end
 * with its documents in QBO exactly once, and the audit trail must verify. Needs `npm run build`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../engine/state/store.js';
import { startSandbox, type Sandbox } from '../connectors/quickbooks-online/e2e-harness.js';
import { deliverLatest, startServeProcess, waitFor, type ServeProcess } from '../e2e/serve-harness.js';

const points = Number(process.env['LEDGERSYNC_KILL_POINTS'] ?? 20);
const PIPELINE = 'chargebee-to-quickbooks';

let sandbox: Sandbox | undefined;
let serve: ServeProcess | undefined;
afterEach(async () => {
  if (serve && serve.child.exitCode === null && serve.child.signalCode === null) {
    serve.child.kill('SIGKILL');
    await serve.exited;
  }
  await sandbox?.close();
});

const isoDate = (seconds: number) => new Date(seconds * 1000).toISOString().slice(0, 10);

describe('serve: SIGKILL at random points, then start again', () => {
  it(`syncs every acknowledged event's documents exactly once across ${points} kills`, async () => {
    const s = (sandbox = await startSandbox({ customers: 30 }));
    expect((await s.run()).exitCode).toBe(0);
    const open = s.cb.state.all('invoices').filter((i) => !i.deleted && i.status === 'payment_due');
    const { id: _id, ...template } = open[0]!;
    const created: string[] = [];
    const dueDates = new Map<string, number>();
    const events: string[] = [];
    let midWrite = 0;

    serve = await startServeProcess(s);
    for (let point = 0; point < points; point++) {
      const ids = [0, 1, 2].map((n) => `WH-K${point}-${n}`);
      for (const id of ids) s.cb.state.create('invoices', { ...template, id });
      created.push(...ids);
      const changed = [open[(2 * point) % open.length]!, open[(2 * point + 1) % open.length]!];
      for (const invoice of changed) {
        const due = (s.cb.state.get('invoices', invoice.id)!.due_date ?? 0) + 86_400;
        s.cb.state.touch('invoices', invoice.id, { due_date: due });
        dueDates.set(invoice.id, due);
      }
      const current = serve;
      // Killed inside the n-th QBO write of this round, or after a random delay if that never comes.
      const killAt = 1 + Math.floor(Math.random() * 3);
      let writes = 0;
      s.qbo.faults.afterWrite = () => {
        if (++writes === killAt && current.child.exitCode === null) {
          midWrite++;
          current.child.kill('SIGKILL');
        }
      };
      for (const id of [...ids, ...changed.map((i) => i.id)]) {
        const delivery = await deliverLatest(s, current, 'invoice', id).catch(() => undefined);
        // A delivery the kill cut off was never acknowledged: Chargebee sends it again, and so do we.
        if (delivery?.status === 200) events.push(delivery.eventId);
        else events.push('');
      }
      const delay = setTimeout(() => current.child.kill('SIGKILL'), Math.floor(Math.random() * 1500));
      await current.exited;
      clearTimeout(delay);
      s.qbo.faults.afterWrite = undefined;
      serve = await startServeProcess(s);
      // Redeliver what the kill cut off before it was acknowledged, to the new process.
      for (const [i, id] of [...ids, ...changed.map((c) => c.id)].entries()) {
        const index = events.length - 5 + i;
        if (events[index] === '') events[index] = (await deliverLatest(s, serve, 'invoice', id)).eventId;
      }
    }

    const status = (eventId: string) => {
      const state = StateStore.open(s.statePath);
      try {
        return state.webhooks.get(PIPELINE, eventId)?.status;
      } finally {
        state.close();
      }
    };
    await waitFor(() => events.every((e) => status(e) === 'done'), 'every event to be synced', 120_000);
    serve.child.kill('SIGTERM');
    expect((await serve.exited).code).toBe(0);

    for (const id of created)
      expect(
        s.qbo.state.entities('Invoice').filter((e) => e['DocNumber'] === id),
        id,
      ).toHaveLength(1);
    for (const [id, due] of dueDates) expect(s.qbo.state.entities('Invoice').find((e) => e['DocNumber'] === id)!['DueDate'], id).toBe(isoDate(due));
    const docNumbers = s.qbo.state.entities('Invoice').map((e) => e['DocNumber']);
    expect(docNumbers.filter((d, i) => docNumbers.indexOf(d) !== i)).toEqual([]);
    const state = StateStore.open(s.statePath);
    const verification = state.audit.verify(PIPELINE);
    const interrupted = state.audit.entries(PIPELINE).filter((e) => e.outcome === 'interrupted').length;
    state.close();
    expect(verification.broken).toBeUndefined();
    expect(verification.open).toBe(0);
    console.log(
      `serve kill matrix: ${points} SIGKILLs (${midWrite} inside a QBO write, the rest after a random delay), ${events.length} events, ` +
        `${created.length} invoices created and ${dueDates.size} updated, each exactly once; ${interrupted} write(s) sealed as interrupted; audit chain intact (${verification.entries} entries)`,
    );
  }, 900_000);
});

/**
 * A Chargebee invoice voided after it was posted and released: the connector voids nothing, so the
 * person who must void or reverse it in Acumatica is told which document it is (a dead letter,
 * `acumatica_cannot_void`). Before this, the example mapped every voided document to `_action: skip`:
 * counted skipped, exit 0, and Acumatica kept an open receivable Chargebee had cancelled. One voided
 * before it was ever synced is still skipped.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../../engine/state/store.js';
import { startSandbox, type Sandbox, unreferencedUnpaidInvoice } from './e2e-harness.js';

let s: Sandbox;
afterEach(async () => {
  await s.close();
});

function letters() {
  const store = StateStore.open(s.statePath);
  try {
    return store.deadLetters('chargebee-to-acumatica', 'invoices');
  } finally {
    store.close();
  }
}

describe('Acumatica: an invoice voided in Chargebee', () => {
  it('after it was released: a dead letter naming the Acumatica document; one never synced: skipped', async () => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    const invoice = unreferencedUnpaidInvoice(s);
    expect((await s.run()).exitCode).toBe(0);
    const doc = s.acu.state.records('Invoice').find((d) => d['Type'] === 'Invoice' && d['CustomerOrder'] === invoice.id)!;
    expect(doc['Status']).toBe('Open');

    s.cb.state.touch('invoices', invoice.id, { status: 'voided', voided_at: s.cb.state.now(), amount_due: 0 } as never);
    const { id: _id, ...copy } = structuredClone(invoice);
    s.cb.state.insertSeeded('invoices', { ...copy, id: 'inv_voided_unsynced', status: 'voided', updated_at: s.cb.state.now(), resource_version: undefined });
    const writes = s.acu.state.writes.length;
    const run = await s.run();
    const found = letters();
    expect(found.map((l) => [l.sourceId, l.errorCode])).toEqual([[invoice.id, 'acumatica_cannot_void']]);
    expect(found[0]!.message).toContain(
      `source record ${invoice.id} was voided, but Acumatica still holds it as Invoice ${doc['ReferenceNbr']} (Open, balance`,
    );
    expect(found[0]!.fix).toContain(`Invoice ${doc['ReferenceNbr']} in Acumatica`);
    expect(run.streams['invoices']).toMatchObject({ failed: 1, created: 0, updated: 0 });
    expect(run.exitCode).toBe(1);
    expect(s.acu.state.writes.length, 'nothing written').toBe(writes);
    expect(s.acu.state.records('Invoice').some((d) => d['CustomerOrder'] === 'inv_voided_unsynced')).toBe(false);
  }, 120_000);
});

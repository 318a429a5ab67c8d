/**
 * A create whose answer was lost (acumatica_create_unconfirmed) leaves the record pending: the
 * document may land in Acumatica after the run. Chargebee voiding the invoice before the next run must
 * not clear that: the void is looked up, and the document that landed is reported to be reversed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../../engine/state/store.js';
import { startSandbox, type Sandbox, unreferencedUnpaidInvoice } from './e2e-harness.js';
import { startLateGateway, type LateGateway } from './late-gateway.js';

let s: Sandbox;
let gateway: LateGateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  await s.close();
});

function invoiceLetters() {
  const store = StateStore.open(s.statePath);
  try {
    return store.deadLetters('chargebee-to-acumatica', 'invoices').map((l) => [l.sourceId, l.errorCode]);
  } finally {
    store.close();
  }
}

describe('Acumatica: an invoice voided while its create is unconfirmed (pending)', () => {
  it('is not skipped: the document that landed is reported (acumatica_cannot_void), not left open silently', async () => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    const invoice = unreferencedUnpaidInvoice(s);
    const late = (gateway = await startLateGateway(new URL(s.acu.url), (body) => body.includes(`"CustomerOrder":{"value":"${invoice.id}"}`), 300));
    s.env['ACUMATICA_URL'] = late.url;
    const first = await s.run();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(late.spoiled()).toBe(invoice.id);
    expect(invoiceLetters()).toEqual([[invoice.id, 'acumatica_create_unconfirmed']]);
    expect(first.exitCode).toBe(1);
    const landed = s.acu.state.records('Invoice').filter((d) => d['Type'] === 'Invoice' && d['CustomerOrder'] === invoice.id);
    expect(landed, 'the lost create landed in Acumatica after the run').toHaveLength(1);

    // Voided in Chargebee before the next run.
    s.cb.state.touch('invoices', invoice.id, { status: 'voided', voided_at: s.cb.state.now(), amount_due: 0 } as never);
    const second = await s.run();
    const doc = s.acu.state.records('Invoice').find((d) => d['Type'] === 'Invoice' && d['CustomerOrder'] === invoice.id)!;
    const status = String(doc['Status']);
    // Acumatica still holds the receivable of an invoice Chargebee voided: someone must be told.
    expect(['Voided', 'Canceled']).not.toContain(status);
    expect(invoiceLetters(), `run 2 exit ${second.exitCode}, Acumatica ${String(doc['ReferenceNbr'])} ${status}`).toEqual([
      [invoice.id, 'acumatica_cannot_void'],
    ]);
    expect(second.exitCode).toBe(1);
  }, 120_000);
});

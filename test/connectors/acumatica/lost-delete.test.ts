/**
 * A DELETE whose answer is lost may or may not have landed: the sink looks the document up, and
 * sends the DELETE again only while the document is still there. The run exits 0 either way, with
 * the document deleted once and the record counted as written.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Fault, FaultProxy } from '../../support/fault-proxy.js';
import { behindFaultProxy, startSandbox, type Sandbox } from './e2e-harness.js';

let s: Sandbox;
let proxy: FaultProxy;
afterEach(async () => {
  await proxy.close();
  await s.close();
});

const deletes = () => s.acu.state.writes.filter((w) => w.operation === 'delete');

describe('Acumatica: a delete whose answer is lost', () => {
  it.each<[string, Fault]>([
    [
      'it never reached Acumatica (503 before forwarding): the look-up finds the invoice and it is deleted again',
      { kind: 'status', status: 503, forward: false },
    ],
    ['it did reach Acumatica (reset after forwarding): the look-up finds the invoice gone', { kind: 'reset-after' }],
    ['it did reach Acumatica (502 after forwarding): the look-up finds the invoice gone', { kind: 'status', status: 502 }],
  ])('%s', async (_, fault) => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    proxy = await behindFaultProxy(s);
    // Unreleased invoices can be deleted; a voided one is deleted instead of skipped.
    s.edit([
      ['  release_documents: true', '  release_documents: false'],
      [
        '$deleted or status = "voided" ? (\n            $options.post_invoices_as = "gl_journals" ? { "_action": "void", "_object": "JournalTransaction", "Module": "GL", "Description": "Chargebee invoice " & $docId',
        '$deleted ? { "_action": "skip" } : status = "voided" ? (\n            $options.post_invoices_as = "gl_journals" ? { "_action": "void", "_object": "JournalTransaction", "Module": "GL", "Description": "Chargebee invoice " & $docId',
      ],
      [
        '{ "_action": "void", "Type": "Invoice", "CustomerOrder": $docKey, "Customer": $owner }',
        '{ "_action": "delete", "Type": "Invoice", "CustomerOrder": $docKey, "Customer": $owner }',
      ],
    ]);
    const first = await s.run();
    expect(first.exitCode, JSON.stringify(first.error)).toBe(0);
    const invoice = s.cb.state.all('invoices').find((i) => i.status === 'paid' || i.status === 'payment_due' || i.status === 'not_paid')!;
    const inAcumatica = () => s.acu.state.records('Invoice').filter((d) => d['CustomerOrder'] === invoice.id);
    expect(inAcumatica()).toHaveLength(1);

    s.cb.state.touch('invoices', invoice.id, { status: 'voided' });
    proxy.inject({ method: 'DELETE', path: /\/Invoice\//, times: 1, fault });
    const second = await s.run();
    expect(proxy.injected).toBe(1);
    expect(second.exitCode, JSON.stringify(second.error)).toBe(0);
    expect(second.streams['invoices']!.failed).toBe(0);
    expect(inAcumatica()).toEqual([]);
    expect(deletes()).toHaveLength(1);

    // The next run finds nothing left to delete.
    proxy.clear();
    const third = await s.run();
    expect(third.exitCode).toBe(0);
    expect(deletes()).toHaveLength(1);
  });
});

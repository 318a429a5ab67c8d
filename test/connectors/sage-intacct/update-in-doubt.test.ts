/**
 * An update of an invoice whose answer stays lost through every attempt leaves the record in doubt
 * (a dead letter that says the write may have landed). The next run must still apply the change:
 * it sends the update again (an update only sets values, so twice is as once), instead of finding
 * the invoice in Intacct and adopting it as "written by an interrupted run", which dropped the
 * change for good while the ledger recorded it as sent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Fault, FaultProxy } from '../../support/fault-proxy.js';
import { behindFaultProxy, startSandbox, type Sandbox } from './e2e-harness.js';
import { customer, invoice } from './scenario.js';

let s: Sandbox;
let proxy: FaultProxy;
afterEach(async () => {
  await proxy.close();
  await s.close();
});

const invoiceUpdatesReceived = () => s.intacct.state.requests.flatMap((r) => r.functions).filter((f) => f === 'update_invoice').length;
const invoiceDoc = (id: string) => [...s.intacct.state.arDocuments.values()].filter((d) => d.RECORDID === id);

describe('Sage Intacct: an invoice update still in doubt after every attempt', () => {
  it.each<[string, Fault]>([
    ['never reached Intacct (502 before forwarding)', { kind: 'status', status: 502, forward: false }],
    ['landed (502 after forwarding)', { kind: 'status', status: 502 }],
  ])('%s: the next run sends it again and the change is in Intacct', async (_, fault) => {
    s = await startSandbox({ cb: { customers: 0 } });
    proxy = await behindFaultProxy(s);
    customer(s.cb, 'cust_u');
    invoice(s.cb, 'inv_u1', 'cust_u', [{ id: 'l1', amount: 5_000, entityId: 'x', description: 'one' }]);
    expect((await s.run()).exitCode).toBe(0);

    const { line_items } = s.cb.state.get('invoices', 'inv_u1') as unknown as { line_items: Record<string, unknown>[] };
    s.cb.state.touch('invoices', 'inv_u1', { line_items: [{ ...line_items[0], description: 'one, changed' }] } as never);
    proxy.inject({ method: 'POST', body: /<update_invoice/, times: Infinity, fault });
    const inDoubt = await s.run();
    expect(inDoubt.exitCode).toBe(1);
    expect(inDoubt.streams['invoices']!.failed).toBe(1);

    proxy.clear();
    const before = invoiceUpdatesReceived();
    const next = await s.run();
    expect(next.exitCode, JSON.stringify(next.error)).toBe(0);
    expect(next.streams['invoices']).toMatchObject({ updated: 1, created: 0, failed: 0 });
    expect(invoiceUpdatesReceived() - before).toBe(1);
    const [doc, ...more] = invoiceDoc('inv_u1');
    expect(more).toEqual([]);
    expect(doc!.lines[0]!.memo).toBe('one, changed');
  });
});

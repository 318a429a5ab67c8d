/**
 * A create whose answer is lost while Acumatica is still saving it: a gateway in front of the tenant
 * gives up (504) before Acumatica does, and the invoice lands a moment later. A look-up made then
 * finds nothing, which proves nothing: the record must stay pending (never created again in that
 * run), and the next run's look-up adopts the document that landed. Before this, the sink created the
 * invoice again at once: two Acumatica invoices for one Chargebee invoice (AR000022 and AR000023).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../../engine/state/store.js';
import type { FaultProxy } from '../../support/fault-proxy.js';
import { behindFaultProxy, startSandbox, type Sandbox } from './e2e-harness.js';
import { startLateGateway, type LateGateway } from './late-gateway.js';

let s: Sandbox;
let gateway: LateGateway | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
  await proxy?.close();
  proxy = undefined;
  await s.close();
});

function invoiceLetters() {
  const store = StateStore.open(s.statePath);
  try {
    return store.deadLetters('chargebee-to-acumatica', 'invoices').map((l) => [l.sourceId, l.errorCode, l.errorKind]);
  } finally {
    store.close();
  }
}

const invoicesFor = (order: string) => s.acu.state.records('Invoice').filter((d) => d['Type'] === 'Invoice' && d['CustomerOrder'] === order);

describe('Acumatica: an invoice create whose answer is lost', () => {
  it('a gateway timeout while Acumatica is still saving it: not created again in the run; the next run adopts the one that landed', async () => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    const late = (gateway = await startLateGateway(new URL(s.acu.url), (body) => body.startsWith('{"Type":{"value":"Invoice"}'), 500));
    s.env['ACUMATICA_URL'] = late.url;
    const first = await s.run();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const order = late.spoiled();
    expect(order, 'the gateway spoiled an invoice create').toBeTruthy();
    expect(
      invoicesFor(order!).map((d) => d['ReferenceNbr']),
      'Acumatica invoices for one Chargebee invoice',
    ).toHaveLength(1);
    // The record waits, pending, for the next run's look-up: a transient dead letter, exit 1.
    expect(invoiceLetters()).toEqual([[order, 'acumatica_create_unconfirmed', 'transient']]);
    expect(first.exitCode).toBe(1);

    const second = await s.run();
    expect(second.exitCode, JSON.stringify(second.error)).toBe(0);
    expect(invoiceLetters()).toEqual([]);
    const [adopted] = invoicesFor(order!);
    expect(invoicesFor(order!)).toHaveLength(1);
    expect(adopted!['Status'], 'released by the run that adopted it').not.toBe('Balanced');
  }, 120_000);

  it('a 503 that never reached Acumatica: pending, then created once by the next run', async () => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    proxy = await behindFaultProxy(s);
    proxy.inject({
      method: 'PUT',
      path: /\/Invoice(\?|$)/,
      body: /^\{"Type":\{"value":"Invoice"\}/,
      times: 1,
      fault: { kind: 'status', status: 503, forward: false },
    });
    const first = await s.run();
    expect(proxy.injected).toBe(1);
    expect(first.exitCode).toBe(1);
    const letters = invoiceLetters();
    expect(letters.map(([, code]) => code)).toEqual(['acumatica_create_unconfirmed']);
    const order = String(letters[0]![0]);
    expect(invoicesFor(order)).toEqual([]);

    proxy.clear();
    const second = await s.run();
    expect(second.exitCode, JSON.stringify(second.error)).toBe(0);
    expect(invoicesFor(order)).toHaveLength(1);
    expect(invoiceLetters()).toEqual([]);
  }, 120_000);
});

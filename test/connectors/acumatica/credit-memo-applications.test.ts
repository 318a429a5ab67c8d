/**
 * A credit note Chargebee allocates to another invoice after its credit memo was released: the memo's
 * own form takes applications only while it is unreleased, so the new one is made on the memo's
 * Payment (Payments and Applications, Type Credit Memo) and released there, once, even when the
 * answer to that update or to that release is lost. What the memo released with it is not applied again.
 */
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { FaultRule } from '../../support/fault-proxy.js';
import type { FaultProxy } from '../../support/fault-proxy.js';
import { StateStore } from '../../../engine/state/store.js';
import {
  actionsRun,
  behindFaultProxy,
  paymentApplicationsUpdate,
  paymentRelease,
  releasedApplications,
  startSandbox,
  unpaidInvoicePair,
  type Sandbox,
} from './e2e-harness.js';

let s: Sandbox;
let proxy: FaultProxy;
afterEach(async () => {
  await proxy?.close();
  await s?.close();
});

/** A USD credit note (a copy of a seeded one) applied to one unpaid invoice (1.00 of it), synced and released; `allocate` then applies 2.00 more to a second invoice. */
async function releasedCreditMemo() {
  s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
  proxy = await behindFaultProxy(s);
  const { first, second } = unpaidInvoicePair(s);
  // The seeded site's credit notes are in other currencies: one in EUR (cents, as USD) is copied.
  const template = s.cb.state.all('credit_notes').find((c) => (c.currency_code === 'USD' || c.currency_code === 'EUR') && (c.total ?? 0) >= 500);
  expect(template, 'a USD or EUR credit note of at least 5.00').toBeDefined();
  const id = 'CN-late-allocation';
  const allocation = (invoice: typeof first, amount: number) => ({ invoice_id: invoice.id, allocated_amount: amount, allocated_at: s.cb.state.now() });
  // Item prices are per currency (`extra-seats-EUR-Monthly`): the copy names the USD ones.
  const inUsd = JSON.parse(JSON.stringify(template).replaceAll('-EUR-', '-USD-')) as typeof template;
  s.cb.state.insertSeeded('credit_notes', {
    ...inUsd!,
    id,
    currency_code: 'USD',
    customer_id: first.customer_id,
    reference_invoice_id: first.id,
    type: 'refundable',
    status: 'refund_due',
    allocations: [allocation(first, 100)],
    amount_allocated: 100,
    amount_refunded: 0,
    amount_available: template!.total! - 100,
    linked_refunds: [],
    updated_at: s.cb.state.now(),
    resource_version: undefined,
  });
  const run = await s.run();
  expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
  const refOf = (invoice: typeof first) =>
    s.acu.state.records('Invoice').find((d) => d['Type'] === 'Invoice' && d['CustomerOrder'] === invoice.id)!['ReferenceNbr'] as string;
  const memo = () => s.acu.state.records('Invoice').find((d) => d['Type'] === 'Credit Memo' && d['CustomerOrder'] === id)!;
  return {
    id,
    first: refOf(first),
    second: refOf(second),
    total: template!.total!,
    memo,
    allocate: () =>
      s.cb.state.touch('credit_notes', id, {
        allocations: [allocation(first, 100), allocation(second, 200)],
        amount_allocated: 300,
        amount_available: template!.total! - 300,
      } as never),
    paymentSide: () => s.acu.state.records('Payment').find((p) => p['Type'] === 'Credit Memo' && p['ReferenceNbr'] === memo()['ReferenceNbr'])!,
    balance: (ref: string) => Number(s.acu.state.records('Invoice').find((d) => d['Type'] === 'Invoice' && d['ReferenceNbr'] === ref)!['Balance']),
  };
}

describe('Acumatica: a credit note allocated after its credit memo was released', () => {
  it('applies the new allocation on the memo’s Payment and releases it; the first one is not applied again', async () => {
    const c = await releasedCreditMemo();
    expect(c.memo()).toMatchObject({ Status: 'Open' });
    expect(releasedApplications(c.paymentSide())).toEqual([[c.first, 1]]);
    const secondBalance = c.balance(c.second);
    const firstBalance = c.balance(c.first);
    const invoiceReleases = actionsRun(s, 'ReleaseInvoice');

    c.allocate();
    const from = proxy.log.length;
    const run = await s.run();
    expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
    expect(run.streams['credit_notes']).toMatchObject({ updated: 1, failed: 0 });
    // No payment changed: the Payment requests are the memo's, one look-up and one update.
    expect(
      proxy.log
        .slice(from)
        .filter((r) => /\/Payment(\?|$)/.test(r.path))
        .map((r) => r.method),
    ).toEqual(['GET', 'PUT']);
    expect(releasedApplications(c.paymentSide())).toEqual([
      [c.first, 1],
      [c.second, 2],
    ]);
    expect(Math.round((secondBalance - c.balance(c.second)) * 100)).toBe(200);
    expect(c.balance(c.first)).toBe(firstBalance);
    expect(Math.round(Number(c.memo()['Balance']) * 100)).toBe(c.total - 300);
    expect(actionsRun(s, 'ReleaseInvoice')).toBe(invoiceReleases);

    const before = s.acu.state.writes.length;
    expect((await s.run()).exitCode).toBe(0);
    expect(s.acu.state.writes.slice(before)).toEqual([]);

    // Sent again with nothing new (its ledger hash spoiled): the memo lists both applications, so the Payment is not even read.
    const db = new Database(s.statePath);
    db.prepare("UPDATE ledger SET content_hash = 'stale' WHERE source_id = ?").run(c.id);
    db.close();
    const again = proxy.log.length;
    const resent = await s.run({ fullRefresh: true });
    expect(resent.exitCode, JSON.stringify(resent.error)).toBe(0);
    expect(resent.streams['credit_notes']).toMatchObject({ written: 0, failed: 0 });
    expect(proxy.log.slice(again).filter((r) => /\/Payment/.test(r.path))).toEqual([]);
    expect(s.acu.state.writes.slice(before)).toEqual([]);
  }, 120_000);

  it('a released memo whose Payment side cannot be found is a dead letter naming it; the run goes on', async () => {
    const c = await releasedCreditMemo();
    s.acu.state.forget('Payment', 'Credit Memo', String(c.memo()['ReferenceNbr']));
    c.allocate();
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    expect(run.streams['credit_notes']).toMatchObject({ failed: 1 });
    const store = StateStore.open(s.statePath);
    try {
      const letters = store.deadLetters('chargebee-to-acumatica', 'credit_notes');
      expect(letters.map((l) => [l.sourceId, l.errorCode, l.errorKind])).toEqual([[c.id, 'acumatica_not_found', 'record']]);
      expect(letters[0]!.message).toContain(
        `is released but Acumatica has no Payment Type 'Credit Memo' and ReferenceNbr '${String(c.memo()['ReferenceNbr'])}'`,
      );
    } finally {
      store.close();
    }
  }, 120_000);

  it.each<[string, string, FaultRule]>([
    ['a release', 'never reached Acumatica (503 before forwarding)', paymentRelease({ kind: 'status', status: 503, forward: false })],
    ['a release', 'reached Acumatica (reset after forwarding)', paymentRelease({ kind: 'reset-after' })],
    ['the update adding the application', 'reached Acumatica (reset after forwarding)', paymentApplicationsUpdate({ kind: 'reset-after' })],
    ['the update adding the application', 'reached Acumatica (502 after forwarding)', paymentApplicationsUpdate({ kind: 'status', status: 502 })],
  ])(
    '%s on the Payment whose answer is lost that %s: exit 0, applied once, nothing left for the next run',
    async (_, _how, rule) => {
      const c = await releasedCreditMemo();
      const secondBalance = c.balance(c.second);
      c.allocate();
      proxy.inject(rule);
      const run = await s.run();
      expect(proxy.injected).toBe(1);
      expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
      expect(releasedApplications(c.paymentSide())).toEqual([
        [c.first, 1],
        [c.second, 2],
      ]);
      expect(Math.round((secondBalance - c.balance(c.second)) * 100)).toBe(200);
      proxy.clear();
      const paymentReleases = actionsRun(s, 'ReleasePayment');
      expect((await s.run()).exitCode).toBe(0);
      expect(actionsRun(s, 'ReleasePayment')).toBe(paymentReleases);
      const store = StateStore.open(s.statePath);
      try {
        expect(store.deadLetters('chargebee-to-acumatica', 'credit_notes').filter((l) => l.sourceId === c.id)).toEqual([]);
      } finally {
        store.close();
      }
    },
    120_000,
  );
});

/**
 * A released payment lists only unreleased applications in DocumentsToApply; the released ones are
 * in ApplicationHistory. A payment that gains an application in Chargebee is sent only the new one
 * and released again; when that release's answer is lost, the history says whether it happened, so
 * the run neither stops nor releases twice; when the answer to the update that adds it is lost, the
 * payment is read again instead of being sent the row a second time. A released application the source now lowers is a dead
 * letter saying to reverse it in Acumatica.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Fault } from '../../support/fault-proxy.js';
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

type Rec = Record<string, unknown>;

let s: Sandbox;
let proxy: FaultProxy;
afterEach(async () => {
  await proxy?.close();
  await s?.close();
});

async function behindProxy(): Promise<void> {
  s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
  proxy = await behindFaultProxy(s);
}

/** Two unpaid USD invoices of one customer, and a payment of `amount` (cents) from it applied to the first, synced and released. */
async function paymentAppliedToOne(amount: number, firstApplied: number) {
  const { first, second } = unpaidInvoicePair(s);
  const template = s.cb.state.all('transactions').find((t) => t.type === 'payment' && t.status === 'success' && t.currency_code === 'USD');
  expect(template, 'a successful USD payment').toBeDefined();
  const id = 'txn_applied_twice';
  const { subscription_id: _subscription, ...fields } = structuredClone(template!);
  const link = (invoice: typeof first, applied: number) => ({
    invoice_id: invoice.id,
    applied_amount: applied,
    applied_at: s.cb.state.now(),
    invoice_date: invoice.date,
    invoice_total: invoice.total,
    invoice_status: invoice.status,
  });
  s.cb.state.insertSeeded('transactions', {
    ...fields,
    id,
    customer_id: first.customer_id,
    amount,
    linked_invoices: [link(first, firstApplied)],
    amount_unused: amount - firstApplied,
    updated_at: s.cb.state.now(),
    resource_version: undefined,
  });
  const run = await s.run();
  expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
  const refOf = (invoice: typeof first) => s.acu.state.records('Invoice').find((d) => d['CustomerOrder'] === invoice.id)!['ReferenceNbr'] as string;
  return {
    id,
    first: refOf(first),
    second: refOf(second),
    secondId: second.id,
    /** The payment then applies `applied` (cents) to the first invoice and `more` to the second. */
    apply: (applied: number, more: number) =>
      s.cb.state.touch('transactions', id, {
        linked_invoices: [link(first, applied), ...(more ? [link(second, more)] : [])],
        amount_unused: amount - applied - more,
      } as never),
    payment: () => s.acu.state.records('Payment').find((p) => p['PaymentRef'] === id)!,
    balance: (ref: string) => s.acu.state.records('Invoice').find((d) => d['ReferenceNbr'] === ref)!['Balance'],
  };
}

describe('Acumatica: a released payment that gains applications', () => {
  it('sends only the new application, releases it, and leaves the released one as it was', async () => {
    await behindProxy();
    const p = await paymentAppliedToOne(2000, 1000);
    expect(releasedApplications(p.payment())).toEqual([[p.first, 10]]);
    const firstBalance = p.balance(p.first);
    const releases = actionsRun(s, 'ReleasePayment');

    p.apply(1000, 1000);
    const run = await s.run();
    expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
    expect(releasedApplications(p.payment())).toEqual([
      [p.first, 10],
      [p.second, 10],
    ]);
    expect(p.payment()['DocumentsToApply'] ?? []).toEqual([]);
    expect(p.balance(p.first)).toBe(firstBalance);
    expect(actionsRun(s, 'ReleasePayment')).toBe(releases + 1);
  }, 120_000);

  it.each<[string, string, Fault]>([
    ['never reached Acumatica (503 before forwarding)', 'releases it again', { kind: 'status', status: 503, forward: false }],
    ['did reach Acumatica (502 after forwarding)', 'reads the history and counts it released', { kind: 'status', status: 502 }],
    ['did reach Acumatica (reset after forwarding)', 'reads the history and counts it released', { kind: 'reset-after' }],
  ])(
    'a re-release whose answer is lost that %s: the run %s, exits 0, the application released once',
    async (_, _outcome, fault) => {
      await behindProxy();
      const p = await paymentAppliedToOne(2000, 1000);
      p.apply(1000, 1000);
      const secondBalance = Number(p.balance(p.second));
      proxy.inject(paymentRelease(fault));
      const run = await s.run();
      expect(proxy.injected).toBe(1);
      expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
      expect(releasedApplications(p.payment())).toEqual([
        [p.first, 10],
        [p.second, 10],
      ]);
      // Lowered by the 10.00 applied, once.
      expect(Math.round((secondBalance - Number(p.balance(p.second))) * 100)).toBe(1000);
      // The next run finds nothing left to apply or release.
      proxy.clear();
      const releases = actionsRun(s, 'ReleasePayment');
      expect((await s.run()).exitCode).toBe(0);
      expect(actionsRun(s, 'ReleasePayment')).toBe(releases);
    },
    120_000,
  );

  it('an update adding the application whose answer is lost after Acumatica saved it: the document is read again, the application sent and released once', async () => {
    await behindProxy();
    const p = await paymentAppliedToOne(2000, 1000);
    p.apply(1000, 1000);
    const secondBalance = Number(p.balance(p.second));
    proxy.inject(paymentApplicationsUpdate({ kind: 'reset-after' }));
    const from = proxy.log.length;
    const run = await s.run();
    expect(proxy.injected).toBe(1);
    expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
    expect(releasedApplications(p.payment())).toEqual([
      [p.first, 10],
      [p.second, 10],
    ]);
    expect(Math.round((secondBalance - Number(p.balance(p.second))) * 100)).toBe(1000);
    // The lost PUT was not repeated: one PUT carried the application, the rest were reads.
    expect(proxy.log.slice(from).filter((r) => r.method === 'PUT' && /\/Payment(\?|$)/.test(r.path))).toHaveLength(1);
  }, 120_000);

  it('applications left unreleased (every release failed) are released by the next run, and only released once', async () => {
    await behindProxy();
    const p = await paymentAppliedToOne(2000, 1000);
    p.apply(1000, 1000);
    proxy.inject({ method: 'POST', path: /\/Payment\/ReleasePayment$/, times: Infinity, fault: { kind: 'status', status: 503, forward: false } });
    const cut = await s.run();
    expect(cut.exitCode).toBe(3);
    expect(releasedApplications(p.payment())).toEqual([[p.first, 10]]);
    expect(((p.payment()['DocumentsToApply'] as Rec[] | undefined) ?? []).map((row) => row['ReferenceNbr'])).toEqual([p.second]);
    proxy.clear();
    const releases = actionsRun(s, 'ReleasePayment');
    const next = await s.run();
    expect(next.exitCode, JSON.stringify(next.error)).toBe(0);
    expect(actionsRun(s, 'ReleasePayment')).toBe(releases + 1);
    expect(releasedApplications(p.payment())).toEqual([
      [p.first, 10],
      [p.second, 10],
    ]);
  }, 120_000);

  it('applies only what was not released yet when the source applies more to the same invoice', async () => {
    await behindProxy();
    const p = await paymentAppliedToOne(2000, 600);
    p.apply(1000, 0);
    const run = await s.run();
    expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
    expect(releasedApplications(p.payment())).toEqual([
      [p.first, 6],
      [p.first, 4],
    ]);
  }, 120_000);

  it('a released application the source lowers is a dead letter saying to reverse it in Acumatica; nothing is sent', async () => {
    await behindProxy();
    const p = await paymentAppliedToOne(2000, 1000);
    const writes = s.acu.state.writes.length;
    p.apply(500, 0);
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    const store = StateStore.open(s.statePath);
    try {
      const letters = store.deadLetters('chargebee-to-acumatica', 'payments').filter((l) => l.sourceId === p.id);
      expect(letters).toHaveLength(1);
      expect(letters[0]).toMatchObject({ errorCode: 'acumatica_application_released', errorKind: 'record' });
      expect(letters[0]!.message).toContain(`10 is already released to Invoice ${p.first}, more than the 5.00 the source now applies`);
      expect(letters[0]!.fix).toMatch(/Reverse Application/);
    } finally {
      store.close();
    }
    expect(s.acu.state.writes.slice(writes)).toEqual([]);
    expect(releasedApplications(p.payment())).toEqual([[p.first, 10]]);
  }, 120_000);
});

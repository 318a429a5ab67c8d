/**
 * A payment that gains an application is released again in Acumatica, and a released payment keeps
 * its status whether that release happened or not. When its answer is lost the sink cannot tell, so
 * the run stops with `acumatica_release_unconfirmed`, naming the payment and what to check.
 */
import { afterEach, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';

let s: Sandbox;
let proxy: FaultProxy;
afterEach(async () => {
  await proxy?.close();
  await s?.close();
});

it('a lost answer to the release of a payment that gained an application stops the run, naming the payment and what to check', async () => {
  s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
  const target = new URL(s.acu.url);
  proxy = await startFaultProxy(target.origin);
  s.env['ACUMATICA_URL'] = `${proxy.url}${target.pathname}`;

  const unpaid = s.cb.state
    .all('invoices')
    .find((i) => (i.status === 'payment_due' || i.status === 'not_paid') && i.currency_code === 'USD' && (i.amount_due ?? 0) >= 1000);
  expect(unpaid, 'an unpaid USD invoice in the seeded site').toBeDefined();
  const template = s.cb.state.all('transactions').find((t) => t.type === 'payment' && t.status === 'success' && t.currency_code === unpaid!.currency_code);
  expect(template, 'a successful payment in that currency').toBeDefined();
  const id = 'txn_on_account_1';
  const { subscription_id: _subscription, ...fields } = structuredClone(template!);
  s.cb.state.insertSeeded('transactions', {
    ...fields,
    id,
    customer_id: unpaid!.customer_id,
    amount: 1000,
    linked_invoices: [],
    amount_unused: 1000,
    updated_at: s.cb.state.now(),
    resource_version: undefined,
  });

  // The payment is written and released unapplied, on account.
  expect((await s.run()).exitCode).toBe(0);
  const payment = () => s.acu.state.records('Payment').find((p) => p['PaymentRef'] === id);
  expect(payment()?.['Status']).toBe('Open');

  // It is then applied to the unpaid invoice: an update that adds an application, then a release again whose answer is lost.
  s.cb.state.touch('transactions', id, {
    linked_invoices: [
      {
        invoice_id: unpaid!.id,
        applied_amount: 1000,
        applied_at: s.cb.state.now(),
        invoice_date: unpaid!.date,
        invoice_total: unpaid!.total,
        invoice_status: unpaid!.status,
      },
    ],
    amount_unused: 0,
  } as never);
  proxy.inject({ method: 'POST', path: /\/Payment\/ReleasePayment$/, times: 1, fault: { kind: 'status', status: 503, forward: false } });
  const run = await s.run();
  expect(proxy.injected).toBe(1);
  expect(run.exitCode).toBe(3);
  expect(run.error).toMatchObject({ code: 'acumatica_release_unconfirmed', kind: 'transient' });
  expect(run.error!.message).toContain(`source record ${id}`);
  expect(run.error!.message).toMatch(/ReleasePayment of Payment /);
  expect(run.error!.fix).toMatch(/check in Acumatica that the applications of Payment .* are released/);
}, 120_000);

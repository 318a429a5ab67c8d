/**
 * A Chargebee payment or refund voided, failed late (`late_failure`) or deleted after it was posted.
 * Before, the example's streams filtered such a transaction out (`status = "success" and
 * $not($deleted)`): counted skipped, exit 0, and Acumatica kept the payment released and applied, the
 * invoice Closed with balance 0 while Chargebee had it due again. Now the example sends a void, and
 * the connector voids the payment in Acumatica (VoidPayment, then the Voided Payment released), which
 * reverses its applications: the invoice is Open for its whole amount again. An unreleased payment
 * is deleted; a void Acumatica refuses is a dead letter naming the payment and the fix; a void whose
 * answer is lost is looked up, never sent twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { planPipeline } from '../../../engine/run/change-plan.js';
import { StateStore } from '../../../engine/state/store.js';
import { recordPayment } from '../../fakes/chargebee/payments.js';
import { actionsRun, type Sandbox, startSandbox, unreferencedUnpaidInvoice } from './e2e-harness.js';

let s: Sandbox;
afterEach(async () => {
  await s?.close();
});

function letters(stream: string) {
  const store = StateStore.open(s.statePath);
  try {
    return store.deadLetters('chargebee-to-acumatica', stream);
  } finally {
    store.close();
  }
}

/** An unpaid invoice paid in full in Chargebee by an offline payment, both synced and released. */
async function paidInvoice(options: { release?: boolean } = {}) {
  s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
  if (options.release === false) s.edit([['release_documents: true', 'release_documents: false']]);
  const invoice = unreferencedUnpaidInvoice(s);
  const form = new URLSearchParams({ 'transaction[payment_method]': 'bank_transfer' });
  const payment = recordPayment(s.cb.state, invoice.id, form).transaction;
  const first = await s.run();
  expect(first.exitCode, JSON.stringify(first.error)).toBe(0);
  const acuInvoice = () => s.acu.state.records('Invoice').find((d) => d['Type'] === 'Invoice' && d['CustomerOrder'] === invoice.id)!;
  const acuPayment = (type = 'Payment') => s.acu.state.records('Payment').find((p) => p['Type'] === type && p['PaymentRef'] === payment.id);
  /** Chargebee takes the payment back and has the invoice due again. */
  const takeBack = (change: 'voided' | 'late_failure' | 'deleted') => {
    if (change === 'deleted') s.cb.state.delete('transactions', payment.id);
    else s.cb.state.touch('transactions', payment.id, { status: change, ...(change === 'voided' ? { voided_at: s.cb.state.now() } : {}) } as never);
    s.cb.state.touch('invoices', invoice.id, {
      status: 'payment_due',
      amount_paid: 0,
      amount_due: invoice.total,
      linked_payments: [],
      paid_at: undefined,
    } as never);
  };
  return { invoice, payment, acuInvoice, acuPayment, takeBack };
}

describe('Acumatica: a payment taken back in Chargebee after it was posted', () => {
  for (const change of ['voided', 'late_failure', 'deleted'] as const) {
    it(`${change}: voided in Acumatica, its invoice open again for its whole amount; the next run has nothing to do`, async () => {
      const p = await paidInvoice();
      expect(p.acuInvoice()).toMatchObject({ Status: 'Closed', Balance: 0 });
      const reference = p.acuPayment()!['ReferenceNbr'];

      p.takeBack(change);
      const run = await s.run();
      expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
      expect(run.streams['payments']).toMatchObject({ updated: 1, failed: 0 });
      expect(p.acuPayment()).toMatchObject({ ReferenceNbr: reference, Status: 'Voided' });
      expect(p.acuPayment('Voided Payment')).toMatchObject({ ReferenceNbr: reference, Status: 'Closed' });
      expect(p.acuInvoice()).toMatchObject({ Status: 'Open', Balance: p.acuInvoice()['Amount'] });
      expect(actionsRun(s, 'VoidPayment')).toBe(1);
      expect(letters('payments')).toEqual([]);

      const writes = s.acu.state.writes.length;
      expect((await s.run()).exitCode).toBe(0);
      expect((await s.run({ fullRefresh: true })).exitCode).toBe(0);
      expect(s.acu.state.writes.slice(writes)).toEqual([]);
    }, 120_000);
  }

  it('ledgersync plan lists the void the run then makes, and writes nothing', async () => {
    const p = await paidInvoice();
    const reference = p.acuPayment()!['ReferenceNbr'];
    p.takeBack('voided');
    const writes = s.acu.state.writes.length;
    const planned = await planPipeline({
      connectors: installedConnectors,
      pipelinePath: s.pipelinePath,
      statePath: s.statePath,
      env: s.env,
      log: silentLogger,
      streams: ['payments'],
    });
    expect(s.acu.state.writes.length).toBe(writes);
    expect(planned.changes.find((c) => c.sourceId === p.payment.id)).toMatchObject({ action: 'void', targetId: reference });
    expect((await s.run()).exitCode).toBe(0);
    expect(p.acuPayment()).toMatchObject({ Status: 'Voided' });
  }, 120_000);

  it('an unreleased payment (release_documents: false) is deleted rather than voided', async () => {
    const p = await paidInvoice({ release: false });
    expect(p.acuPayment()).toMatchObject({ Status: 'Balanced' });
    p.takeBack('voided');
    const run = await s.run();
    expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
    expect(p.acuPayment()).toBeUndefined();
    expect(actionsRun(s, 'VoidPayment')).toBe(0);
    expect(s.acu.state.writes.at(-1)).toMatchObject({ entity: 'Payment', operation: 'delete' });
  }, 120_000);

  it('a void Acumatica refuses is a dead letter naming the payment and the fix; once fixed, the next run voids it', async () => {
    const p = await paidInvoice();
    const reference = String(p.acuPayment()!['ReferenceNbr']);
    p.takeBack('voided');
    s.acu.faults.failNextAction('The 06-2026 financial period is closed in the Accounts Receivable module.');
    const refused = await s.run();
    expect(refused.exitCode).toBe(1);
    const found = letters('payments');
    expect(found.map((l) => [l.sourceId, l.errorCode])).toEqual([[p.payment.id, 'acumatica_cannot_void']]);
    expect(found[0]!.message).toContain(`source record ${p.payment.id} was voided, and Acumatica refused VoidPayment of Payment ${reference} (Closed)`);
    expect(found[0]!.message).toContain('financial period is closed');
    expect(found[0]!.fix).toContain(`void Payment ${reference} in Acumatica`);
    expect(p.acuInvoice()).toMatchObject({ Status: 'Closed', Balance: 0 });
    expect(p.acuPayment('Voided Payment')).toBeUndefined();

    const retried = await s.run();
    expect(retried.exitCode, JSON.stringify(retried.error)).toBe(0);
    expect(letters('payments')).toEqual([]);
    expect(p.acuPayment()).toMatchObject({ Status: 'Voided' });
    expect(p.acuInvoice()).toMatchObject({ Status: 'Open', Balance: p.acuInvoice()['Amount'] });
  }, 120_000);

  it('a void whose answer is lost after Acumatica made the voiding document is looked up and released, not sent again', async () => {
    const p = await paidInvoice();
    p.takeBack('voided');
    s.acu.faults.dropResponseAfterWriteNext(1);
    const run = await s.run();
    expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
    expect(actionsRun(s, 'VoidPayment')).toBe(1);
    expect(s.acu.state.records('Payment').filter((d) => d['Type'] === 'Voided Payment')).toHaveLength(1);
    expect(p.acuPayment()).toMatchObject({ Status: 'Voided' });
    expect(p.acuInvoice()).toMatchObject({ Status: 'Open', Balance: p.acuInvoice()['Amount'] });
  }, 120_000);
});

describe('Acumatica: a refund voided in Chargebee after it was posted', () => {
  it('is voided (a Voided Refund): the credit memo it paid out has its balance back', async () => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    expect((await s.run()).exitCode).toBe(0);
    const refund = s.acu.state
      .records('Payment')
      .find(
        (p) =>
          p['Type'] === 'Customer Refund' &&
          p['Status'] === 'Closed' &&
          ((p['ApplicationHistory'] as Record<string, unknown>[]) ?? []).some((row) => row['AdjustedDocType'] === 'Credit Memo'),
      );
    if (!refund) throw new Error('the seeded site has no refund posted against a credit memo');
    const application = (refund['ApplicationHistory'] as Record<string, unknown>[]).find((row) => row['AdjustedDocType'] === 'Credit Memo')!;
    const memo = () => s.acu.state.records('Invoice').find((d) => d['Type'] === 'Credit Memo' && d['ReferenceNbr'] === application['AdjustedRefNbr'])!;
    const before = Number(memo()['Balance']);

    s.cb.state.touch('transactions', String(refund['PaymentRef']), { status: 'voided', voided_at: s.cb.state.now() } as never);
    const run = await s.run();
    expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
    expect(run.streams['refunds']).toMatchObject({ updated: 1, failed: 0 });
    expect(s.acu.state.records('Payment').find((p) => p['Type'] === 'Customer Refund' && p['ReferenceNbr'] === refund['ReferenceNbr'])).toMatchObject({
      Status: 'Voided',
    });
    expect(s.acu.state.records('Payment').find((p) => p['Type'] === 'Voided Refund' && p['ReferenceNbr'] === refund['ReferenceNbr'])).toMatchObject({
      Status: 'Closed',
    });
    expect(Math.round((Number(memo()['Balance']) - before) * 1000)).toBe(Math.round(Number(application['AmountPaid']) * 1000));
    expect(memo()['Status']).toBe('Open');
  }, 120_000);
});

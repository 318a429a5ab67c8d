/**
 * The reverse flow: an offline payment recorded in Sage Intacct reaches the Chargebee invoice it
 * paid, exactly once, and neither flow echoes the other's payments back.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { intacctGateway } from '../../../connectors/sage-intacct/index.js';
import { silentLogger } from '../../../engine/log.js';
import { runPipeline } from '../../../engine/run/runner.js';
import { REVERSE, startSandbox, type Sandbox } from './e2e-harness.js';
import { intacctInput } from './helpers.js';
import { customer, invoice } from './scenario.js';
import { installedConnectors } from '../../../app/registry.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

it('records an Intacct offline payment in the fake Chargebee exactly once, and nothing loops', async () => {
  const s = (sandbox = await startSandbox());
  customer(s.cb, 'cust_rev');
  invoice(s.cb, 'inv_open', 'cust_rev', [{ id: 'lo', amount: 5_000, entityId: 'x', description: 'Open invoice' }]);
  const forward = await s.run();
  expect(forward.exitCode, JSON.stringify(forward.error ?? forward.streams)).toBe(0);
  const intacctInvoice = [...s.intacct.state.arDocuments.values()].find((d) => d.RECORDID === 'inv_open')!;

  // A check received in Intacct, applied to the invoice, through the gateway as a clerk's tool would.
  const gateway = intacctGateway(intacctInput(s.intacct));
  const [created] = await gateway.execute([
    {
      controlId: 'clerk',
      name: 'create_arpayment',
      body: {
        customerid: 'cust_rev',
        paymentamount: '30.00',
        bankaccountid: 'BOA',
        refid: 'CHK-1001',
        datereceived: { year: '2024', month: '03', day: '10' },
        paymentmethod: 'Printed Check',
        arpaymentitem: [{ invoicekey: intacctInvoice.RECORDNO, amount: '30.00' }],
      },
    },
  ]);
  expect(created!.status).toBe('success');
  const recordNo = [...s.intacct.state.arPayments.values()].find((p) => p.DOCNUMBER === 'CHK-1001')!.RECORDNO;

  const reversePath = join(s.dir, 'reverse.yaml');
  writeFileSync(
    reversePath,
    readFileSync(REVERSE, 'utf8').replace('  connector: sage-intacct\n', '  connector: sage-intacct\n  retry: { base_delay_ms: 5, max_delay_ms: 50 }\n'),
  );
  const reverse = () => runPipeline({ connectors: installedConnectors, pipelinePath: reversePath, statePath: s.statePath, env: s.env, log: silentLogger });

  const first = await reverse();
  expect(first.exitCode, JSON.stringify(first.error ?? first.streams)).toBe(0);
  // Only the clerk's payment: the forward flow's payments (reference txn_…) are not echoed back.
  expect(first.streams['offline_payments']).toMatchObject({ created: 1, failed: 0 });
  const recorded = () => s.cb.state.all('transactions').filter((t) => (t as { id_at_gateway?: string }).id_at_gateway === recordNo);
  expect(recorded()).toHaveLength(1);
  expect(recorded()[0]).toMatchObject({
    amount: 3_000,
    payment_method: 'check',
    reference_number: 'CHK-1001',
    gateway: 'not_applicable',
    date: 1_710_028_800,
    customer_id: 'cust_rev',
  });
  const cbInvoice = s.cb.state.all('invoices').find((i) => i.id === 'inv_open')!;
  expect(cbInvoice).toMatchObject({ amount_paid: 3_000, amount_due: 2_000 });
  const post = s.cb.requests.filter((r) => r.method === 'POST').at(-1)!;
  expect(post.path).toContain('/invoices/inv_open/record_payment');

  // Run again: nothing new.
  const again = await reverse();
  expect(again.streams['offline_payments']!.written).toBe(0);
  expect(recorded()).toHaveLength(1);

  // The forward flow does not send Chargebee's copy of that payment back to Intacct.
  const paymentsBefore = s.intacct.state.arPayments.size;
  const forwardAgain = await s.run();
  expect(forwardAgain.exitCode).toBe(0);
  expect(s.intacct.state.arPayments.size).toBe(paymentsBefore);
  expect([...s.intacct.state.arPayments.values()].filter((p) => p.DOCNUMBER === recorded()[0]!.id)).toHaveLength(0);
});

// issue 11, mismatch 3: the example mapped card payments to `card`, which record_payment refuses
// (RecordPaymentInvoiceTransactionSchema's payment_method enum in the chargebee package).
it('records a card payment made in Intacct with a payment method Chargebee accepts', async () => {
  const s = (sandbox = await startSandbox());
  customer(s.cb, 'cust_card');
  invoice(s.cb, 'inv_card', 'cust_card', [{ id: 'lc', amount: 4_000, entityId: 'x', description: 'Card invoice' }]);
  expect((await s.run()).exitCode).toBe(0);
  const intacctInvoice = [...s.intacct.state.arDocuments.values()].find((d) => d.RECORDID === 'inv_card')!;
  const gateway = intacctGateway(intacctInput(s.intacct));
  const [created] = await gateway.execute([
    {
      controlId: 'clerk-card',
      name: 'create_arpayment',
      body: {
        customerid: 'cust_card',
        paymentamount: '40.00',
        bankaccountid: 'BOA',
        refid: 'CC-2001',
        datereceived: { year: '2024', month: '03', day: '11' },
        paymentmethod: 'Credit Card',
        arpaymentitem: [{ invoicekey: intacctInvoice.RECORDNO, amount: '40.00' }],
      },
    },
  ]);
  expect(created!.status).toBe('success');
  const reversePath = join(s.dir, 'reverse.yaml');
  writeFileSync(reversePath, readFileSync(REVERSE, 'utf8'));
  const result = await runPipeline({ connectors: installedConnectors, pipelinePath: reversePath, statePath: s.statePath, env: s.env, log: silentLogger });
  expect(result.exitCode, JSON.stringify(result.error ?? result.streams)).toBe(0);
  expect(result.streams['offline_payments']).toMatchObject({ created: 1, failed: 0 });
  const recorded = s.cb.state.all('transactions').filter((t) => t.reference_number === 'CC-2001');
  expect(recorded).toHaveLength(1);
  expect(recorded[0]).toMatchObject({ payment_method: 'other', amount: 4_000, status: 'success' });
  expect(s.cb.state.all('invoices').find((i) => i.id === 'inv_card')).toMatchObject({ status: 'paid', amount_due: 0 });
});

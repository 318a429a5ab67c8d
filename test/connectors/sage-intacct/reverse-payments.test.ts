/**
 * The reverse example pipeline (Intacct AR payments → Chargebee record_payment) against the fakes:
 * every application of a payment reaches Chargebee once, in the invoice's currency only, dated no
 * earlier than its invoice, retried after a refusal, and never from before go-live.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { intacctGateway } from '../../../connectors/sage-intacct/index.js';
import type { XmlNode } from '../../../connectors/sage-intacct/xml.js';
import { silentLogger } from '../../../engine/log.js';
import { runPipeline } from '../../../engine/run/runner.js';
import { REVERSE, startSandbox, type Sandbox } from './e2e-harness.js';
import { intacctInput } from './helpers.js';
import { customer, invoice } from './scenario.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

const MARCH_10 = 1_710_028_800; // 2024-03-10T00:00:00Z

type CbInvoice = { id: string; amount_paid?: number };
type CbTransaction = { id: string; amount: number; date: number; id_at_gateway?: string; reference_number?: string; status: string };

function reverseRun(s: Sandbox, edit: (yaml: string) => string = (y) => y) {
  const path = join(s.dir, 'reverse.yaml');
  writeFileSync(
    path,
    edit(readFileSync(REVERSE, 'utf8').replace('  connector: sage-intacct\n', '  connector: sage-intacct\n  retry: { base_delay_ms: 5, max_delay_ms: 50 }\n')),
  );
  return () => runPipeline({ connectors: installedConnectors, pipelinePath: path, statePath: s.statePath, env: s.env, log: silentLogger });
}

const intacctInvoiceKey = (s: Sandbox, id: string) => [...s.intacct.state.arDocuments.values()].find((d) => d.RECORDID === id)!.RECORDNO;
const paidInChargebee = (s: Sandbox, id: string) => (s.cb.state.all('invoices').find((i) => i.id === id) as CbInvoice).amount_paid ?? 0;
const transactionsOf = (s: Sandbox, reference: string) => s.cb.state.all('transactions').filter((t) => t.reference_number === reference) as CbTransaction[];

/** A check received in Intacct, applied to invoices, through the gateway as a clerk's tool would (elements in the SDK's order). */
async function receive(
  s: Sandbox,
  payment: { customerid: string; paymentamount: string; refid: string; datereceived: XmlNode; currency?: string; arpaymentitem: XmlNode[] },
): Promise<string> {
  const { customerid, paymentamount, refid, datereceived, currency, arpaymentitem } = payment;
  const body = {
    customerid,
    paymentamount,
    bankaccountid: 'BOA',
    refid,
    datereceived,
    paymentmethod: 'Printed Check',
    ...(currency ? { currency } : {}),
    arpaymentitem,
  };
  const [created] = await intacctGateway(intacctInput(s.intacct)).execute([{ controlId: `clerk-${refid}`, name: 'create_arpayment', body }]);
  expect(created!.status, JSON.stringify(created)).toBe('success');
  return [...s.intacct.state.arPayments.values()].find((p) => p.DOCNUMBER === refid)!.RECORDNO;
}

it('records a second application of one payment to the same invoice, and leaves the first as it was recorded', async () => {
  let offsetMs = 0;
  const s = (sandbox = await startSandbox({ intacct: { now: () => new Date(Date.now() + offsetMs) } }));
  customer(s.cb, 'cust_twice');
  invoice(s.cb, 'inv_twice', 'cust_twice', [{ id: 'l', amount: 5_000, entityId: 'x', description: 'Paid in two applications' }]);
  expect((await s.run()).exitCode).toBe(0);
  const paymentKey = await receive(s, {
    customerid: 'cust_twice',
    paymentamount: '50.00',
    refid: 'CHK-TWICE',
    datereceived: { year: '2024', month: '03', day: '10' },
    arpaymentitem: [{ invoicekey: intacctInvoiceKey(s, 'inv_twice'), amount: '20.00' }],
  });
  const reverse = reverseRun(s);
  expect((await reverse()).exitCode).toBe(0);
  expect(paidInChargebee(s, 'inv_twice')).toBe(2_000);

  offsetMs = 60_000;
  const [applied] = await intacctGateway(intacctInput(s.intacct)).execute([
    {
      controlId: 'clerk-apply-twice',
      name: 'apply_arpayment',
      body: {
        arpaymentkey: paymentKey,
        paymentdate: { year: '2024', month: '03', day: '11' },
        arpaymentitems: { arpaymentitem: [{ invoicekey: intacctInvoiceKey(s, 'inv_twice'), amount: '30.00' }] },
      },
    },
  ]);
  expect(applied!.status).toBe('success');
  const secondDetail = s.intacct.state.applications.filter((a) => a.PAYMENTKEY === paymentKey).at(-1)!.RECORDNO;

  const second = await reverse();
  expect(second.exitCode, JSON.stringify(second.deadLetterCauses ?? second.error)).toBe(0);
  // Only the new application is written: the first keeps its part (the invoice number) and content.
  expect(second.streams['offline_payments']).toMatchObject({ written: 1, created: 1, failed: 0 });
  expect(paidInChargebee(s, 'inv_twice')).toBe(5_000); // before: 2_000, the 30.00 never reached Chargebee
  expect(
    transactionsOf(s, 'CHK-TWICE')
      .map((t) => [t.amount, t.id_at_gateway])
      .sort(),
  ).toEqual([
    [2_000, paymentKey],
    [3_000, `${paymentKey}/${secondDetail}`],
  ]);

  // Nothing more on a third run.
  const third = await reverse();
  expect(third.streams['offline_payments']!.written).toBe(0);
  expect(transactionsOf(s, 'CHK-TWICE')).toHaveLength(2);
});

it('dead-letters a base-currency payment of a JPY invoice, naming both currencies and the invoice, and records nothing', async () => {
  const s = (sandbox = await startSandbox());
  customer(s.cb, 'cust_yen_rev', { preferred_currency_code: 'JPY' });
  invoice(s.cb, 'inv_yen_rev', 'cust_yen_rev', [{ id: 'l', amount: 10_000, entityId: 'x', description: 'Yen invoice' }], {
    currency: 'JPY',
    exchangeRate: 0.0067,
  });
  expect((await s.run()).exitCode).toBe(0);
  await receive(s, {
    customerid: 'cust_yen_rev',
    paymentamount: '50.00',
    refid: 'CHK-YEN',
    currency: 'USD',
    datereceived: { year: '2024', month: '03', day: '10' },
    arpaymentitem: [{ invoicekey: intacctInvoiceKey(s, 'inv_yen_rev'), amount: '50.00' }],
  });
  const result = await reverseRun(s)();
  expect(result.exitCode).toBe(1);
  expect(paidInChargebee(s, 'inv_yen_rev')).toBe(0); // before: 5_000, the USD cents read as yen
  expect(transactionsOf(s, 'CHK-YEN')).toHaveLength(0);
  const [cause] = result.deadLetterCauses ?? [];
  expect(cause).toMatchObject({ code: 'offline_payment_currency_mismatch', kind: 'record' });
  expect(cause!.message).toMatch(/#inv_yen_rev: 50(\.00)? USD cannot be recorded on Chargebee invoice inv_yen_rev, which is in JPY/);
});

it("records a payment received on the invoice's own day at the invoice's time, on the first run", async () => {
  const s = (sandbox = await startSandbox());
  customer(s.cb, 'cust_sameday');
  const invoiced = MARCH_10 + 15 * 3600;
  invoice(s.cb, 'inv_sameday', 'cust_sameday', [{ id: 'l', amount: 4_000, entityId: 'x', description: 'Same-day invoice' }], { date: invoiced });
  expect((await s.run()).exitCode).toBe(0);
  await receive(s, {
    customerid: 'cust_sameday',
    paymentamount: '40.00',
    refid: 'CHK-SAMEDAY',
    datereceived: { year: '2024', month: '03', day: '10' },
    arpaymentitem: [{ invoicekey: intacctInvoiceKey(s, 'inv_sameday'), amount: '40.00' }],
  });
  const result = await reverseRun(s)();
  // Before: refused every run, "cannot be earlier than the invoice date".
  expect(result.streams['offline_payments'], JSON.stringify(result.deadLetterCauses)).toMatchObject({ created: 1, failed: 0 });
  expect(transactionsOf(s, 'CHK-SAMEDAY')).toEqual([expect.objectContaining({ amount: 4_000, date: invoiced })]);
  expect(result.exitCode).toBe(0);
});

it('records a payment Chargebee refused while its invoice was pending on the next run after the invoice is closed', async () => {
  const s = (sandbox = await startSandbox());
  customer(s.cb, 'cust_pending');
  invoice(s.cb, 'inv_pending', 'cust_pending', [{ id: 'l', amount: 4_000, entityId: 'x', description: 'Usage invoice' }]);
  expect((await s.run()).exitCode).toBe(0);
  s.cb.state.touch('invoices', 'inv_pending', { status: 'pending' } as never);
  await receive(s, {
    customerid: 'cust_pending',
    paymentamount: '40.00',
    refid: 'CHK-PENDING',
    datereceived: { year: '2024', month: '03', day: '10' },
    arpaymentitem: [{ invoicekey: intacctInvoiceKey(s, 'inv_pending'), amount: '40.00' }],
  });
  const reverse = reverseRun(s);
  const first = await reverse();
  expect(first.exitCode).toBe(1);
  expect(JSON.stringify(first.deadLetterCauses)).toMatch(/pending/);

  s.cb.state.touch('invoices', 'inv_pending', { status: 'payment_due' } as never);
  const second = await reverse();
  expect(second.exitCode, JSON.stringify(second.deadLetterCauses)).toBe(0);
  expect(paidInChargebee(s, 'inv_pending')).toBe(4_000); // before: 0, Chargebee replayed the refusal under the same key
  const posts = s.cb.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/invoices/inv_pending/record_payment'));
  expect(posts.map((p) => p.status)).toEqual([400, 200]);
  expect(posts[1]!.idempotencyKey).not.toBe(posts[0]!.idempotencyKey);
});

it('keeps a payment received before start_date out of Chargebee, though it was keyed in after go-live', async () => {
  const s = (sandbox = await startSandbox());
  customer(s.cb, 'cust_golive');
  invoice(s.cb, 'inv_golive', 'cust_golive', [{ id: 'l', amount: 8_000, entityId: 'x', description: 'Before go-live' }], { date: 1_708_387_200 }); // 2024-02-20
  expect((await s.run()).exitCode).toBe(0);
  const common = { customerid: 'cust_golive', paymentamount: '40.00', arpaymentitem: [{ invoicekey: intacctInvoiceKey(s, 'inv_golive'), amount: '40.00' }] };
  await receive(s, { ...common, refid: 'CHK-FEB', datereceived: { year: '2024', month: '02', day: '29' } });
  await receive(s, { ...common, refid: 'CHK-MAR', datereceived: { year: '2024', month: '03', day: '01' } });
  const result = await reverseRun(s, (yaml) => yaml.replace('timezone: UTC\n', 'timezone: UTC\nstart_date: 2024-03-01\n'))();
  expect(result.exitCode, JSON.stringify(result.error ?? result.deadLetterCauses)).toBe(0);
  expect(transactionsOf(s, 'CHK-FEB')).toHaveLength(0); // before: recorded
  expect(transactionsOf(s, 'CHK-MAR')).toHaveLength(1);
});

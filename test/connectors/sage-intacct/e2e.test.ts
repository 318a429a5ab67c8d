/**
 * Chargebee → Sage Intacct end to end: the example pipeline, the engine's runner, the fake
 * Chargebee (seeded site plus crafted documents) and the fake Intacct gateway.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../../engine/state/store.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';
import { creditNote, customer, invoice, payment, refund } from './scenario.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function open(options: Parameters<typeof startSandbox>[0] = {}): Promise<Sandbox> {
  sandbox = await startSandbox(options);
  return sandbox;
}

const live = <T extends { deleted?: boolean }>(rows: readonly T[]) => rows.filter((r) => !r.deleted);

/** Every Intacct document holds a distinct natural key: nothing was posted twice. */
function expectNoDuplicates(s: Sandbox): void {
  const ids = (list: string[]) => list.filter((v, i) => list.indexOf(v) !== i);
  expect(ids([...s.intacct.state.customers.keys()])).toEqual([]);
  expect(ids([...s.intacct.state.arDocuments.values()].map((d) => `${d.kind}:${d.RECORDID}`))).toEqual([]);
  expect(ids([...s.intacct.state.arPayments.values()].map((p) => p.DOCNUMBER))).toEqual([]);
  expect(ids([...s.intacct.state.bills.values()].map((b) => b.RECORDID))).toEqual([]);
  expect(ids([...s.intacct.state.apPayments.values()].map((p) => p.DESCRIPTION))).toEqual([]);
  expect(ids(s.intacct.state.applications.map((a) => `${a.PAYMENTKEY}>${a.RECORDKEY}:${a.amount}`))).toEqual([]);
}

const writeRequests = (s: Sandbox) =>
  s.intacct.state.requests.filter((r) => r.functions.some((f) => !['readByQuery', 'readMore', 'getAPISession'].includes(f))).length;

function document(s: Sandbox, kind: 'invoice' | 'adjustment', recordId: string) {
  const found = [...s.intacct.state.arDocuments.values()].find((d) => d.kind === kind && d.RECORDID === recordId);
  if (!found) throw new Error(`no Intacct ${kind} ${recordId}`);
  return found;
}

/** The crafted documents of the scenarios: tax, discount and round-off; a credit note over two invoices; a refund. */
function craft(s: Sandbox): void {
  customer(s.cb, 'cust_e2e');
  invoice(
    s.cb,
    'inv_tax_round',
    'cust_e2e',
    [
      { id: 'li_1', amount: 10_000, discount: 1_000, tax: { name: 'NY State Tax', amount: 825 }, entityId: 'pro-USD-monthly', description: 'Pro plan' },
      { id: 'li_2', amount: 2_500, entityId: 'seats-USD-monthly', description: 'Extra seats' },
    ],
    { roundOff: -3 },
  );
  invoice(s.cb, 'inv_a', 'cust_e2e', [{ id: 'la', amount: 5_000, entityId: 'x', description: 'A' }]);
  invoice(s.cb, 'inv_b', 'cust_e2e', [{ id: 'lb', amount: 5_000, entityId: 'x', description: 'B' }]);
  creditNote(s.cb, 'cn_two', 'cust_e2e', 3_000, {
    referenceInvoiceId: 'inv_a',
    allocations: [
      { invoiceId: 'inv_a', amount: 1_000 },
      { invoiceId: 'inv_b', amount: 2_000 },
    ],
  });
  invoice(s.cb, 'inv_r', 'cust_e2e', [{ id: 'lr', amount: 4_000, entityId: 'x', description: 'R' }], { paid: 4_000 });
  payment(s.cb, 'txn_pay_r', 'cust_e2e', 4_000, [{ invoiceId: 'inv_r', amount: 4_000 }]);
  creditNote(s.cb, 'cn_r', 'cust_e2e', 2_000, { type: 'refundable', referenceInvoiceId: 'inv_r', refunds: [{ txnId: 'txn_ref_r', amount: 2_000 }] });
  refund(s.cb, 'txn_ref_r', 'cust_e2e', 2_000, 'cn_r');
}

const dimensions: [string, string][] = [
  ['  location_id: ""', '  location_id: "100"'],
  ['  department_id: ""', '  department_id: SALES'],
  ['  project_id: ""', '  project_id: P100'],
  ['  class_id: ""', '  class_id: SAAS'],
  ['  employee_id: ""', '  employee_id: E100'],
  ['  vendor_id: ""', '  vendor_id: V100'],
  ['  customer_dimension: false', '  customer_dimension: true'],
];

describe('Chargebee → Sage Intacct', () => {
  it('first sync posts every document once (tax, round-off, dimensions, credit note over two invoices, refund), renews an expired session; an idle run posts nothing; a changed customer and an unpaid invoice are updated, a paid one is a dead letter', async () => {
    const s = await open();
    s.edit(dimensions);
    craft(s);
    let writes = 0;
    s.intacct.faults.afterWrite = () => {
      if (++writes === 2) s.intacct.faults.expireSessions();
    };
    const first = await s.run();
    expect(first.exitCode, JSON.stringify(first.error ?? first.streams)).toBe(0);
    expect(s.intacct.state.sessions.size).toBeGreaterThanOrEqual(2);

    // Every live Chargebee record is in Intacct, once.
    // Customers deleted in Chargebee are kept (never deleted), so their documents post too.
    expect(s.intacct.state.customers.size).toBe(s.cb.state.all('customers').length);
    const postable = live(s.cb.state.all('invoices')).filter((i) => i.status !== 'voided' && i.status !== 'pending');
    for (const inv of postable) expect(document(s, 'invoice', inv.id).RECORDID).toBe(inv.id);
    expect(first.streams['invoices']!.created).toBe(postable.length);
    expectNoDuplicates(s);

    // Tax, discount, round-off and dimensions.
    const taxed = document(s, 'invoice', 'inv_tax_round');
    expect(taxed.total).toBe(1_232_200n); // 90.00 + 8.25 + 25.00 - 0.03 = Chargebee's total 123.22
    expect(taxed.lines[0]).toMatchObject({
      glaccountno: '4010',
      amount: 900_000n,
      memo: 'Pro plan',
      dimensions: {
        locationid: '200',
        departmentid: 'SALES',
        projectid: 'P100',
        classid: 'SAAS',
        employeeid: 'E100',
        vendorid: 'V100',
        customerid: 'cust_e2e',
        itemid: 'PRO',
      },
      revrectemplate: 'RR-MONTHLY',
      revrecstartdate: '2024-03-01',
      revrecenddate: '2024-03-31',
      taxentries: [{ detailid: 'Sales Tax', trx_tax: 82_500n }],
    });
    expect(taxed.lines[1]).toMatchObject({
      amount: 250_000n,
      dimensions: { locationid: '100' },
      revrectemplate: '',
      taxentries: [{ detailid: 'Exempt', trx_tax: 0n }],
    });
    expect(taxed.lines[2]).toMatchObject({
      memo: 'Round-off value',
      glaccountno: '4900',
      amount: -300n,
      dimensions: { itemid: 'ROUNDOFF', locationid: '100', departmentid: 'SALES' },
    });

    // The credit note, applied over two invoices.
    const credit = document(s, 'adjustment', 'cn_two');
    expect(credit.total).toBe(-300_000n);
    const applied = s.intacct.state.applications.filter((a) => a.PAYMENTKEY === credit.RECORDNO);
    expect(applied.map((a) => [a.RECORDKEY, a.amount, a.MEMO, a.PAYMENTDATE])).toEqual([
      [document(s, 'invoice', 'inv_a').RECORDNO, 100_000n, 'Creditmemo applied over invoice', '2024-03-04'],
      [document(s, 'invoice', 'inv_b').RECORDNO, 200_000n, 'Creditmemo applied over invoice', '2024-03-04'],
    ]);

    // The refund: the credit memo knocked off against the refund debit, and an AP payment in cash.
    const debit = document(s, 'invoice', 'refund_txn_ref_r');
    expect(debit.applied).toBe(debit.total);
    const knockoff = s.intacct.state.applications.find((a) => a.RECORDKEY === debit.RECORDNO)!;
    expect(knockoff).toMatchObject({ PAYMENTKEY: document(s, 'adjustment', 'cn_r').RECORDNO, MEMO: 'refund knockoff txn_ref_r', amount: 200_000n });
    const bill = [...s.intacct.state.bills.values()].find((b) => b.RECORDID === 'bill_txn_ref_r')!;
    expect(bill).toMatchObject({ VENDORID: 'REFUNDS', total: 200_000n, paid: 200_000n });
    expect([...s.intacct.state.apPayments.values()].find((p) => p.DESCRIPTION === 'refund id - txn_ref_r')).toMatchObject({
      PAYMENTMETHOD: 'Cash',
      FINANCIALENTITY: 'BOA',
      VENDORID: 'REFUNDS',
      total: 200_000n,
    });
    // The card payment, applied in full.
    expect(document(s, 'invoice', 'inv_r').applied).toBe(400_000n);
    expect([...s.intacct.state.arPayments.values()].find((p) => p.DOCNUMBER === 'txn_pay_r')).toMatchObject({
      PAYMENTMETHOD: 'Credit Card',
      amount: 400_000n,
      applied: 400_000n,
    });

    // Idle: nothing new is posted.
    const writesBefore = writeRequests(s);
    const idle = await s.run();
    expect(idle.exitCode).toBe(0);
    expect(Object.values(idle.streams).reduce((n, c) => n + c.written, 0)).toBe(0);
    expect(writeRequests(s)).toBe(writesBefore);

    // A changed customer is updated, not duplicated.
    s.cb.state.touch('customers', 'cust_e2e', { company: 'Case & Sons <Holdings>' });
    const changed = await s.run();
    expect(changed.streams['customers']).toMatchObject({ updated: 1, created: 0 });
    expect(s.intacct.state.customers.get('cust_e2e')).toMatchObject({ NAME: 'Case & Sons <Holdings>', updates: 1 });
    expectNoDuplicates(s);

    // An unpaid invoice that changes is updated; a paid one cannot be edited in Intacct: a clear dead letter.
    s.cb.state.touch('invoices', 'inv_tax_round', { po_number: 'PO-77' });
    s.cb.state.touch('invoices', 'inv_r', { po_number: 'PO-78' });
    const edits = await s.run();
    expect(edits.exitCode).toBe(1);
    expect(edits.streams['invoices']).toMatchObject({ updated: 1, failed: 1, created: 0 });
    expect(document(s, 'invoice', 'inv_tax_round').updates).toBe(1);
    expect(document(s, 'invoice', 'inv_tax_round').total).toBe(1_232_200n);
    const store = StateStore.open(s.statePath);
    const letter = store.deadLetters('chargebee-to-intacct', 'invoices').find((l) => l.sourceId === 'inv_r')!;
    store.close();
    expect(letter.message).toMatch(/BL03000150.*inv_r.*cannot be edited/);
    expect(letter.fix).toMatch(/credit note/);
    expectNoDuplicates(s);
  });

  it('multi-currency: a EUR payment is posted in EUR at its exchange rate and applied in EUR, with the overpayment location and department', async () => {
    const s = await open();
    s.edit([
      ['  overpayment_location_id: ""', '  overpayment_location_id: US'],
      ['  overpayment_department_id: ""', '  overpayment_department_id: CS'],
    ]);
    customer(s.cb, 'cust_eur', { preferred_currency_code: 'EUR' });
    invoice(s.cb, 'inv_eur', 'cust_eur', [{ id: 'le', amount: 10_000, entityId: 'x', description: 'EUR plan' }], {
      currency: 'EUR',
      exchangeRate: 1.0823,
      paid: 10_000,
    });
    payment(s.cb, 'txn_eur', 'cust_eur', 10_000, [{ invoiceId: 'inv_eur', amount: 10_000 }], { currency: 'EUR', exchangeRate: 1.0823 });
    const run = await s.run();
    expect(run.exitCode, JSON.stringify(run.error ?? run.streams)).toBe(0);
    const inv = document(s, 'invoice', 'inv_eur');
    expect(inv).toMatchObject({ CURRENCY: 'EUR', EXCHRATE: '1.0823', total: 1_000_000n });
    const pay = [...s.intacct.state.arPayments.values()].find((p) => p.DOCNUMBER === 'txn_eur')!;
    // In its own currency (Intacct converts it at its exchrate), not USD 108.23: see fx-rates.test.ts.
    expect(pay).toMatchObject({ CURRENCY: 'EUR', amount: 1_000_000n, OVERPAYLOCID: 'US', OVERPAYDEPTID: 'CS' });
    const application = s.intacct.state.applications.find((a) => a.PAYMENTKEY === pay.RECORDNO)!;
    expect(application).toMatchObject({ RECORDKEY: inv.RECORDNO, amount: 1_000_000n, MEMO: 'payment apply', OVERPAYLOCID: 'US', OVERPAYDEPTID: 'CS' });
    expect(inv.applied).toBe(inv.total);
    expectNoDuplicates(s);
    const idle = await s.run();
    expect(Object.values(idle.streams).reduce((n, c) => n + c.written, 0)).toBe(0);
  });

  it('bad input: an unknown GL account, an over-long customer id, a closed period are dead letters with the record id, errorno and correction; the run goes on and exits 1', async () => {
    const s = await open();
    s.edit([['      pro-USD-monthly: "4010"', '      pro-USD-monthly: "4010"\n      bad-gl-item: "9999"']]);
    customer(s.cb, 'cust_bad');
    customer(s.cb, 'cust_with_a_very_long_id');
    invoice(s.cb, 'inv_bad_gl', 'cust_bad', [{ id: 'l1', amount: 1_000, entityId: 'bad-gl-item', description: 'x' }]);
    invoice(s.cb, 'inv_closed', 'cust_bad', [{ id: 'l2', amount: 1_000, entityId: 'x', description: 'x' }], { date: 1_577_836_800 });
    s.intacct.faults.closeBooksThrough('2020-12-31');
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    expect(run.status).toBe('partial');
    expect(run.streams['invoices']!.created).toBeGreaterThan(0);
    const store = StateStore.open(s.statePath);
    const letters = store.deadLetters('chargebee-to-intacct');
    store.close();
    const gl = letters.find((l) => l.sourceId === 'inv_bad_gl')!;
    expect(gl.message).toMatch(/inv_bad_gl.*BL03000018.*9999/);
    expect(gl.fix).toMatch(/Chart of accounts/);
    const long = letters.find((l) => l.sourceId === 'cust_with_a_very_long_id')!;
    expect(long.message).toMatch(/PL04000108.*limit is 17/);
    expect(long.fix).toMatch(/17 characters/);
    const closed = letters.find((l) => l.sourceId === 'inv_closed')!;
    expect(closed.message).toMatch(/BL03000054.*closed/);
    expect(closed.fix).toMatch(/open period/);
    // Documents of the refused customer wait for it instead of posting a wrong reference.
    expect(s.intacct.state.customers.has('cust_with_a_very_long_id')).toBe(false);
  });

  it('bad credentials exit 3 and say which of sender and user failed', async () => {
    const s = await open();
    const sender = await s.run({ env: { ...s.env, INTACCT_SENDER_PASSWORD: 'wrong-sender-pw' } });
    expect(sender.exitCode).toBe(3);
    expect(sender.error!.message).toMatch(/sender credentials were rejected/);
    expect(sender.error!.fix).toMatch(/INTACCT_SENDER_ID and INTACCT_SENDER_PASSWORD/);
    const user = await s.run({ env: { ...s.env, INTACCT_USER_PASSWORD: 'wrong-user-pw' } });
    expect(user.exitCode).toBe(3);
    expect(user.error!.message).toMatch(/company user 'api-user' could not log in/);
    expect(user.error!.fix).toMatch(/INTACCT_USER_PASSWORD/);
    expect(JSON.stringify([sender, user])).not.toMatch(/wrong-(sender|user)-pw/);
    expect(s.intacct.state.customers.size).toBe(0);
  });
});

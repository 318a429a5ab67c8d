/**
 * Intacct multi-currency (base USD) with the rates Chargebee gives: a payment at its own rate, a
 * credit note at the rate of the invoice it credits (Chargebee gives credit notes none), and a fake
 * gateway that, like Intacct, never assumes a rate of 1 for a foreign document.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connector } from '../../../connectors/sage-intacct/index.js';
import { StateStore } from '../../../engine/state/store.js';
import { startFakeIntacct, type FakeIntacct } from '../../fakes/intacct/index.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';
import { intacctInput, record, seedCustomers, sinkContext } from './helpers.js';
import { creditNote, customer, invoice, payment } from './scenario.js';

let s: Sandbox | undefined;
let fake: FakeIntacct | undefined;
afterEach(async () => {
  await s?.close();
  await fake?.close();
  s = undefined;
  fake = undefined;
});

function letters(sb: Sandbox, re: RegExp): string[] {
  const store = StateStore.open(sb.statePath);
  const out = store
    .deadLetters('chargebee-to-intacct')
    .filter((l) => re.test(l.sourceId))
    .map((l) => `${l.stream}/${l.sourceId}: ${l.message}`);
  store.close();
  return out;
}

function sent(sb: Sandbox, element: string, id: string): Record<string, unknown> | undefined {
  const call = sb.intacct.state.requests.flatMap((r) => r.calls ?? []).find((c) => c.element === element && JSON.stringify(c.body).includes(`"${id}"`));
  return call?.body as Record<string, unknown> | undefined;
}

function arDocument(sb: Sandbox, kind: 'invoice' | 'adjustment', id: string) {
  return [...sb.intacct.state.arDocuments.values()].find((d) => d.kind === kind && d.RECORDID === id)!;
}

/** A EUR 100.00 invoice at 1.0825, paid in full in Chargebee by a EUR 100.00 payment at `rate`. */
async function paidAtRate(rate: number, tag: string): Promise<Sandbox> {
  const sb = await startSandbox();
  customer(sb.cb, `cust_${tag}`, { preferred_currency_code: 'EUR' });
  invoice(sb.cb, `inv_${tag}`, `cust_${tag}`, [{ id: `l_${tag}`, amount: 10_000, entityId: 'x', description: 'EUR plan' }], {
    currency: 'EUR',
    exchangeRate: 1.0825,
    paid: 10_000,
  });
  payment(sb.cb, `txn_${tag}`, `cust_${tag}`, 10_000, [{ invoiceId: `inv_${tag}`, amount: 10_000 }], { currency: 'EUR', exchangeRate: rate });
  return sb;
}

describe('Intacct: a payment at another rate than its invoice settles it', () => {
  it.each([
    [1.1, 'up'],
    [1.05, 'down'],
  ])(
    'a EUR 100.00 payment at %s of a EUR 100.00 invoice at 1.0825 is posted in EUR at its rate and leaves nothing open',
    async (rate, tag) => {
      s = await paidAtRate(rate, tag);
      const run = await s.run();
      expect(letters(s, new RegExp(tag))).toEqual([]);
      expect(run.exitCode).toBe(0);
      // Before: USD 110.00 (refused against the USD 108.25 due) or USD 105.00 (EUR 3.00 left open).
      expect(sent(s, 'create_arpayment', `txn_${tag}`)).toMatchObject({
        paymentamount: '100.00',
        basecurr: 'USD',
        currency: 'EUR',
        exchratedate: { year: '2024', month: '03', day: '02' },
        exchrate: String(rate),
      });
      const inv = arDocument(s, 'invoice', `inv_${tag}`);
      expect(sent(s, 'apply_arpayment', inv.RECORDNO)).toMatchObject({ arpaymentitems: { arpaymentitem: { invoicekey: inv.RECORDNO, amount: '100.00' } } });
      expect(inv.total - inv.applied).toBe(0n);
    },
    120_000,
  );
});

describe('Intacct: a credit note in another currency carries a rate', () => {
  it('a EUR credit note, which Chargebee gives no exchange_rate, goes at the 1.0825 of the invoice it credits', async () => {
    s = await startSandbox();
    customer(s.cb, 'cust_cn', { preferred_currency_code: 'EUR' });
    invoice(s.cb, 'inv_cn', 'cust_cn', [{ id: 'l_cn', amount: 10_000, entityId: 'x', description: 'EUR plan' }], { currency: 'EUR', exchangeRate: 1.0825 });
    creditNote(s.cb, 'cn_eur', 'cust_cn', 2_000, { currency: 'EUR', referenceInvoiceId: 'inv_cn', allocations: [{ invoiceId: 'inv_cn', amount: 2_000 }] });
    expect(s.cb.state.all('credit_notes').find((n) => n.id === 'cn_eur')).not.toHaveProperty('exchange_rate');
    const run = await s.run();
    expect(letters(s, /_cn|cn_/)).toEqual([]);
    expect(run.exitCode).toBe(0);
    const body = sent(s, 'create_aradjustment', 'cn_eur');
    expect(body).toMatchObject({ currency: 'EUR', exchrate: '1.0825' });
    expect(body).not.toHaveProperty('exchratetype');
    expect(arDocument(s, 'adjustment', 'cn_eur').EXCHRATE).toBe('1.0825');
    const inv = arDocument(s, 'invoice', 'inv_cn');
    expect(inv.applied).toBe(200_000n);
  }, 120_000);

  it('one that credits no invoice goes at Intacct’s rate of options.exchange_rate_type, or, with none set, waits in the dead letters saying so', async () => {
    s = await startSandbox();
    customer(s.cb, 'cust_st', { preferred_currency_code: 'EUR' });
    creditNote(s.cb, 'cn_store', 'cust_st', 2_000, { currency: 'EUR', type: 'refundable' });
    await s.run();
    const body = sent(s, 'create_aradjustment', 'cn_store');
    expect(body).toMatchObject({ currency: 'EUR', exchratetype: 'Intacct Daily Rate' });
    expect(body).not.toHaveProperty('exchrate');
    await s.close();

    s = await startSandbox();
    s.edit([['  exchange_rate_type: Intacct Daily Rate', '  exchange_rate_type: ""']]);
    customer(s.cb, 'cust_st', { preferred_currency_code: 'EUR' });
    creditNote(s.cb, 'cn_store', 'cust_st', 2_000, { currency: 'EUR', type: 'refundable' });
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    expect(letters(s, /cn_store/)).toEqual([expect.stringMatching(/credit_notes\/cn_store: .*EUR has no exchange rate.*options\.exchange_rate_type/)]);
    expect(sent(s, 'create_aradjustment', 'cn_store')).toBeUndefined();
  }, 120_000);
});

describe('the fake Intacct gateway never assumes a rate', () => {
  it('refuses a EUR adjustment or payment with neither exchrate nor exchratetype, as the SDK never sends one', async () => {
    fake = await startFakeIntacct();
    seedCustomers(fake, 'cus_1');
    const sink = connector.createSink!(intacctInput(fake));
    const adjustment = {
      customerid: 'cus_1',
      datecreated: '2024-03-03',
      adjustmentno: 'cn_norate',
      basecurr: 'USD',
      currency: 'EUR',
      exchratedate: '2024-03-03',
      aradjustmentitems: [{ glaccountno: '4000', amount: '-20.00' }],
    };
    const paymentRecord = {
      customerid: 'cus_1',
      paymentamount: '20.00',
      bankaccountid: 'BOA',
      refid: 'txn_norate',
      datereceived: '2024-03-03',
      paymentmethod: 'EFT',
      basecurr: 'USD',
      currency: 'EUR',
    };
    const results = await sink.write([record('ARADJUSTMENT', 'cn_norate', adjustment), record('ARPAYMENT', 'txn_norate', paymentRecord)], sinkContext());
    expect(results.map((r) => (r.status === 'failed' ? `${r.error.details['errorno']} ${r.error.message}` : r.status))).toEqual([
      expect.stringMatching(/^BL03000011 .*exchratetype or exchrate is required for a EUR transaction/),
      expect.stringMatching(/^BL03000011 .*exchratetype or exchrate is required for a EUR transaction/),
    ]);
    const [rated] = await sink.write([record('ARADJUSTMENT', 'cn_rated', { ...adjustment, adjustmentno: 'cn_rated', exchrate: '1.0825' })], sinkContext());
    expect(rated?.status).toBe('created');
    expect([...fake.state.arDocuments.values()].find((d) => d.RECORDID === 'cn_rated')?.EXCHRATE).toBe('1.0825');
  });
});

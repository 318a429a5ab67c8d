/**
 * Intacct multi-currency: a EUR payment that pays three EUR invoices. Posted in the base currency at
 * amount × rate rounded once, with each application amount × rate rounded on its own, the rounded
 * parts added up to more than the rounded whole, so the last application was refused and its invoice
 * stayed open in Intacct although Chargebee had it paid. Posted in EUR, nothing is rounded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { amountValue } from '../../../connectors/sage-intacct/documents.js';
import { StateStore } from '../../../engine/state/store.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';
import { customer, invoice, payment } from './scenario.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('money: Intacct foreign-currency payment applications', () => {
  it('a EUR 30.00 payment at 1.0825 applied to three EUR 10.00 invoices pays all three in Intacct', async () => {
    s = await startSandbox();
    customer(s.cb, 'cust_fx', { preferred_currency_code: 'EUR' });
    for (const id of ['inv_fx1', 'inv_fx2', 'inv_fx3']) {
      invoice(s.cb, id, 'cust_fx', [{ id: `l_${id}`, amount: 1_000, entityId: 'x', description: 'EUR plan' }], {
        currency: 'EUR',
        exchangeRate: 1.0825,
        paid: 1_000,
      });
    }
    payment(
      s.cb,
      'txn_fx',
      'cust_fx',
      3_000,
      ['inv_fx1', 'inv_fx2', 'inv_fx3'].map((invoiceId) => ({ invoiceId, amount: 1_000 })),
      { currency: 'EUR', exchangeRate: 1.0825 },
    );
    const run = await s.run();
    const store = StateStore.open(s.statePath);
    const letters = store.deadLetters('chargebee-to-intacct').filter((l) => /fx/.test(l.sourceId));
    store.close();
    // Chargebee: the payment (30.00 EUR) pays each invoice in full. Converted, the payment was
    // 30.00 × 1.0825 = 32.475 → 32.48 USD but each application 10.00 × 1.0825 = 10.825 → 10.83,
    // 32.49 in all: the third was refused ("Amount exceeds payment").
    expect(letters.map((l) => `${l.stream}/${l.sourceId}: ${l.message}`)).toEqual([]);
    for (const id of ['inv_fx1', 'inv_fx2', 'inv_fx3']) {
      const doc = [...s.intacct.state.arDocuments.values()].find((d) => d.kind === 'invoice' && d.RECORDID === id)!;
      expect(doc.applied, `${id} open in Intacct`).toBe(doc.total);
    }
    expect(run.streams['payment_applications']?.failed ?? 0).toBe(0);
    // The payment is EUR 30.00, as in Chargebee (it was USD 32.49, its applications converted one by one).
    const posted = [...s.intacct.state.arPayments.values()].filter((p) => p.DOCNUMBER === 'txn_fx');
    expect(posted.map((p) => `${p.CURRENCY} ${p.amount}`)).toEqual(['EUR 300000']);
  }, 120_000);
});

describe('amountValue: an amount converted at a rate', () => {
  it('rounds the product half away from zero to the decimals asked for, and refuses what it does not know', () => {
    expect(amountValue({ amount: '30.00', exchange_rate: '1.0825' }, 'x')).toBe('32.48');
    expect(amountValue({ amount: '-0.125', exchange_rate: '1', decimals: 2 }, 'x')).toBe('-0.13');
    // `parts` converted a base-currency payment part by part; a payment now goes in its own currency.
    expect(() => amountValue({ amount: '30.00', exchange_rate: '1.0825', parts: ['10.00', '10.00', '10.00'] }, 'x')).toThrow(
      /amount, exchange_rate and decimals, not parts/,
    );
  });
});

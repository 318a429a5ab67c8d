/**
 * What the example RevRec pipeline posts for Chargebee's cash rounding (round_off_amount, part of the
 * total the customer owes) and for tax-inclusive lines with a discount (amount and discount both
 * include tax).
 */
import { describe, expect, it } from 'vitest';
import { at, netOn, scheduleOf } from './example-schedule.js';

describe('revrec: Chargebee round_off_amount', () => {
  it('bills accounts receivable for the invoice total, round-off included', async () => {
    // 99.99 + 8.25 tax = 108.24, rounded by Chargebee to 108.00 (round_off_amount −0.24).
    const invoice = {
      id: 'inv_ro',
      status: 'paid',
      date: at(2026, 10, 1),
      currency_code: 'USD',
      price_type: 'tax_exclusive',
      sub_total: 9999,
      tax: 825,
      round_off_amount: -24,
      total: 10800,
      amount_paid: 10800,
      line_items: [
        {
          id: 'li_1',
          date_from: at(2026, 10, 1),
          date_to: at(2026, 11, 1),
          amount: 9999,
          discount_amount: 0,
          tax_amount: 825,
          is_taxed: true,
          entity_type: 'plan_item_price',
          entity_id: 'pro-monthly-USD',
        },
      ],
    };
    const { journals } = await scheduleOf('invoices', invoice);
    // AR (1200) debited by what the customer owes and paid: 108.00, not 108.24; the 0.24 to 7990.
    expect(netOn('1200', journals)).toBe(invoice.total);
    expect(netOn('7990', journals)).toBe(24);
  });

  it('credits accounts receivable for the credit note total, round-off included', async () => {
    const creditNote = {
      id: 'cn_ro',
      status: 'refunded',
      date: at(2026, 10, 15),
      currency_code: 'USD',
      price_type: 'tax_exclusive',
      sub_total: 9999,
      round_off_amount: -24,
      total: 10800,
      line_items: [
        {
          id: 'li_1',
          date_from: at(2026, 10, 15),
          date_to: at(2026, 11, 1),
          amount: 9999,
          discount_amount: 0,
          tax_amount: 825,
          is_taxed: true,
          entity_type: 'plan_item_price',
          entity_id: 'pro-monthly-USD',
        },
      ],
    };
    const { journals } = await scheduleOf('credit_notes', creditNote);
    expect(netOn('1200', journals)).toBe(-creditNote.total);
  });
});

describe('revrec: tax-inclusive line with a discount', () => {
  it('recognises gross revenue and the discount without tax (119.00 incl. 19% VAT, 10% coupon)', async () => {
    // 119.00 incl. VAT = 100.00 + 19.00; 10% coupon = 11.90 incl. VAT = 10.00 + 1.90; tax on 107.10 = 17.10.
    const invoice = {
      id: 'inv_ti',
      status: 'paid',
      date: at(2026, 10, 1),
      currency_code: 'EUR',
      price_type: 'tax_inclusive',
      sub_total: 11900,
      tax: 1710,
      total: 10710,
      line_items: [
        {
          id: 'li_1',
          date_from: at(2026, 10, 1),
          date_to: at(2026, 11, 1),
          unit_amount: 11900,
          quantity: 1,
          amount: 11900,
          discount_amount: 1190,
          item_level_discount_amount: 1190,
          tax_amount: 1710,
          tax_rate: 19,
          is_taxed: true,
          entity_type: 'plan_item_price',
          entity_id: 'pro-monthly-EUR',
        },
      ],
    };
    const { journals } = await scheduleOf('invoices', invoice);
    // AR and tax are right either way.
    expect(netOn('1200', journals)).toBe(10710);
    expect(netOn('2100', journals)).toBe(-1710);
    // Revenue (4000) 100.00 Cr and contra-revenue (4900) 10.00 Dr: net 90.00 ex VAT.
    expect({ revenue: -netOn('4000', journals), contra: netOn('4900', journals) }).toEqual({ revenue: 10000, contra: 1000 });
  });
});

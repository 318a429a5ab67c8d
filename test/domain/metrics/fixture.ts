/**
 * The hand-computed fixture of issue 15 part 5, in the shape the metrics tables are read into.
 * Reporting currency USD, timezone America/New_York (EST = UTC−5 until 2026-03-08, EDT = UTC−4 after),
 * so a month ends at its last second in New York: 2026-01-31 23:59:59 EST = 2026-02-01 04:59:59 UTC.
 *
 * Customers (MRR in USD at each month end, Dec 2025 … Jun 2026):
 * - A: basic 100/month + 3 seats × 10/month, FOREVER10 (−10 % permanent) = 130 × 0.9 = 117 from Jan 10;
 *      5 seats from Apr 15 (event snapshot): 150 × 0.9 = 135.
 * - B: pro 1000.00/year × 2, trial Jan 5 → Feb 5: 0 in Jan, then 2000 / 12 = 166.666… (never rounded alone).
 * - C: basic 100 since Dec 1 2025; cancellation scheduled Feb 20 for Mar 15, effective Mar 15;
 *      reactivated May 3 (events carry the gap the record has forgotten).
 * - D: EUR basic 50.00 × 2 = 100 EUR from Feb 1; EUR → USD 1.0825, in 2026-03 1.2 (the month key wins).
 * - E: basic 100 + support 5.00/week (5 × 52 / 12 = 21.666…) = 121.666… from Jan 20, a one-off setup
 *      charge (never MRR) and LAUNCH50 (50 USD off each invoice, limited period till Apr 10: temporary).
 * - F: basic 100 from Jan 2, deleted in Chargebee: in no month.
 * - G: no record, no event: two invoices' lines, Apr 1 → May 1 and May 1 → Jun 1 (10:00 UTC), 100 less
 *      a 10.00 FOREVER10 line discount = 90 while a line covers the month end.
 * - H: basic 100 from 2026-02-01 04:30 UTC, which is Jan 31 23:30 in New York: counted in January.
 * - I: basic 100 from Jan 15, paused Mar 10, resuming May 20.
 */
import type { MetricsSettings, MetricsSource, SubscriptionState } from '../../../domain/metrics/model.js';

/** Unix seconds of a UTC wall time. */
export const utc = (y: number, m: number, d: number, h = 12, min = 0): number => Date.UTC(y, m - 1, d, h, min) / 1000;

const basic = { itemPriceId: 'basic-USD-monthly', itemType: 'plan', quantity: '1', unitPrice: '100.00' };

function state(partial: Partial<SubscriptionState>): SubscriptionState {
  return { status: 'active', currency: 'USD', items: [basic], coupons: [], ...partial };
}

export const settings: MetricsSettings = {
  reportingCurrency: 'USD',
  timezone: 'America/New_York',
  exchangeRates: { EUR: '1.0825', 'EUR:2026-03': 1.2, GBP: '1.27' },
};

const aItems = (seats: string) => [basic, { itemPriceId: 'seat-USD-monthly', itemType: 'addon', quantity: seats, unitPrice: '10.00' }];
const forever10 = [{ couponId: 'FOREVER10' }];

export const source: MetricsSource = {
  itemPrices: [
    { id: 'basic-USD-monthly', itemType: 'plan', period: 1, periodUnit: 'month', price: '100.00', currency: 'USD' },
    { id: 'seat-USD-monthly', itemType: 'addon', period: 1, periodUnit: 'month', price: '10.00', currency: 'USD' },
    { id: 'pro-USD-yearly', itemType: 'plan', period: 1, periodUnit: 'year', price: '1000.00', currency: 'USD' },
    { id: 'basic-EUR-monthly', itemType: 'plan', period: 1, periodUnit: 'month', price: '50.00', currency: 'EUR' },
    { id: 'support-USD-weekly', itemType: 'addon', period: 1, periodUnit: 'week', price: '5.00', currency: 'USD' },
    { id: 'setup-USD', itemType: 'charge', currency: 'USD', price: '200.00' },
  ],
  coupons: [
    { id: 'FOREVER10', durationType: 'forever', discountType: 'percentage', discountPercentage: '10', applyOn: 'invoice_amount' },
    { id: 'LAUNCH50', durationType: 'limited_period', discountType: 'fixed_amount', discountAmount: '50.00', currency: 'USD', applyOn: 'invoice_amount' },
  ],
  subscriptions: [
    { id: 'sub_a', customerId: 'cus_a', updatedAt: utc(2026, 4, 15), state: state({ startedAt: utc(2026, 1, 10), items: aItems('5'), coupons: forever10 }) },
    {
      id: 'sub_b',
      customerId: 'cus_b',
      updatedAt: utc(2026, 2, 5),
      state: state({
        startedAt: utc(2026, 1, 5),
        trialStart: utc(2026, 1, 5),
        trialEnd: utc(2026, 2, 5),
        items: [{ itemPriceId: 'pro-USD-yearly', itemType: 'plan', quantity: '2', unitPrice: '1000.00' }],
      }),
    },
    // The record after the reactivation: active, no cancelled_at; only the events remember March and April.
    { id: 'sub_c', customerId: 'cus_c', updatedAt: utc(2026, 5, 3), state: state({ startedAt: utc(2025, 12, 1), activatedAt: utc(2026, 5, 3) }) },
    {
      id: 'sub_d',
      customerId: 'cus_d',
      updatedAt: utc(2026, 2, 1, 15),
      state: state({
        currency: 'EUR',
        startedAt: utc(2026, 2, 1, 15),
        items: [{ itemPriceId: 'basic-EUR-monthly', itemType: 'plan', quantity: '2', unitPrice: '50.00' }],
      }),
    },
    {
      id: 'sub_e',
      customerId: 'cus_e',
      updatedAt: utc(2026, 1, 20),
      state: state({
        startedAt: utc(2026, 1, 20),
        items: [
          basic,
          // No unit price on the item: the item price's list price × quantity.
          { itemPriceId: 'support-USD-weekly', itemType: 'addon', quantity: '1' },
          { itemPriceId: 'setup-USD', itemType: 'charge', quantity: '1', unitPrice: '200.00' },
        ],
        coupons: [{ couponId: 'LAUNCH50', applyTill: utc(2026, 4, 10), appliedCount: 1 }],
      }),
    },
    { id: 'sub_f', customerId: 'cus_f', updatedAt: utc(2026, 2, 1), deletedAt: utc(2026, 2, 1), state: state({ startedAt: utc(2026, 1, 2) }) },
    { id: 'sub_h', customerId: 'cus_h', updatedAt: utc(2026, 2, 1, 4, 30), state: state({ startedAt: utc(2026, 2, 1, 4, 30) }) },
    {
      id: 'sub_i',
      customerId: 'cus_i',
      updatedAt: utc(2026, 3, 10),
      state: state({ status: 'paused', startedAt: utc(2026, 1, 15), pauseDate: utc(2026, 3, 10), resumeDate: utc(2026, 5, 20) }),
    },
  ],
  snapshots: [
    {
      eventId: 'ev_a1',
      subscriptionId: 'sub_a',
      customerId: 'cus_a',
      occurredAt: utc(2026, 1, 10),
      deleted: false,
      state: state({ startedAt: utc(2026, 1, 10), items: aItems('3'), coupons: forever10 }),
    },
    {
      eventId: 'ev_a2',
      subscriptionId: 'sub_a',
      customerId: 'cus_a',
      occurredAt: utc(2026, 4, 15),
      deleted: false,
      state: state({ startedAt: utc(2026, 1, 10), items: aItems('5'), coupons: forever10 }),
    },
    {
      eventId: 'ev_b1',
      subscriptionId: 'sub_b',
      customerId: 'cus_b',
      occurredAt: utc(2026, 1, 5),
      deleted: false,
      state: state({
        status: 'in_trial',
        startedAt: utc(2026, 1, 5),
        trialStart: utc(2026, 1, 5),
        trialEnd: utc(2026, 2, 5),
        items: [{ itemPriceId: 'pro-USD-yearly', itemType: 'plan', quantity: '2', unitPrice: '1000.00' }],
      }),
    },
    {
      eventId: 'ev_c1',
      subscriptionId: 'sub_c',
      customerId: 'cus_c',
      occurredAt: utc(2025, 12, 1),
      deleted: false,
      state: state({ startedAt: utc(2025, 12, 1) }),
    },
    {
      eventId: 'ev_c2',
      subscriptionId: 'sub_c',
      customerId: 'cus_c',
      occurredAt: utc(2026, 2, 20),
      deleted: false,
      state: state({ status: 'non_renewing', startedAt: utc(2025, 12, 1), cancelledAt: utc(2026, 3, 15) }),
    },
    {
      eventId: 'ev_c3',
      subscriptionId: 'sub_c',
      customerId: 'cus_c',
      occurredAt: utc(2026, 3, 15),
      deleted: false,
      state: state({ status: 'cancelled', startedAt: utc(2025, 12, 1), cancelledAt: utc(2026, 3, 15) }),
    },
    {
      eventId: 'ev_c4',
      subscriptionId: 'sub_c',
      customerId: 'cus_c',
      occurredAt: utc(2026, 5, 3),
      deleted: false,
      state: state({ startedAt: utc(2025, 12, 1), activatedAt: utc(2026, 5, 3) }),
    },
    {
      eventId: 'ev_i1',
      subscriptionId: 'sub_i',
      customerId: 'cus_i',
      occurredAt: utc(2026, 1, 15),
      deleted: false,
      state: state({ startedAt: utc(2026, 1, 15) }),
    },
  ],
  invoiceLines: [
    ...[
      ['inv_g1', utc(2026, 4, 1, 10), utc(2026, 5, 1, 10)],
      ['inv_g2', utc(2026, 5, 1, 10), utc(2026, 6, 1, 10)],
    ].map(([invoiceId, from, to]) => ({
      id: `li_${invoiceId}`,
      invoiceId: invoiceId as string,
      invoiceDate: from as number,
      subscriptionId: 'sub_g',
      customerId: 'cus_g',
      itemPriceId: 'basic-USD-monthly',
      entityType: 'plan_item_price',
      quantity: '1',
      unitAmount: '100.00',
      amount: '100.00',
      discounts: [{ discountType: 'item_level_coupon', couponId: 'FOREVER10', amount: '10.00' }],
      dateFrom: from as number,
      dateTo: to as number,
      currency: 'USD',
    })),
    // F's invoice: F has a record (deleted), so its lines are never read.
    {
      id: 'li_f1',
      invoiceId: 'inv_f1',
      invoiceDate: utc(2026, 1, 2),
      subscriptionId: 'sub_f',
      customerId: 'cus_f',
      itemPriceId: 'basic-USD-monthly',
      entityType: 'plan_item_price',
      quantity: '1',
      unitAmount: '100.00',
      amount: '100.00',
      discounts: [],
      dateFrom: utc(2026, 1, 2),
      dateTo: utc(2026, 2, 2),
      currency: 'USD',
    },
  ],
};

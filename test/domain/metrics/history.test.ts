/** Which source wins: deletion, then the latest observation (record at updated_at, event snapshots), then invoice lines. */
import { describe, expect, it } from 'vitest';
import type { BilledLine, MetricsSource, SubscriptionState } from '../../../domain/metrics/model.js';
import { computeReports } from '../../../domain/metrics/report.js';

const utc = (y: number, m: number, d: number, h = 12) => Date.UTC(y, m - 1, d, h) / 1000;
const settings = { reportingCurrency: 'USD', timezone: 'UTC', exchangeRates: {} };
const range = { from: '2026-01', to: '2026-04', now: 0 };

const seats = (quantity: string, extra: Partial<SubscriptionState> = {}): SubscriptionState => ({
  status: 'active',
  currency: 'USD',
  startedAt: utc(2026, 1, 5),
  items: [{ itemPriceId: 'seat', itemType: 'plan', quantity, unitPrice: '10.00' }],
  coupons: [],
  ...extra,
});

function book(partial: Partial<MetricsSource>): MetricsSource {
  return {
    itemPrices: [{ id: 'seat', itemType: 'plan', period: 1, periodUnit: 'month' }],
    coupons: [],
    subscriptions: [],
    snapshots: [],
    invoiceLines: [],
    ...partial,
  };
}

/** MRR per month as "month:amount-in-cents". */
function mrr(source: MetricsSource): string[] {
  return computeReports(source, settings, range).mrr.months.map((m) => `${m.month}:${m.mrr}`);
}

const snapshot = (eventId: string, at: number, state: SubscriptionState, extra: { resourceVersion?: number; deleted?: boolean; customerId?: string } = {}) => ({
  eventId,
  subscriptionId: 'sub',
  customerId: extra.customerId ?? 'cus',
  occurredAt: at,
  deleted: extra.deleted ?? false,
  ...(extra.resourceVersion !== undefined ? { resourceVersion: extra.resourceVersion } : {}),
  state,
});

describe('source precedence', () => {
  it('a record read before a later event loses to that event from then on', () => {
    const source = book({
      subscriptions: [{ id: 'sub', customerId: 'cus', updatedAt: utc(2026, 1, 5), state: seats('1') }],
      snapshots: [snapshot('ev_1', utc(2026, 3, 1), seats('3'))],
    });
    expect(mrr(source)).toEqual(['2026-01:1000', '2026-02:1000', '2026-03:3000', '2026-04:3000']);
  });

  it('the record wins a tie with a snapshot; snapshots of the same second go by resource_version', () => {
    const tie = book({
      subscriptions: [{ id: 'sub', customerId: 'cus', updatedAt: utc(2026, 2, 1), state: seats('2') }],
      snapshots: [snapshot('ev_1', utc(2026, 2, 1), seats('5'))],
    });
    expect(mrr(tie).at(-1)).toBe('2026-04:2000');
    const sameSecond = book({
      snapshots: [snapshot('ev_b', utc(2026, 2, 1), seats('4'), { resourceVersion: 2 }), snapshot('ev_a', utc(2026, 2, 1), seats('7'), { resourceVersion: 1 })],
    });
    expect(mrr(sameSecond).at(-1)).toBe('2026-04:4000');
  });

  it('before the first observation its dates are read backwards; a record with no date at all still counts', () => {
    const backwards = book({
      subscriptions: [{ id: 'sub', customerId: 'cus', updatedAt: utc(2026, 3, 20), state: seats('1', { startedAt: utc(2026, 2, 10) }) }],
    });
    expect(mrr(backwards)).toEqual(['2026-01:0', '2026-02:1000', '2026-03:1000', '2026-04:1000']);
    const undated = book({
      subscriptions: [{ id: 'sub', customerId: 'cus', state: { status: 'active', currency: 'USD', items: seats('1').items, coupons: [] } }],
    });
    expect(mrr(undated)).toEqual(['2026-01:1000', '2026-02:1000', '2026-03:1000', '2026-04:1000']);
  });

  it('a subscription deleted by an event counts nowhere, even in months before the deletion', () => {
    const source = book({
      subscriptions: [{ id: 'sub', customerId: 'cus', updatedAt: utc(2026, 1, 5), state: seats('1') }],
      snapshots: [snapshot('ev_del', utc(2026, 3, 1), seats('1'), { deleted: true })],
    });
    expect(mrr(source)).toEqual(['2026-01:0', '2026-02:0', '2026-03:0', '2026-04:0']);
  });

  it('a subscription moved to another customer moves its MRR: churn for one, new for the other', () => {
    const source = book({
      snapshots: [snapshot('ev_1', utc(2026, 1, 5), seats('1')), snapshot('ev_2', utc(2026, 3, 10), seats('1'), { customerId: 'cus_other' })],
    });
    const march = computeReports(source, settings, range).mrr.months[2];
    expect(march?.movements).toMatchObject({ new: 1000n, churn: -1000n });
    expect(march?.mrr).toBe(1000n);
  });
});

describe('invoice lines, only where neither a record nor a snapshot exists', () => {
  const line = (id: string, invoiceDate: number, from: number, to: number, extra: Partial<BilledLine> = {}): BilledLine => ({
    id,
    invoiceId: `inv_${id}`,
    invoiceDate,
    subscriptionId: 'sub',
    customerId: 'cus',
    itemPriceId: 'seat',
    entityType: 'plan_item_price',
    quantity: '2',
    unitAmount: '10.00',
    amount: '20.00',
    discounts: [],
    dateFrom: from,
    dateTo: to,
    currency: 'USD',
    ...extra,
  });

  it('counts over the service period; where lines overlap, the latest invoice wins per item price', () => {
    const source = book({
      invoiceLines: [
        line('a', utc(2026, 1, 1), utc(2026, 1, 1), utc(2026, 4, 1)),
        // A mid-term upgrade invoiced later for the rest of the term: 5 seats.
        line('b', utc(2026, 2, 15), utc(2026, 2, 15), utc(2026, 4, 1), { quantity: '5', amount: '25.00' }),
        // One-off charges and lines without a service period never count.
        line('c', utc(2026, 1, 1), utc(2026, 1, 1), utc(2026, 1, 1)),
        line('d', utc(2026, 1, 1), utc(2026, 1, 1), utc(2026, 4, 1), { entityType: 'charge_item_price', itemPriceId: 'setup' }),
      ],
    });
    expect(mrr(source)).toEqual(['2026-01:2000', '2026-02:5000', '2026-03:5000', '2026-04:0']);
  });

  it("a plan change mid-period: the new plan's line replaces the old plan's, which still covers the month end", () => {
    const source = book({
      itemPrices: [
        { id: 'basic', itemType: 'plan', period: 1, periodUnit: 'month' },
        { id: 'pro', itemType: 'plan', period: 1, periodUnit: 'month' },
        { id: 'extra', itemType: 'addon', period: 1, periodUnit: 'month' },
      ],
      invoiceLines: [
        line('a', utc(2026, 4, 1), utc(2026, 4, 1), utc(2026, 5, 1), { itemPriceId: 'basic', quantity: '1', unitAmount: '100.00', amount: '100.00' }),
        line('x', utc(2026, 4, 1), utc(2026, 4, 1), utc(2026, 5, 1), {
          itemPriceId: 'extra',
          entityType: 'addon_item_price',
          quantity: '1',
          unitAmount: '10.00',
          amount: '10.00',
        }),
        // The upgrade, invoiced on the 15th for the rest of April (the old line's credit is a credit note, not read here).
        line('b', utc(2026, 4, 15), utc(2026, 4, 15), utc(2026, 5, 1), { itemPriceId: 'pro', quantity: '1', unitAmount: '200.00', amount: '100.00' }),
      ],
    });
    // April's end: pro 200 and the addon 10, not basic 100 as well.
    expect(mrr(source).find((m) => m.startsWith('2026-04'))).toBe('2026-04:21000');
  });

  it('lines of deleted invoices and of subscriptions with a record are left out', () => {
    const deletedInvoice = book({ invoiceLines: [line('a', utc(2026, 1, 1), utc(2026, 1, 1), utc(2026, 5, 1), { deletedAt: utc(2026, 1, 2) })] });
    expect(mrr(deletedInvoice).every((m) => m.endsWith(':0'))).toBe(true);
    const withRecord = book({
      subscriptions: [{ id: 'sub', customerId: 'cus', updatedAt: utc(2026, 1, 5), state: seats('1', { status: 'cancelled', cancelledAt: utc(2026, 2, 10) }) }],
      invoiceLines: [line('a', utc(2026, 1, 1), utc(2026, 1, 1), utc(2026, 5, 1))],
    });
    expect(mrr(withRecord)).toEqual(['2026-01:1000', '2026-02:0', '2026-03:0', '2026-04:0']);
  });

  it('splits line discounts: forever coupons lower MRR, others are temporary', () => {
    const source = book({
      coupons: [
        { id: 'FOREVER', durationType: 'forever', discountType: 'percentage', discountPercentage: '10' },
        { id: 'INTRO', durationType: 'limited_period', discountType: 'percentage', discountPercentage: '50' },
      ],
      invoiceLines: [
        line('a', utc(2026, 1, 1), utc(2026, 1, 1), utc(2026, 2, 1), {
          discounts: [
            { discountType: 'item_level_coupon', couponId: 'FOREVER', amount: '2.00' },
            { discountType: 'document_level_coupon', couponId: 'INTRO', amount: '9.00' },
          ],
        }),
      ],
    });
    const january = computeReports(source, settings, { ...range, to: '2026-01' }).mrr.months[0];
    expect([january?.mrr, january?.temporaryDiscounts]).toEqual([1800n, 900n]);
  });
});

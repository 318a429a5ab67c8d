/**
 * A deterministic synthetic SaaS book for the metrics reports: `subscriptions` subscriptions starting
 * over `months` months (a fifth already running before), USD / EUR / GBP, monthly and yearly plans
 * with seats, trials, permanent and temporary coupons, seat changes and cancellations as event
 * snapshots, some reactivations, a few deleted subscriptions, and EUR rates that change every month.
 */
import type { MetricsSettings, MetricsSource, SubscriptionRecord, SubscriptionSnapshot, SubscriptionState } from '../../domain/metrics/model.js';

const DAY = 86_400;

function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticBook {
  source: MetricsSource;
  settings: MetricsSettings;
  from: string;
  to: string;
}

const monthKey = (index: number) => `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, '0')}`;

export function syntheticBook(subscriptions: number, months: number, firstYear = 2024, seed = 7): SyntheticBook {
  const random = prng(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const firstMonth = firstYear * 12;
  const start = Date.UTC(firstYear, 0, 1) / 1000;
  const end = Date.UTC(firstYear, months, 1) / 1000;
  const span = end - start;
  const currencies = ['USD', 'USD', 'USD', 'USD', 'USD', 'USD', 'USD', 'EUR', 'EUR', 'GBP'] as const;
  const plans = [29, 49, 99, 199, 499];

  const itemPrices: MetricsSource['itemPrices'][number][] = [];
  for (const currency of ['USD', 'EUR', 'GBP']) {
    itemPrices.push({ id: `plan-${currency}-monthly`, itemType: 'plan', period: 1, periodUnit: 'month', currency });
    itemPrices.push({ id: `plan-${currency}-yearly`, itemType: 'plan', period: 1, periodUnit: 'year', currency });
    itemPrices.push({ id: `seat-${currency}-monthly`, itemType: 'addon', period: 1, periodUnit: 'month', price: '10.00', currency });
    itemPrices.push({ id: `seat-${currency}-yearly`, itemType: 'addon', period: 1, periodUnit: 'year', price: '100.00', currency });
  }
  const coupons = [
    { id: 'FOREVER10', durationType: 'forever', discountType: 'percentage', discountPercentage: '10', applyOn: 'invoice_amount' },
    { id: 'LAUNCH25', durationType: 'limited_period', discountType: 'percentage', discountPercentage: '25', applyOn: 'invoice_amount' },
  ];

  const records: SubscriptionRecord[] = [];
  const snapshots: SubscriptionSnapshot[] = [];
  for (let i = 0; i < subscriptions; i++) {
    const currency = pick(currencies);
    const yearly = random() < 0.25;
    const planPrice = pick(plans) * (yearly ? 10 : 1);
    const period = yearly ? 'yearly' : 'monthly';
    const items = (seats: number): SubscriptionState['items'] => [
      { itemPriceId: `plan-${currency}-${period}`, itemType: 'plan', quantity: '1', unitPrice: `${planPrice}.00` },
      { itemPriceId: `seat-${currency}-${period}`, itemType: 'addon', quantity: String(seats) },
    ];
    // A fifth were already running when the book starts; the rest start evenly, a little faster later.
    const startedAt = random() < 0.2 ? start - Math.floor(random() * 365 * DAY) : start + Math.floor(Math.sqrt(random()) * span);
    const trial = random() < 0.3;
    const trialEnd = startedAt + 14 * DAY;
    const couponRoll = random();
    const couponList: SubscriptionState['coupons'] =
      couponRoll < 0.15 ? [{ couponId: 'FOREVER10' }] : couponRoll < 0.25 ? [{ couponId: 'LAUNCH25', applyTill: startedAt + 90 * DAY, appliedCount: 1 }] : [];
    const base = (seats: number, extra: Partial<SubscriptionState>): SubscriptionState => ({
      status: 'active',
      currency,
      startedAt,
      ...(trial ? { trialStart: startedAt, trialEnd } : {}),
      items: items(seats),
      coupons: couponList,
      ...extra,
    });
    const id = `sub_${i}`;
    const customerId = `cus_${i % 10 === 9 ? i - 1 : i}`;
    let seats = 1 + Math.floor(random() * 20);
    snapshots.push({
      eventId: `ev_${i}_0`,
      subscriptionId: id,
      customerId,
      occurredAt: startedAt,
      deleted: false,
      state: base(seats, trial ? { status: 'in_trial' } : {}),
    });
    let last = startedAt;
    let state = base(seats, {});
    if (random() < 0.35) {
      last = startedAt + Math.floor(random() * Math.max(DAY, end - startedAt));
      seats = Math.max(1, seats + pick([-3, -1, 2, 5, 10]));
      state = base(seats, {});
      snapshots.push({ eventId: `ev_${i}_1`, subscriptionId: id, customerId, occurredAt: last, deleted: false, state });
    }
    if (random() < 0.25) {
      const cancelledAt = last + Math.floor(random() * Math.max(DAY, end - last));
      state = base(seats, { status: 'cancelled', cancelledAt });
      snapshots.push({ eventId: `ev_${i}_2`, subscriptionId: id, customerId, occurredAt: cancelledAt, deleted: false, state });
      last = cancelledAt;
      if (random() < 0.2) {
        const activatedAt = cancelledAt + 30 * DAY + Math.floor(random() * 120 * DAY);
        state = base(seats, { activatedAt });
        snapshots.push({ eventId: `ev_${i}_3`, subscriptionId: id, customerId, occurredAt: activatedAt, deleted: false, state });
        last = activatedAt;
      }
    }
    records.push({ id, customerId, updatedAt: last, ...(random() < 0.01 ? { deletedAt: last } : {}), state });
  }

  const exchangeRates: Record<string, unknown> = { EUR: '1.08', GBP: '1.27' };
  for (let m = firstMonth - 1; m < firstMonth + months; m++) exchangeRates[`EUR:${monthKey(m)}`] = (1.04 + random() * 0.08).toFixed(4);

  return {
    source: { subscriptions: records, snapshots, itemPrices, coupons, invoiceLines: [] },
    settings: { reportingCurrency: 'USD', timezone: 'America/New_York', exchangeRates },
    from: monthKey(firstMonth),
    to: monthKey(firstMonth + months - 1),
  };
}

/**
 * The fake site's coupons: the ones its invoices carry (item-level SEATS5OFF, document-level
 * WELCOME10 / ANNUAL15 / PARTNER20) and the ones its subscriptions carry, with the durations that
 * decide whether a discount is permanent (forever) or temporary (limited_period, one_time).
 * Amounts are integers in the coupon currency's minor unit, as Chargebee sends them.
 */
import type { Coupon } from 'chargebee';
import type { PricePoint } from './catalog.js';

interface CouponSeed {
  id: string;
  name: string;
  duration: Coupon['duration_type'];
  durationMonths?: number;
  percent?: number;
  /** USD cents, per billing period of what it discounts. */
  usdCents?: number;
  /** Item ids the coupon is limited to (each_specified_item); otherwise the whole invoice. */
  items?: readonly string[];
}

export const COUPON_SEEDS: readonly CouponSeed[] = [
  { id: 'FOREVER10', name: 'Loyalty 10% forever', duration: 'forever', percent: 10 },
  { id: 'LAUNCH3M', name: 'Launch 25% for 3 months', duration: 'limited_period', durationMonths: 3, percent: 25 },
  { id: 'ONBOARD50', name: '50 USD off the first invoice', duration: 'one_time', usdCents: 5000 },
  { id: 'SEATS5OFF', name: 'Seats 5% off', duration: 'forever', percent: 5, items: ['extra-seats'] },
  { id: 'WELCOME10', name: 'Welcome 10%', duration: 'one_time', percent: 10 },
  { id: 'ANNUAL15', name: 'Annual plan 15%', duration: 'forever', percent: 15 },
  { id: 'PARTNER20', name: 'Partner 20%', duration: 'forever', percent: 20 },
];

const COUPONS_CREATED_AT = 1_641_081_600; // 2022-01-02

export function couponRecords(points: readonly PricePoint[]): Coupon[] {
  return COUPON_SEEDS.map((seed, i) => {
    const updatedAt = COUPONS_CREATED_AT + i;
    const specific = seed.items ? points.filter((p) => seed.items?.includes(p.item.id) && p.period !== 'once').map((p) => p.itemPriceId) : undefined;
    return {
      id: seed.id,
      object: 'coupon',
      name: seed.name,
      invoice_name: seed.name,
      ...(seed.percent !== undefined
        ? { discount_type: 'percentage' as const, discount_percentage: seed.percent }
        : { discount_type: 'fixed_amount' as const, discount_amount: seed.usdCents ?? 0, currency_code: 'USD' }),
      duration_type: seed.duration,
      ...(seed.durationMonths !== undefined ? { duration_month: seed.durationMonths } : {}),
      status: 'active',
      apply_discount_on: 'not_applicable',
      apply_on: specific ? 'each_specified_item' : 'invoice_amount',
      item_constraints: specific
        ? [
            { item_type: 'plan', constraint: 'none' },
            { item_type: 'addon', constraint: 'specific', item_price_ids: specific },
            { item_type: 'charge', constraint: 'none' },
          ]
        : [
            { item_type: 'plan', constraint: 'all' },
            { item_type: 'addon', constraint: 'all' },
            { item_type: 'charge', constraint: 'none' },
          ],
      created_at: COUPONS_CREATED_AT,
      updated_at: updatedAt,
      resource_version: updatedAt * 1000,
      redemptions: 0,
      deleted: false,
    } as Coupon;
  });
}

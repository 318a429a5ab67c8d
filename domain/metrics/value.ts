/**
 * The monthly value of one subscription state, in the subscription's currency, exactly:
 * each recurring item's price × quantity normalised to a month, less permanent discounts (coupons
 * whose `duration_type` is `forever`). Temporary discounts (limited period, one time) in force at an
 * instant are computed apart and never lower MRR.
 *
 * Coupons apply in the order the subscription lists them, permanent ones first, each on what the
 * earlier ones left of the items it applies to; no item goes below zero.
 */
import { LedgersyncError } from '../../engine/errors.js';
import type { Coupon, ItemPrice, SubscriptionItemState, SubscriptionState } from './model.js';
import { monthlyFactor } from './normalise.js';
import { add, compare, min, multiply, ONE, requireRatio, sign, subtract, sum, ZERO, type Ratio } from './ratio.js';

export interface Catalog {
  itemPrices: ReadonlyMap<string, ItemPrice>;
  coupons: ReadonlyMap<string, Coupon>;
}

interface PricedItem {
  itemPriceId: string;
  itemType: string;
  quantity: Ratio;
  /** Months per billing period of this item (the factor that makes a period's price monthly). */
  factor: Ratio;
  /** Monthly value before any discount. */
  gross: Ratio;
}

export interface StateValue {
  /** Monthly value after permanent discounts. */
  mrr: Ratio;
  /** Monthly temporary discounts in force at `t` (zero when there are none). */
  temporaryDiscountAt(t: number): Ratio;
  /** False when there is no temporary coupon: the value is the same at every instant. */
  variesWithTime: boolean;
}

function priceItem(item: SubscriptionItemState, subscriptionId: string, catalog: Catalog): PricedItem | undefined {
  if (item.itemType === 'charge') return undefined;
  const price = catalog.itemPrices.get(item.itemPriceId);
  const details = { subscription_id: subscriptionId, item_price_id: item.itemPriceId };
  const unit = item.billingPeriodUnit ?? price?.periodUnit;
  const period = item.billingPeriodUnit !== undefined ? item.billingPeriod : price?.period;
  if (unit === undefined) {
    throw new LedgersyncError(
      'unknown_item_price',
      'config',
      `subscription ${subscriptionId} has item price ${item.itemPriceId}, whose billing period is unknown`,
      {
        fix: 'sync item prices (GET /item_prices) into the item_prices table before running the report',
        details,
      },
    );
  }
  const factor = monthlyFactor(period, unit, { subject: `item price ${item.itemPriceId}`, details });
  const quantity = item.quantity === undefined ? ONE : requireRatio(item.quantity, 'quantity', details);
  let perPeriod: Ratio;
  if (item.unitPrice !== undefined) perPeriod = multiply(requireRatio(item.unitPrice, 'unit_price', details), quantity);
  else if (item.amount !== undefined) perPeriod = requireRatio(item.amount, 'amount', details);
  else if (price?.price !== undefined) perPeriod = multiply(requireRatio(price.price, 'price', details), quantity);
  else {
    throw new LedgersyncError('missing_price', 'record', `subscription ${subscriptionId} item ${item.itemPriceId} has no unit price, amount or list price`, {
      fix: 'map unit_price (or amount for tiered prices) into subscription_items',
      details,
    });
  }
  return { itemPriceId: item.itemPriceId, itemType: item.itemType, quantity, factor, gross: multiply(perPeriod, factor) };
}

function applies(coupon: Coupon, item: PricedItem): boolean {
  // Item constraints name the items a coupon applies to whether it is off each item or off the invoice amount.
  if (coupon.itemConstraints === undefined) return true;
  const constraint = coupon.itemConstraints.find((c) => c.itemType === item.itemType);
  if (!constraint) return false;
  if (constraint.constraint === 'all' || constraint.constraint === 'criteria') return true;
  if (constraint.constraint === 'specific') return constraint.itemPriceIds?.includes(item.itemPriceId) ?? false;
  return false;
}

/** Discount of one coupon on each item, given what is left of each; returns the amounts taken. */
function couponDiscounts(coupon: Coupon, items: readonly PricedItem[], left: readonly Ratio[], currency: string, subscriptionId: string): Ratio[] {
  const details = { subscription_id: subscriptionId, coupon_id: coupon.id };
  const eligible = items.map((item) => applies(coupon, item));
  switch (coupon.discountType) {
    case 'percentage': {
      const share = multiply(requireRatio(coupon.discountPercentage, 'discount_percentage', details), { n: 1n, d: 100n });
      return left.map((rest, i) => (eligible[i] ? min(rest, multiply(rest, share)) : ZERO));
    }
    case 'fixed_amount': {
      if (coupon.currency !== undefined && coupon.currency.toUpperCase() !== currency.toUpperCase()) {
        throw new LedgersyncError(
          'coupon_currency_mismatch',
          'record',
          `coupon ${coupon.id} is in ${coupon.currency} but subscription ${subscriptionId} is in ${currency}`,
          {
            fix: 'a fixed-amount coupon can only discount a subscription in its own currency: check the coupon in Chargebee',
            details,
          },
        );
      }
      const amount = requireRatio(coupon.discountAmount, 'discount_amount', details);
      if (coupon.applyOn === 'each_specified_item') {
        return left.map((rest, i) => (eligible[i] ? min(rest, multiply(amount, (items[i] as PricedItem).factor)) : ZERO));
      }
      // Off each invoice: monthly by the subscription's billing period (its first plan's, else first item's).
      const billing = items.find((item) => item.itemType === 'plan') ?? items[0];
      let remaining = billing ? multiply(amount, billing.factor) : ZERO;
      return left.map((rest, i) => {
        if (!eligible[i] || sign(remaining) <= 0) return ZERO;
        const take = min(rest, remaining);
        remaining = subtract(remaining, take);
        return take;
      });
    }
    case 'offer_quantity': {
      const free = requireRatio(coupon.discountQuantity, 'discount_quantity', details);
      return left.map((rest, i) => {
        const item = items[i] as PricedItem;
        if (!eligible[i] || sign(item.quantity) <= 0) return ZERO;
        const units = compare(free, item.quantity) < 0 ? free : item.quantity;
        return min(rest, multiply(item.gross, multiply(units, { n: item.quantity.d, d: item.quantity.n })));
      });
    }
    default:
      throw new LedgersyncError('unknown_discount_type', 'record', `coupon ${coupon.id} has discount type ${JSON.stringify(coupon.discountType)}`, {
        fix: 'expected percentage, fixed_amount or offer_quantity',
        details,
      });
  }
}

function resolveCoupon(couponId: string, subscriptionId: string, catalog: Catalog): Coupon {
  const coupon = catalog.coupons.get(couponId);
  if (!coupon) {
    throw new LedgersyncError('unknown_coupon', 'config', `subscription ${subscriptionId} carries coupon ${couponId}, which is not in the coupons table`, {
      fix: 'sync coupons (GET /coupons) into the coupons table: a subscription names only coupon_id, and whether it is permanent is on the coupon',
      details: { subscription_id: subscriptionId, coupon_id: couponId },
    });
  }
  return coupon;
}

/** A temporary coupon is in force at t until its apply_till (limited period) or until applied once (one time). */
function inForce(applied: { applyTill?: number; appliedCount?: number }, coupon: Coupon, t: number): boolean {
  if (applied.applyTill !== undefined && applied.applyTill <= t) return false;
  if (coupon.durationType === 'one_time') return (applied.appliedCount ?? 0) === 0;
  return true;
}

export function stateValue(state: SubscriptionState, subscriptionId: string, catalog: Catalog): StateValue {
  const items = state.items.flatMap((item) => priceItem(item, subscriptionId, catalog) ?? []);
  let left = items.map((item) => item.gross);
  const temporary: { coupon: Coupon; applied: (typeof state.coupons)[number] }[] = [];
  for (const applied of state.coupons) {
    const coupon = resolveCoupon(applied.couponId, subscriptionId, catalog);
    if (coupon.durationType !== 'forever') {
      temporary.push({ coupon, applied });
      continue;
    }
    const taken = couponDiscounts(coupon, items, left, state.currency, subscriptionId);
    left = left.map((rest, i) => subtract(rest, taken[i] as Ratio));
  }
  const mrr = sum(left);
  const afterPermanent = left;
  const temporaryDiscountAt = (t: number): Ratio => {
    let rest = afterPermanent;
    let total = ZERO;
    for (const { coupon, applied } of temporary) {
      if (!inForce(applied, coupon, t)) continue;
      const taken = couponDiscounts(coupon, items, rest, state.currency, subscriptionId);
      rest = rest.map((value, i) => subtract(value, taken[i] as Ratio));
      total = add(total, sum(taken));
    }
    return total;
  };
  return { mrr, temporaryDiscountAt: temporary.length === 0 ? () => ZERO : temporaryDiscountAt, variesWithTime: temporary.length > 0 };
}

/** Items' monthly values for the `subscription_items.monthly_amount` column: exact, before discounts. */
export function itemMonthlyValue(item: SubscriptionItemState, subscriptionId: string, catalog: Catalog): Ratio {
  return priceItem(item, subscriptionId, catalog)?.gross ?? ZERO;
}

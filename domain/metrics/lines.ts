/**
 * The monthly value of a recurring invoice line, for subscriptions known only from their invoices:
 * unit amount × quantity normalised by the item price's period, less the line's permanent discounts
 * in proportion; its temporary discounts likewise, apart. Counted from `date_from` to `date_to`.
 */
import type { BilledLine, Coupon, LineDiscount } from './model.js';
import { monthlyFactor } from './normalise.js';
import { add, divide, min, multiply, requireRatio, sign, subtract, ZERO, type Ratio } from './ratio.js';
import type { Catalog } from './value.js';

export interface LineValue {
  line: BilledLine;
  from: number;
  to: number;
  /**
   * One line per key counts at an instant: `plan` for a plan line (a subscription has one plan, so an
   * upgrade's line replaces the old plan's, whose line still covers the rest of the period), else the
   * item price (or the line id for a line without one).
   */
  itemKey: string;
  mrr: Ratio;
  temporaryDiscount: Ratio;
}

const RECURRING_ENTITIES = new Set(['plan_item_price', 'addon_item_price', 'plan', 'addon']);
const PLAN_ENTITIES = new Set(['plan_item_price', 'plan']);

function isPlan(line: BilledLine, price: { itemType?: string } | undefined): boolean {
  return line.entityType !== undefined ? PLAN_ENTITIES.has(line.entityType) : price?.itemType === 'plan';
}

/**
 * Splits a line's discounts: coupons whose `duration_type` is `forever` are permanent; every other
 * discount (limited-period and one-time coupons, manual discounts, credits) is temporary.
 */
export function splitLineDiscounts(discounts: readonly LineDiscount[], coupons: ReadonlyMap<string, Coupon>): { permanent: Ratio; temporary: Ratio } {
  let permanent = ZERO;
  let temporary = ZERO;
  for (const discount of discounts) {
    const amount = requireRatio(discount.amount, 'line discount amount', { coupon_id: discount.couponId });
    const coupon = discount.couponId !== undefined ? coupons.get(discount.couponId) : undefined;
    if (coupon?.durationType === 'forever') permanent = add(permanent, amount);
    else temporary = add(temporary, amount);
  }
  return { permanent, temporary };
}

export function lineValue(line: BilledLine, catalog: Catalog): LineValue | undefined {
  if (line.dateFrom === undefined || line.dateTo === undefined || line.dateTo <= line.dateFrom) return undefined;
  const price = line.itemPriceId !== undefined ? catalog.itemPrices.get(line.itemPriceId) : undefined;
  const recurring = line.entityType !== undefined ? RECURRING_ENTITIES.has(line.entityType) : price?.itemType === 'plan' || price?.itemType === 'addon';
  if (!recurring || !price?.periodUnit) return undefined;
  const details = { invoice_id: line.invoiceId, line_id: line.id, item_price_id: line.itemPriceId };
  const factor = monthlyFactor(price.period, price.periodUnit, { subject: `item price ${price.id}`, details });
  const amount = requireRatio(line.amount, 'amount', details);
  const full =
    line.unitAmount !== undefined
      ? multiply(requireRatio(line.unitAmount, 'unit_amount', details), requireRatio(line.quantity ?? '1', 'quantity', details))
      : amount;
  const split = splitLineDiscounts(line.discounts, catalog.coupons);
  const permanent = line.permanentDiscount !== undefined ? requireRatio(line.permanentDiscount, 'permanent_discount_amount', details) : split.permanent;
  const temporary = line.temporaryDiscount !== undefined ? requireRatio(line.temporaryDiscount, 'temporary_discount_amount', details) : split.temporary;
  // Discounts are on the (possibly prorated) line amount: carry them over as a share of it.
  const share = (discount: Ratio): Ratio => (sign(amount) > 0 ? min(full, multiply(full, divide(discount, amount))) : ZERO);
  const monthlyFull = multiply(full, factor);
  const permanentMonthly = multiply(share(permanent), factor);
  return {
    line,
    from: line.dateFrom,
    to: line.dateTo,
    itemKey: isPlan(line, price) ? 'plan' : (line.itemPriceId ?? `line:${line.id}`),
    mrr: subtract(monthlyFull, permanentMonthly),
    temporaryDiscount: min(subtract(monthlyFull, permanentMonthly), multiply(share(temporary), factor)),
  };
}

/**
 * Invoice and credit-note arithmetic for the seed, all in integer minor units. The invariants the
 * fake keeps are the ones an accounting sink relies on:
 *   line net = amount - discount_amount;  Σ discounts[].amount = Σ line discount_amount;
 *   tax_exclusive: total = sub_total - Σ discounts + tax + round_off_amount
 *   tax_inclusive: total = sub_total - Σ discounts + round_off_amount   (amounts include tax)
 *   total = amount_paid + amount_adjusted + credits_applied + write_off_amount + amount_due  (not voided)
 */
import type { CreditNote, Invoice } from 'chargebee';
import type { TaxRegion } from './people.js';

export type PriceType = 'tax_exclusive' | 'tax_inclusive';

export interface DraftLine {
  id: string;
  description: string;
  entityType: Invoice.LineItem['entity_type'];
  entityId?: string;
  pricingModel: NonNullable<Invoice.LineItem['pricing_model']>;
  unitAmount: number;
  quantity: number;
  dateFrom: number;
  dateTo: number;
  subscriptionId?: string;
  /** Item-level coupon on this line, percent. */
  itemCoupon?: { id: string; percent: number };
}

export interface DocumentCoupon {
  id: string;
  percent: number;
}

export interface PricedDocument {
  line_items: Invoice.LineItem[];
  line_item_discounts: Invoice.LineItemDiscount[];
  line_item_taxes: Invoice.LineItemTax[];
  discounts: Invoice.Discount[];
  taxes: Invoice.Tax[];
  sub_total: number;
  tax: number;
  discountTotal: number;
  round_off_amount: number;
  total: number;
}

/** Integer percentage of an integer amount, rounded half up. */
export function percentOf(amount: number, percent: number): number {
  return Math.floor((amount * percent + 50) / 100);
}

/** Tax on a net amount at `bps` basis points, rounded half up, in integers. */
function taxExclusive(net: number, bps: number): number {
  return Math.floor((net * bps + 5000) / 10000);
}

/** The tax part of a gross (tax-inclusive) amount, rounded half up, in integers. */
function taxInclusive(gross: number, bps: number): number {
  return Math.floor((gross * bps * 2 + (10000 + bps)) / ((10000 + bps) * 2));
}

export function priceDocument(options: {
  lines: readonly DraftLine[];
  customerId: string;
  priceType: PriceType;
  tax: TaxRegion;
  taxExempt: boolean;
  documentCoupon?: DocumentCoupon;
  /** Round the total to a whole currency unit of this many minor units (e.g. 100), booking the difference as round_off_amount. */
  roundOffUnit?: number;
}): PricedDocument {
  const { lines, priceType, tax } = options;
  const taxed = !options.taxExempt && tax.rateBps > 0;
  const lineItems: Invoice.LineItem[] = [];
  const lineDiscounts: Invoice.LineItemDiscount[] = [];
  const lineTaxes: Invoice.LineItemTax[] = [];
  let itemLevelTotal = 0;
  let documentLevelTotal = 0;
  const itemLevelDiscounts: Invoice.Discount[] = [];

  for (const line of lines) {
    const amount = line.unitAmount * line.quantity;
    const itemLevel = line.itemCoupon ? percentOf(amount, line.itemCoupon.percent) : 0;
    const documentShare = options.documentCoupon ? percentOf(amount - itemLevel, options.documentCoupon.percent) : 0;
    const discount = itemLevel + documentShare;
    const net = amount - discount;
    const taxAmount = taxed ? (priceType === 'tax_exclusive' ? taxExclusive(net, tax.rateBps) : taxInclusive(net, tax.rateBps)) : 0;

    if (line.itemCoupon && itemLevel > 0) {
      lineDiscounts.push({
        line_item_id: line.id,
        discount_type: 'item_level_coupon',
        coupon_id: line.itemCoupon.id,
        entity_id: line.itemCoupon.id,
        discount_amount: itemLevel,
      });
      itemLevelDiscounts.push({
        amount: itemLevel,
        description: line.itemCoupon.id,
        line_item_id: line.id,
        entity_type: 'item_level_coupon',
        discount_type: 'percentage',
        entity_id: line.itemCoupon.id,
      });
      itemLevelTotal += itemLevel;
    }
    if (options.documentCoupon && documentShare > 0) {
      lineDiscounts.push({
        line_item_id: line.id,
        discount_type: 'document_level_coupon',
        coupon_id: options.documentCoupon.id,
        entity_id: options.documentCoupon.id,
        discount_amount: documentShare,
      });
      documentLevelTotal += documentShare;
    }
    if (taxed) {
      lineTaxes.push({
        line_item_id: line.id,
        tax_name: tax.taxName,
        tax_rate: tax.rateBps / 100,
        date_from: line.dateFrom,
        date_to: line.dateTo,
        is_partial_tax_applied: false,
        is_non_compliance_tax: false,
        taxable_amount: priceType === 'tax_exclusive' ? net : net - taxAmount,
        tax_amount: taxAmount,
        tax_juris_type: tax.jurisType,
        tax_juris_name: tax.jurisName,
        tax_juris_code: tax.jurisCode,
      });
    }
    const item: Invoice.LineItem = {
      id: line.id,
      ...(line.subscriptionId ? { subscription_id: line.subscriptionId } : {}),
      date_from: line.dateFrom,
      date_to: line.dateTo,
      unit_amount: line.unitAmount,
      quantity: line.quantity,
      amount,
      pricing_model: line.pricingModel,
      is_taxed: taxed,
      tax_amount: taxAmount,
      ...(taxed ? { tax_rate: tax.rateBps / 100 } : {}),
      discount_amount: discount,
      item_level_discount_amount: itemLevel,
      description: line.description,
      entity_description: line.description,
      entity_type: line.entityType,
      ...(taxed ? {} : { tax_exempt_reason: options.taxExempt ? ('customer_exempt' as const) : ('region_non_taxable' as const) }),
      ...(line.entityId ? { entity_id: line.entityId } : {}),
      customer_id: options.customerId,
    };
    const withObject = { ...item, object: 'line_item' };
    lineItems.push(withObject);
  }

  const discounts: Invoice.Discount[] = [...itemLevelDiscounts];
  if (options.documentCoupon && documentLevelTotal > 0) {
    discounts.push({
      amount: documentLevelTotal,
      description: options.documentCoupon.id,
      entity_type: 'document_level_coupon',
      discount_type: 'percentage',
      entity_id: options.documentCoupon.id,
    });
  }
  const subTotal = lineItems.reduce((sum, l) => sum + (l.amount ?? 0), 0);
  const taxTotal = lineItems.reduce((sum, l) => sum + (l.tax_amount ?? 0), 0);
  const discountTotal = itemLevelTotal + documentLevelTotal;
  const beforeRounding = subTotal - discountTotal + (priceType === 'tax_exclusive' ? taxTotal : 0);
  let roundOff = 0;
  if (options.roundOffUnit && options.roundOffUnit > 1) {
    const remainder = beforeRounding % options.roundOffUnit;
    roundOff = remainder * 2 < options.roundOffUnit ? -remainder : options.roundOffUnit - remainder;
  }
  return {
    line_items: lineItems,
    line_item_discounts: lineDiscounts,
    line_item_taxes: lineTaxes,
    discounts,
    taxes: taxed ? [{ name: tax.taxName, amount: taxTotal, description: `${tax.taxName} @ ${tax.rateBps / 100}%` }] : [],
    sub_total: subTotal,
    tax: taxTotal,
    discountTotal,
    round_off_amount: roundOff,
    total: beforeRounding + roundOff,
  };
}

/** Credit-note lines priced the same way (same shapes; Chargebee's CreditNote line types mirror the invoice's). */
export function priceCreditNote(options: Parameters<typeof priceDocument>[0]): PricedDocument & {
  line_items: CreditNote.LineItem[];
} {
  return priceDocument(options);
}

/**
 * What the metrics are computed from: the rows of the metrics pipeline's tables (README.md), read back
 * into plain values. Instants are unix seconds; money, quantities and percentages are exact decimal
 * strings in major units (as the tables store them), never floats.
 */

/** Chargebee's subscription statuses. Anything else is treated like `active` only through its dates. */
export type SubscriptionStatus = 'future' | 'in_trial' | 'active' | 'non_renewing' | 'paused' | 'cancelled' | 'transferred';

export interface SubscriptionItemState {
  itemPriceId: string;
  /** `plan`, `addon` or `charge`; charges are one-off and never in MRR. */
  itemType: string;
  /** Decimal string; absent means 1. */
  quantity?: string;
  /** Price of one unit, decimal in major units. When absent (tiered, volume, stairstep), `amount` is used. */
  unitPrice?: string;
  /** Price of the whole line for one billing period, decimal in major units. */
  amount?: string;
  /** The item's own billing period, when Chargebee gives one; otherwise the item price's. */
  billingPeriod?: number;
  billingPeriodUnit?: string;
}

export interface AppliedCoupon {
  couponId: string;
  /** A limited-period coupon stops applying at this instant. */
  applyTill?: number;
  appliedCount?: number;
}

/** A subscription as Chargebee described it at one instant (the record, or an event's content). */
export interface SubscriptionState {
  status: string;
  currency: string;
  startedAt?: number;
  startDate?: number;
  activatedAt?: number;
  trialStart?: number;
  trialEnd?: number;
  cancelledAt?: number;
  pauseDate?: number;
  resumeDate?: number;
  items: readonly SubscriptionItemState[];
  coupons: readonly AppliedCoupon[];
}

/** The subscription as last listed (`subscriptions` with its current `subscription_items` and `subscription_coupons`). */
export interface SubscriptionRecord {
  id: string;
  customerId: string;
  /** When Chargebee last changed it; the record describes the subscription from then on. */
  updatedAt?: number;
  /** Set when Chargebee lists the subscription as deleted: it then counts in no month. */
  deletedAt?: number;
  state: SubscriptionState;
}

/** A subscription carried in an event's content: its state at the event's `occurred_at`. */
export interface SubscriptionSnapshot {
  eventId: string;
  subscriptionId: string;
  customerId: string;
  occurredAt: number;
  /** The subscription's resource_version in the event: orders two events of the same second. */
  resourceVersion?: number;
  /** The event deleted the subscription (`subscription_deleted`, or content with `deleted: true`). */
  deleted: boolean;
  state: SubscriptionState;
}

export interface ItemPrice {
  id: string;
  itemType?: string;
  period?: number;
  periodUnit?: string;
  /** List price, decimal in major units. */
  price?: string;
  currency?: string;
}

export interface ItemConstraint {
  /** `plan`, `addon` or `charge`. */
  itemType: string;
  /** `none`, `all`, `specific` or `criteria`. */
  constraint: string;
  itemPriceIds?: readonly string[];
}

export interface Coupon {
  id: string;
  /** `forever` (a permanent discount), `limited_period` or `one_time` (temporary). */
  durationType: string;
  /** `percentage`, `fixed_amount` or `offer_quantity`. */
  discountType: string;
  /** Decimal, e.g. "12.5" for 12.5 %. */
  discountPercentage?: string;
  /** Decimal in major units of `currency`, per billing period. */
  discountAmount?: string;
  discountQuantity?: string;
  currency?: string;
  /** `invoice_amount` (off the total of the items `itemConstraints` allow, every recurring item without them) or `each_specified_item` (off each of them). */
  applyOn?: string;
  itemConstraints?: readonly ItemConstraint[];
}

/** A discount on an invoice line (`line_item_discounts`). */
export interface LineDiscount {
  /** Chargebee's `discount_type`: item_level_coupon, document_level_coupon, promotional_credits… */
  discountType: string;
  couponId?: string;
  /** Decimal in major units. */
  amount: string;
}

/** A recurring invoice line, used for a subscription Chargebee no longer lists and no event describes. */
export interface BilledLine {
  id: string;
  invoiceId: string;
  /** Invoice date: among overlapping lines for one item price, the latest invoice wins. */
  invoiceDate: number;
  subscriptionId?: string;
  customerId: string;
  itemPriceId?: string;
  /** Chargebee's `entity_type`: plan_item_price, addon_item_price, charge_item_price, adhoc… */
  entityType?: string;
  quantity?: string;
  unitAmount?: string;
  /** Line amount before discounts. */
  amount: string;
  discounts: readonly LineDiscount[];
  /** Already split by the pipeline: these win over `discounts`. Decimals in major units. */
  permanentDiscount?: string;
  temporaryDiscount?: string;
  dateFrom?: number;
  dateTo?: number;
  currency: string;
  /** The invoice is deleted in Chargebee. */
  deletedAt?: number;
}

export interface MetricsSource {
  subscriptions: readonly SubscriptionRecord[];
  snapshots: readonly SubscriptionSnapshot[];
  itemPrices: readonly ItemPrice[];
  coupons: readonly Coupon[];
  invoiceLines: readonly BilledLine[];
}

export interface MetricsSettings {
  /** `options.reporting_currency` */
  reportingCurrency: string;
  /** The pipeline's `timezone`: months end at their last second there. */
  timezone: string;
  /** `lookups.exchange_rates.values` */
  exchangeRates: Readonly<Record<string, unknown>>;
}

export interface ReportRange {
  /** First month shown (`--from`); history before it still decides new vs reactivation. Default: the first month with data. */
  from?: string;
  /** Last month shown (`--to`). Default: the month of `now`. */
  to?: string;
  /** Unix seconds; decides the default `to`. */
  now: number;
}

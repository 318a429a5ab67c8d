/**
 * Rows of the metrics tables (tables.ts), as a SQL driver returns them, into the model the reports
 * compute from. Tolerant of what drivers give back: SQLite returns ISO text and decimal text,
 * PostgreSQL `Date`, numeric strings and parsed jsonb; unix seconds are accepted too.
 *
 * - `subscription_items` / `subscription_coupons` rows count only when their `subscription_version`
 *   is the subscription's `resource_version` (when both are set): a row left by an item that was
 *   removed from the subscription keeps an older version and is ignored.
 * - Lines of voided invoices (`invoice_status = 'voided'`) are ignored.
 */
import { LedgersyncError } from '../../engine/errors.js';
import type {
  AppliedCoupon,
  BilledLine,
  Coupon,
  ItemConstraint,
  ItemPrice,
  LineDiscount,
  MetricsSource,
  SubscriptionItemState,
  SubscriptionRecord,
  SubscriptionSnapshot,
  SubscriptionState,
} from './model.js';
import type { ReportInputTable } from './tables.js';

export type Row = Readonly<Record<string, unknown>>;
export type MetricsRows = Readonly<Record<ReportInputTable, readonly Row[]>>;

function bad(table: string, column: string, value: unknown, expected: string): LedgersyncError {
  return new LedgersyncError('invalid_metrics_row', 'config', `${table}.${column} holds ${JSON.stringify(value)}, not ${expected}`, {
    fix: `check the mapping that writes ${table}.${column} in the metrics pipeline`,
    details: { table, column, value },
  });
}

function present(value: unknown): boolean {
  return value !== null && value !== undefined && value !== '';
}

function instant(table: string, column: string, value: unknown): number | undefined {
  if (!present(value)) return undefined;
  if (value instanceof Date) return Math.floor(value.getTime() / 1000);
  if (typeof value === 'number' && Number.isFinite(value)) return Math.floor(value);
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return Number(value);
    const ms = Date.parse(value);
    if (!Number.isNaN(ms) && /^\d{4}-\d{2}-\d{2}/.test(value)) return Math.floor(ms / 1000);
  }
  throw bad(table, column, value, 'a timestamp');
}

function text(table: string, column: string, value: unknown): string | undefined {
  if (!present(value)) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  throw bad(table, column, value, 'text');
}

function requiredText(table: string, column: string, value: unknown): string {
  const result = text(table, column, value);
  if (result === undefined) throw bad(table, column, value, 'a value (the column is required)');
  return result;
}

function decimal(table: string, column: string, value: unknown): string | undefined {
  if (!present(value)) return undefined;
  if (typeof value === 'string' || typeof value === 'bigint') return String(value).trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw bad(table, column, value, 'a decimal');
}

function integer(table: string, column: string, value: unknown): number | undefined {
  if (!present(value)) return undefined;
  const n = typeof value === 'string' ? Number(value) : typeof value === 'bigint' ? Number(value) : value;
  if (typeof n === 'number' && Number.isSafeInteger(n)) return n;
  throw bad(table, column, value, 'an integer');
}

function boolean(table: string, column: string, value: unknown): boolean {
  if (!present(value)) return false;
  if (value === true || value === 1 || value === '1' || value === 't' || value === 'true') return true;
  if (value === false || value === 0 || value === '0' || value === 'f' || value === 'false') return false;
  throw bad(table, column, value, 'a boolean');
}

function json(table: string, column: string, value: unknown): unknown {
  if (!present(value)) return undefined;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw bad(table, column, value, 'JSON');
  }
}

function jsonArray(table: string, column: string, value: unknown): Row[] {
  const parsed = json(table, column, value);
  if (parsed === undefined) return [];
  if (!Array.isArray(parsed) || parsed.some((entry) => typeof entry !== 'object' || entry === null)) throw bad(table, column, value, 'a JSON array of objects');
  return parsed as Row[];
}

/**
 * The same object without its undefined values, for exactOptionalPropertyTypes. A copy rather than
 * `delete`: an object a property was deleted from turns into a slow dictionary, and a report holds
 * a million of these.
 */
function defined<T extends object>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v !== undefined) out[key] = v;
  }
  return out as T;
}

function itemState(table: string, row: Row): SubscriptionItemState {
  return defined({
    itemPriceId: requiredText(table, 'item_price_id', row['item_price_id']),
    itemType: requiredText(table, 'item_type', row['item_type']),
    quantity: decimal(table, 'quantity', row['quantity']),
    unitPrice: decimal(table, 'unit_price', row['unit_price']),
    amount: decimal(table, 'amount', row['amount']),
    billingPeriod: integer(table, 'billing_period', row['billing_period']),
    billingPeriodUnit: text(table, 'billing_period_unit', row['billing_period_unit']),
  }) as SubscriptionItemState;
}

function appliedCoupon(table: string, row: Row): AppliedCoupon {
  return defined({
    couponId: requiredText(table, 'coupon_id', row['coupon_id']),
    applyTill: instant(table, 'apply_till', row['apply_till']),
    appliedCount: integer(table, 'applied_count', row['applied_count']),
  }) as AppliedCoupon;
}

function stateOf(table: string, row: Row, items: SubscriptionItemState[], coupons: AppliedCoupon[]): SubscriptionState {
  const at = (column: string) => instant(table, column, row[column]);
  return defined({
    status: requiredText(table, 'status', row['status']),
    currency: requiredText(table, 'currency_code', row['currency_code']).toUpperCase(),
    startedAt: at('started_at'),
    startDate: at('start_date'),
    activatedAt: at('activated_at'),
    trialStart: at('trial_start'),
    trialEnd: at('trial_end'),
    cancelledAt: at('cancelled_at'),
    pauseDate: at('pause_date'),
    resumeDate: at('resume_date'),
    items,
    coupons,
  }) as SubscriptionState;
}

function groupBy(rows: readonly Row[], column: string): Map<string, Row[]> {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const key = String(row[column]);
    const list = groups.get(key);
    if (list) list.push(row);
    else groups.set(key, [row]);
  }
  return groups;
}

function current(rows: readonly Row[] | undefined, version: number | undefined, table: string): Row[] {
  return (rows ?? []).filter((row) => {
    if (present(row['deleted_at'])) return false;
    const rowVersion = integer(table, 'subscription_version', row['subscription_version']);
    return version === undefined || rowVersion === undefined || rowVersion === version;
  });
}

/**
 * A subscription's coupon rows in the order Chargebee lists them (their `position`), the order they
 * apply in: a percentage before a fixed amount is not the same discount as after it. Rows come back
 * sorted by key; a table without `position` (a pipeline written before it) keeps that order.
 */
function inListOrder(rows: Row[]): Row[] {
  const t = 'subscription_coupons';
  const position = (row: Row) => integer(t, 'position', row['position']) ?? Number.MAX_SAFE_INTEGER;
  return rows
    .map((row, i) => ({ row, at: position(row), i }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((r) => r.row);
}

function itemPrice(row: Row): ItemPrice {
  const t = 'item_prices';
  return defined({
    id: requiredText(t, 'id', row['id']),
    itemType: text(t, 'item_type', row['item_type']),
    period: integer(t, 'period', row['period']),
    periodUnit: text(t, 'period_unit', row['period_unit']),
    price: decimal(t, 'price', row['price']),
    currency: text(t, 'currency_code', row['currency_code'])?.toUpperCase(),
  }) as ItemPrice;
}

function coupon(row: Row): Coupon {
  const t = 'coupons';
  const constraints = jsonArray(t, 'item_constraints', row['item_constraints']).map(
    (entry) =>
      defined({
        itemType: String(entry['item_type'] ?? ''),
        constraint: String(entry['constraint'] ?? ''),
        itemPriceIds: Array.isArray(entry['item_price_ids']) ? (entry['item_price_ids'] as unknown[]).map(String) : undefined,
      }) as ItemConstraint,
  );
  return defined({
    id: requiredText(t, 'id', row['id']),
    durationType: requiredText(t, 'duration_type', row['duration_type']),
    discountType: requiredText(t, 'discount_type', row['discount_type']),
    discountPercentage: decimal(t, 'discount_percentage', row['discount_percentage']),
    discountAmount: decimal(t, 'discount_amount', row['discount_amount']),
    discountQuantity: decimal(t, 'discount_quantity', row['discount_quantity']),
    currency: text(t, 'currency_code', row['currency_code'])?.toUpperCase(),
    applyOn: text(t, 'apply_on', row['apply_on']),
    itemConstraints: present(row['item_constraints']) ? constraints : undefined,
  }) as Coupon;
}

function billedLine(row: Row): BilledLine {
  const t = 'invoice_lines';
  const discounts = jsonArray(t, 'line_discounts', row['line_discounts']).map(
    (entry) =>
      defined({
        discountType: String(entry['discount_type'] ?? ''),
        couponId: entry['coupon_id'] === undefined || entry['coupon_id'] === null ? undefined : String(entry['coupon_id']),
        amount: decimal(t, 'line_discounts.amount', entry['amount']) ?? '0',
      }) as LineDiscount,
  );
  return defined({
    id: requiredText(t, 'id', row['id']),
    invoiceId: requiredText(t, 'invoice_id', row['invoice_id']),
    invoiceDate: instant(t, 'invoice_date', row['invoice_date']) ?? 0,
    subscriptionId: text(t, 'subscription_id', row['subscription_id']),
    customerId: requiredText(t, 'customer_id', row['customer_id']),
    itemPriceId: text(t, 'item_price_id', row['item_price_id']),
    entityType: text(t, 'entity_type', row['entity_type']),
    quantity: decimal(t, 'quantity', row['quantity']),
    unitAmount: decimal(t, 'unit_amount', row['unit_amount']),
    amount: decimal(t, 'amount', row['amount']) ?? '0',
    discounts,
    permanentDiscount: decimal(t, 'permanent_discount_amount', row['permanent_discount_amount']),
    temporaryDiscount: decimal(t, 'temporary_discount_amount', row['temporary_discount_amount']),
    dateFrom: instant(t, 'date_from', row['date_from']),
    dateTo: instant(t, 'date_to', row['date_to']),
    currency: requiredText(t, 'currency_code', row['currency_code']).toUpperCase(),
    deletedAt: instant(t, 'deleted_at', row['deleted_at']),
  }) as BilledLine;
}

/**
 * `convert` over a table's rows, a value it cannot read named with its row: in a database of 100,000
 * subscriptions, "subscriptions.updated_at holds …" alone does not say which to look at.
 */
function ofRow<T>(table: string, key: readonly string[], convert: (row: Row) => T): (row: Row) => T {
  return (row) => {
    try {
      return convert(row);
    } catch (error) {
      if (!(error instanceof LedgersyncError) || error.code !== 'invalid_metrics_row') throw error;
      const keyValues = Object.fromEntries(key.map((column) => [column, row[column] ?? null]));
      const which = key.map((column) => `${column} ${JSON.stringify(String(row[column] ?? ''))}`).join(', ');
      throw new LedgersyncError('invalid_metrics_row', 'config', `${error.message} (the ${table} row with ${which})`, {
        ...(error.fix ? { fix: error.fix } : {}),
        details: { ...error.details, row: keyValues },
      });
    }
  };
}

export function metricsSourceFromRows(tables: MetricsRows): MetricsSource {
  const itemsBySubscription = groupBy(tables.subscription_items, 'subscription_id');
  const couponsBySubscription = groupBy(tables.subscription_coupons, 'subscription_id');

  const subscriptions: SubscriptionRecord[] = tables.subscriptions.map(
    ofRow('subscriptions', ['id'], (row) => {
      const t = 'subscriptions';
      const id = requiredText(t, 'id', row['id']);
      const version = integer(t, 'resource_version', row['resource_version']);
      const items = current(itemsBySubscription.get(id), version, 'subscription_items').map((r) => itemState('subscription_items', r));
      const coupons = inListOrder(current(couponsBySubscription.get(id), version, 'subscription_coupons')).map((r) => appliedCoupon('subscription_coupons', r));
      return defined({
        id,
        customerId: requiredText(t, 'customer_id', row['customer_id']),
        updatedAt: instant(t, 'updated_at', row['updated_at']),
        deletedAt: instant(t, 'deleted_at', row['deleted_at']),
        state: stateOf(t, row, items, coupons),
      }) as SubscriptionRecord;
    }),
  );

  const snapshots: SubscriptionSnapshot[] = tables.subscription_snapshots.map(
    ofRow('subscription_snapshots', ['event_id'], (row) => {
      const t = 'subscription_snapshots';
      const items = jsonArray(t, 'items', row['items']).map((entry) => itemState(`${t}.items`, entry));
      const coupons = jsonArray(t, 'coupons', row['coupons']).map((entry) => appliedCoupon(`${t}.coupons`, entry));
      return defined({
        eventId: requiredText(t, 'event_id', row['event_id']),
        subscriptionId: requiredText(t, 'subscription_id', row['subscription_id']),
        customerId: requiredText(t, 'customer_id', row['customer_id']),
        occurredAt: instant(t, 'occurred_at', row['occurred_at']) ?? 0,
        resourceVersion: integer(t, 'resource_version', row['resource_version']),
        deleted: boolean(t, 'subscription_deleted', row['subscription_deleted']),
        state: stateOf(t, row, items, coupons),
      }) as SubscriptionSnapshot;
    }),
  );

  return {
    subscriptions,
    snapshots,
    // An archived or deleted price or coupon still explains the subscriptions that carried it.
    itemPrices: tables.item_prices.map(ofRow('item_prices', ['id'], itemPrice)),
    coupons: tables.coupons.map(ofRow('coupons', ['id'], coupon)),
    invoiceLines: tables.invoice_lines.filter((row) => row['invoice_status'] !== 'voided').map(ofRow('invoice_lines', ['invoice_id', 'id'], billedLine)),
  };
}

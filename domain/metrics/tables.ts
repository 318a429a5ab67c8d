/**
 * The tables the metrics pipeline writes through the `sql` sink, as data: the pipeline declares the
 * same objects and columns (README.md explains each), and the report reads them back (rows.ts).
 *
 * Column types, and how the sink stores them:
 * | type      | SQLite                              | PostgreSQL    |
 * |-----------|-------------------------------------|---------------|
 * | text      | TEXT                                | text          |
 * | integer   | INTEGER                             | bigint        |
 * | decimal   | TEXT (exact decimal string)         | numeric       |
 * | boolean   | INTEGER 0/1                         | boolean       |
 * | timestamp | TEXT, ISO 8601 UTC (`…T…Z`)         | timestamptz   |
 * | json      | TEXT (JSON)                         | jsonb         |
 * Money is `decimal` in the currency's major unit (what `$money()` gives), never a float: SQLite's REAL
 * or NUMERIC affinity would round it. Every table has `deleted_at` (the sink's soft delete).
 */
export type ColumnType = 'text' | 'integer' | 'decimal' | 'boolean' | 'timestamp' | 'json';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  /** NOT NULL; primary-key columns are always required. */
  required?: true;
  /**
   * The report works without it: a column written for people who query the tables, or (`position`)
   * one read when a pipeline has it. `ledgersync report` does not refuse a pipeline that leaves it out.
   */
  optional?: true;
}

export interface TableSpec {
  name: string;
  primaryKey: readonly string[];
  columns: readonly ColumnSpec[];
}

const c = (name: string, type: ColumnType, required?: true): ColumnSpec => (required ? { name, type, required } : { name, type });
/** A column the report does not need (ColumnSpec.optional). */
const info = (name: string, type: ColumnType): ColumnSpec => ({ name, type, optional: true });
const deletedAt = c('deleted_at', 'timestamp');

/** Subscription dates shared by `subscriptions` and `subscription_snapshots`. */
const subscriptionDates = [
  c('status', 'text', true),
  c('currency_code', 'text', true),
  c('start_date', 'timestamp'),
  c('started_at', 'timestamp'),
  c('activated_at', 'timestamp'),
  c('trial_start', 'timestamp'),
  c('trial_end', 'timestamp'),
  c('cancelled_at', 'timestamp'),
  info('cancel_schedule_created_at', 'timestamp'),
  c('pause_date', 'timestamp'),
  c('resume_date', 'timestamp'),
];

/** Line columns shared by invoice and credit-note lines (credit-note amounts are negative). */
const lineColumns = [
  c('id', 'text', true),
  c('customer_id', 'text', true),
  c('subscription_id', 'text'),
  c('entity_type', 'text'),
  c('item_price_id', 'text'),
  info('description', 'text'),
  c('quantity', 'decimal'),
  c('unit_amount', 'decimal'),
  c('amount', 'decimal', true),
  c('discount_amount', 'decimal'),
  c('permanent_discount_amount', 'decimal'),
  c('temporary_discount_amount', 'decimal'),
  info('amount_excluding_tax', 'decimal'),
  info('tax_amount', 'decimal'),
  c('date_from', 'timestamp'),
  c('date_to', 'timestamp'),
  c('currency_code', 'text', true),
  c('line_discounts', 'json'),
];

export const METRICS_TABLES: readonly TableSpec[] = [
  {
    name: 'customers',
    primaryKey: ['id'],
    columns: [
      c('id', 'text', true),
      c('name', 'text'),
      c('company', 'text'),
      c('email', 'text'),
      c('country', 'text'),
      c('postal_code', 'text'),
      c('root_parent_id', 'text'),
      c('preferred_currency_code', 'text'),
      c('custom_fields', 'json'),
      c('metadata', 'json'),
      c('created_at', 'timestamp'),
      c('updated_at', 'timestamp'),
      deletedAt,
    ],
  },
  {
    name: 'items',
    primaryKey: ['id'],
    columns: [
      c('id', 'text', true),
      c('name', 'text'),
      c('item_family_id', 'text'),
      c('type', 'text'),
      c('status', 'text'),
      c('updated_at', 'timestamp'),
      deletedAt,
    ],
  },
  {
    name: 'item_prices',
    primaryKey: ['id'],
    columns: [
      c('id', 'text', true),
      info('item_id', 'text'),
      info('name', 'text'),
      c('item_type', 'text'),
      info('pricing_model', 'text'),
      c('price', 'decimal'),
      c('period', 'integer'),
      c('period_unit', 'text'),
      info('monthly_price', 'decimal'),
      c('currency_code', 'text'),
      c('status', 'text'),
      c('updated_at', 'timestamp'),
      deletedAt,
    ],
  },
  {
    name: 'coupons',
    primaryKey: ['id'],
    columns: [
      c('id', 'text', true),
      info('name', 'text'),
      c('discount_type', 'text', true),
      c('discount_percentage', 'decimal'),
      c('discount_amount', 'decimal'),
      c('discount_quantity', 'decimal'),
      c('currency_code', 'text'),
      c('duration_type', 'text', true),
      info('duration_month', 'integer'),
      c('apply_on', 'text'),
      c('item_constraints', 'json'),
      c('status', 'text'),
      c('updated_at', 'timestamp'),
      deletedAt,
    ],
  },
  {
    name: 'subscriptions',
    primaryKey: ['id'],
    columns: [
      c('id', 'text', true),
      c('customer_id', 'text', true),
      ...subscriptionDates,
      info('contract_term_end', 'timestamp'),
      c('billing_period', 'integer'),
      c('billing_period_unit', 'text'),
      info('custom_fields', 'json'),
      info('metadata', 'json'),
      info('created_at', 'timestamp'),
      c('updated_at', 'timestamp'),
      c('resource_version', 'integer'),
      deletedAt,
    ],
  },
  {
    name: 'subscription_items',
    primaryKey: ['subscription_id', 'item_price_id'],
    columns: [
      c('subscription_id', 'text', true),
      c('item_price_id', 'text', true),
      c('subscription_version', 'integer'),
      c('item_type', 'text', true),
      c('quantity', 'decimal'),
      c('unit_price', 'decimal'),
      c('amount', 'decimal'),
      c('billing_period', 'integer'),
      c('billing_period_unit', 'text'),
      info('monthly_amount', 'decimal'),
      c('currency_code', 'text'),
      deletedAt,
    ],
  },
  {
    name: 'subscription_coupons',
    primaryKey: ['subscription_id', 'coupon_id'],
    columns: [
      c('subscription_id', 'text', true),
      c('coupon_id', 'text', true),
      c('subscription_version', 'integer'),
      c('apply_till', 'timestamp'),
      c('applied_count', 'integer'),
      info('position', 'integer'),
      deletedAt,
    ],
  },
  {
    name: 'subscription_snapshots',
    primaryKey: ['event_id'],
    columns: [
      c('event_id', 'text', true),
      c('event_type', 'text', true),
      c('occurred_at', 'timestamp', true),
      c('subscription_id', 'text', true),
      c('customer_id', 'text', true),
      c('resource_version', 'integer'),
      ...subscriptionDates,
      c('items', 'json', true),
      c('coupons', 'json'),
      c('subscription_deleted', 'boolean', true),
      deletedAt,
    ],
  },
  {
    name: 'invoices',
    primaryKey: ['id'],
    columns: [
      c('id', 'text', true),
      c('customer_id', 'text', true),
      c('subscription_id', 'text'),
      c('status', 'text', true),
      c('date', 'timestamp', true),
      c('currency_code', 'text', true),
      c('sub_total', 'decimal'),
      c('tax', 'decimal'),
      c('total', 'decimal'),
      c('updated_at', 'timestamp'),
      deletedAt,
    ],
  },
  {
    name: 'invoice_lines',
    primaryKey: ['invoice_id', 'id'],
    columns: [c('invoice_id', 'text', true), c('invoice_date', 'timestamp', true), c('invoice_status', 'text'), ...lineColumns, deletedAt],
  },
  {
    name: 'credit_notes',
    primaryKey: ['id'],
    columns: [
      c('id', 'text', true),
      c('customer_id', 'text', true),
      c('subscription_id', 'text'),
      c('reference_invoice_id', 'text'),
      c('type', 'text'),
      c('status', 'text', true),
      c('date', 'timestamp', true),
      c('currency_code', 'text', true),
      c('total', 'decimal'),
      c('updated_at', 'timestamp'),
      deletedAt,
    ],
  },
  {
    name: 'credit_note_lines',
    primaryKey: ['credit_note_id', 'id'],
    columns: [
      c('credit_note_id', 'text', true),
      c('credit_note_date', 'timestamp', true),
      c('reference_invoice_id', 'text'),
      c('credit_note_status', 'text'),
      ...lineColumns,
      deletedAt,
    ],
  },
];

/** The tables the MRR, churn and cohort reports read; the others are for BI tools. */
export const REPORT_INPUT_TABLES = [
  'item_prices',
  'coupons',
  'subscriptions',
  'subscription_items',
  'subscription_coupons',
  'subscription_snapshots',
  'invoice_lines',
] as const;
export type ReportInputTable = (typeof REPORT_INPUT_TABLES)[number];

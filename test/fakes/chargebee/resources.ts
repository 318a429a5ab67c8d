/**
 * What each list endpoint of the fake accepts, in one table: the sort attributes Chargebee allows,
 * the filters, `include_deleted`, the product catalog version the endpoint belongs to, and the
 * event types a change produces. The listing and the state read this table; nothing is repeated
 * per endpoint in code.
 */
import type { Addon, Coupon, CreditNote, Customer, Event, Invoice, Item, ItemFamily, ItemPrice, Plan, Subscription, Transaction } from 'chargebee';

export type EventType = NonNullable<Event['event_type']>;

/** Chargebee's Event with `content` as stored: `{ <resource>: {...} }` (the SDK types it as every content at once). */
export type FakeEvent = Omit<Event, 'content'> & { object: 'event'; content: Record<string, unknown> };

export interface ResourceRecordMap {
  customers: Customer;
  item_families: ItemFamily;
  items: Item;
  item_prices: ItemPrice;
  plans: Plan;
  addons: Addon;
  coupons: Coupon;
  subscriptions: Subscription;
  invoices: Invoice;
  credit_notes: CreditNote;
  transactions: Transaction;
  events: FakeEvent;
}

export type ResourceName = keyof ResourceRecordMap;
/** Resources that `state.touch/create/delete` change (events are the log of those changes). */
export type MutableResourceName = Exclude<ResourceName, 'events'>;

export type FilterKind = 'timestamp' | 'number' | 'string' | 'enum' | 'boolean';

export interface ResourceSpec {
  /** The key of one record in an envelope: `{"invoice": {...}}`. */
  singular: string;
  /** Accepts `include_deleted=true`; without it deleted records are never listed. */
  includeDeleted: boolean;
  /** Attributes allowed in `sort_by[asc]` / `sort_by[desc]`. */
  sortable: readonly string[];
  /** Filterable attributes (`attr[op]=value`) and how their values are compared. */
  filters: Readonly<Record<string, FilterKind>>;
  /** The product catalog version the endpoint belongs to; other sites answer configuration_incompatible. */
  catalog?: 'v1' | 'v2';
  /** Event types that `state.create/touch/delete` append for this resource. */
  events?: { created: EventType; updated: EventType; deleted: EventType };
}

const documentFilters = {
  id: 'string',
  customer_id: 'string',
  subscription_id: 'string',
  status: 'enum',
  updated_at: 'timestamp',
  date: 'timestamp',
} as const;

export const RESOURCE_SPECS: Readonly<Record<ResourceName, ResourceSpec>> = {
  customers: {
    singular: 'customer',
    includeDeleted: true,
    sortable: ['created_at', 'updated_at'],
    filters: {
      id: 'string',
      email: 'string',
      first_name: 'string',
      last_name: 'string',
      company: 'string',
      auto_collection: 'enum',
      taxability: 'enum',
      created_at: 'timestamp',
      updated_at: 'timestamp',
    },
    events: { created: 'customer_created', updated: 'customer_changed', deleted: 'customer_deleted' },
  },
  item_families: {
    singular: 'item_family',
    includeDeleted: false,
    sortable: [],
    filters: { id: 'string', name: 'string', updated_at: 'timestamp' },
    catalog: 'v2',
    events: { created: 'item_family_created', updated: 'item_family_updated', deleted: 'item_family_deleted' },
  },
  items: {
    singular: 'item',
    includeDeleted: false,
    sortable: ['name', 'id', 'updated_at'],
    filters: { id: 'string', name: 'string', type: 'enum', item_family_id: 'string', status: 'enum', updated_at: 'timestamp' },
    catalog: 'v2',
    events: { created: 'item_created', updated: 'item_updated', deleted: 'item_deleted' },
  },
  item_prices: {
    singular: 'item_price',
    includeDeleted: false,
    sortable: ['name', 'id', 'updated_at'],
    filters: {
      id: 'string',
      name: 'string',
      item_id: 'string',
      item_family_id: 'string',
      item_type: 'enum',
      currency_code: 'string',
      status: 'enum',
      updated_at: 'timestamp',
      created_at: 'timestamp',
    },
    catalog: 'v2',
    events: { created: 'item_price_created', updated: 'item_price_updated', deleted: 'item_price_deleted' },
  },
  plans: {
    singular: 'plan',
    includeDeleted: true,
    // Plan.list has no sort_by (ListPlanBodySchema): plans come in Chargebee's default order.
    sortable: [],
    filters: { id: 'string', name: 'string', currency_code: 'string', status: 'enum', updated_at: 'timestamp' },
    catalog: 'v1',
    events: { created: 'plan_created', updated: 'plan_updated', deleted: 'plan_deleted' },
  },
  addons: {
    singular: 'addon',
    includeDeleted: true,
    // Addon.list has no sort_by (ListAddonBodySchema).
    sortable: [],
    filters: { id: 'string', name: 'string', currency_code: 'string', status: 'enum', updated_at: 'timestamp' },
    catalog: 'v1',
    events: { created: 'addon_created', updated: 'addon_updated', deleted: 'addon_deleted' },
  },
  coupons: {
    singular: 'coupon',
    // Coupon.list has no include_deleted (ListCouponBodySchema): a deleted coupon is no longer listed.
    includeDeleted: false,
    // …and sorts by created_at only: updated_at is a filter here, not a sort.
    sortable: ['created_at'],
    filters: {
      id: 'string',
      name: 'string',
      discount_type: 'enum',
      duration_type: 'enum',
      status: 'enum',
      apply_on: 'enum',
      currency_code: 'string',
      created_at: 'timestamp',
      updated_at: 'timestamp',
    },
    events: { created: 'coupon_created', updated: 'coupon_updated', deleted: 'coupon_deleted' },
  },
  subscriptions: {
    singular: 'subscription',
    includeDeleted: true,
    sortable: ['created_at', 'updated_at'],
    filters: {
      id: 'string',
      customer_id: 'string',
      plan_id: 'string',
      status: 'enum',
      created_at: 'timestamp',
      updated_at: 'timestamp',
    },
    events: { created: 'subscription_created', updated: 'subscription_changed', deleted: 'subscription_deleted' },
  },
  invoices: {
    singular: 'invoice',
    includeDeleted: true,
    sortable: ['date', 'updated_at'],
    filters: { ...documentFilters, recurring: 'boolean', price_type: 'enum', voided_at: 'timestamp', paid_at: 'timestamp' },
    events: { created: 'invoice_generated', updated: 'invoice_updated', deleted: 'invoice_deleted' },
  },
  credit_notes: {
    singular: 'credit_note',
    includeDeleted: true,
    // Chargebee sorts credit notes by date only; `updated_at` is a filter here, not a sort.
    sortable: ['date'],
    filters: { ...documentFilters, reference_invoice_id: 'string', type: 'enum', reason_code: 'enum', voided_at: 'timestamp' },
    events: { created: 'credit_note_created', updated: 'credit_note_updated', deleted: 'credit_note_deleted' },
  },
  transactions: {
    singular: 'transaction',
    includeDeleted: true,
    sortable: ['date', 'updated_at'],
    filters: {
      id: 'string',
      customer_id: 'string',
      subscription_id: 'string',
      payment_method: 'enum',
      gateway: 'enum',
      id_at_gateway: 'string',
      reference_number: 'string',
      type: 'enum',
      status: 'enum',
      amount: 'number',
      date: 'timestamp',
      updated_at: 'timestamp',
    },
    events: { created: 'transaction_created', updated: 'transaction_updated', deleted: 'transaction_deleted' },
  },
  events: {
    singular: 'event',
    includeDeleted: false,
    sortable: ['occurred_at'],
    filters: { id: 'string', event_type: 'enum', source: 'enum', webhook_status: 'enum', occurred_at: 'timestamp' },
  },
};

export const RESOURCE_NAMES = Object.keys(RESOURCE_SPECS) as ResourceName[];

export function isResourceName(value: string): value is ResourceName {
  return Object.hasOwn(RESOURCE_SPECS, value);
}

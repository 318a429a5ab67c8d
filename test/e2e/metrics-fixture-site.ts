/**
 * The hand-computed metrics fixture (test/domain/metrics/fixture.ts) as the Chargebee records it
 * stands for, put on an empty fake site: item prices, coupons, subscriptions (as last listed, the
 * deleted one with `deleted: true`), one event per snapshot carrying the subscription as it was, and
 * invoices with the lines of the subscription known only from them. Amounts go back to minor units,
 * instants stay unix seconds: what the pipeline then writes must give the hand-computed figures.
 */
import type { MetricsSource, SubscriptionState } from '../../domain/metrics/model.js';
import type { FakeChargebeeState } from '../fakes/chargebee/index.js';
import type { StoredRecord } from '../fakes/chargebee/state.js';

/** "100.00" → 10000: the fixture's amounts all have two decimals (USD, EUR). */
function minor(decimal: string): number {
  const [whole = '0', fraction = ''] = decimal.split('.');
  if (fraction.length > 2) throw new Error(`the fixture amount ${decimal} has more than two decimals`);
  return Number(whole + fraction.padEnd(2, '0'));
}

function defined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}

/** The subscription's billing period: its plan's (Chargebee prices a subscription's items in one period). */
type PeriodOf = (state: SubscriptionState) => string | undefined;

function subscription(id: string, customerId: string, state: SubscriptionState, periodOf: PeriodOf, extra: Record<string, unknown>): Record<string, unknown> {
  return defined({
    id,
    object: 'subscription',
    customer_id: customerId,
    status: state.status,
    currency_code: state.currency,
    started_at: state.startedAt,
    start_date: state.startDate,
    activated_at: state.activatedAt,
    trial_start: state.trialStart,
    trial_end: state.trialEnd,
    cancelled_at: state.cancelledAt,
    pause_date: state.pauseDate,
    resume_date: state.resumeDate,
    billing_period: 1,
    billing_period_unit: periodOf(state),
    subscription_items: state.items.map((item) =>
      defined({
        item_price_id: item.itemPriceId,
        item_type: item.itemType,
        quantity: item.quantity === undefined ? 1 : Number(item.quantity),
        unit_price: item.unitPrice === undefined ? undefined : minor(item.unitPrice),
        amount: item.amount === undefined ? undefined : minor(item.amount),
        object: 'subscription_item',
      }),
    ),
    coupons: state.coupons.map((c) => defined({ coupon_id: c.couponId, apply_till: c.applyTill, applied_count: c.appliedCount ?? 0 })),
    ...extra,
  });
}

export function putFixtureOnSite(state: FakeChargebeeState, source: MetricsSource): void {
  const put = (resource: Parameters<FakeChargebeeState['insertSeeded']>[0], record: Record<string, unknown>) =>
    state.insertSeeded(resource, record as StoredRecord);
  const created = 1_735_689_600; // 2025-01-01: the catalog is older than every subscription
  const units = new Map(source.itemPrices.map((p) => [p.id, p.periodUnit]));
  const periodOf: PeriodOf = (state) => units.get(state.items.find((i) => i.itemType === 'plan')?.itemPriceId ?? '');
  for (const price of source.itemPrices) {
    put(
      'item_prices',
      defined({
        id: price.id,
        object: 'item_price',
        item_id: price.id.split('-')[0],
        item_type: price.itemType,
        pricing_model: 'per_unit',
        price: price.price === undefined ? undefined : minor(price.price),
        period: price.period,
        period_unit: price.periodUnit,
        currency_code: price.currency,
        status: 'active',
        created_at: created,
        updated_at: created,
        resource_version: created * 1000,
        deleted: false,
      }),
    );
  }
  for (const coupon of source.coupons) {
    put(
      'coupons',
      defined({
        id: coupon.id,
        object: 'coupon',
        name: coupon.id,
        discount_type: coupon.discountType,
        discount_percentage: coupon.discountPercentage === undefined ? undefined : Number(coupon.discountPercentage),
        discount_amount: coupon.discountAmount === undefined ? undefined : minor(coupon.discountAmount),
        currency_code: coupon.currency,
        duration_type: coupon.durationType,
        apply_on: coupon.applyOn,
        status: 'active',
        created_at: created,
        updated_at: created,
        resource_version: created * 1000,
        deleted: false,
      }),
    );
  }
  for (const record of source.subscriptions) {
    const updatedAt = record.updatedAt ?? created;
    put(
      'subscriptions',
      subscription(record.id, record.customerId, record.state, periodOf, {
        updated_at: updatedAt,
        resource_version: updatedAt * 1000,
        deleted: record.deletedAt !== undefined,
      }),
    );
  }
  for (const snapshot of source.snapshots) {
    put('events', {
      id: snapshot.eventId,
      object: 'event',
      occurred_at: snapshot.occurredAt,
      source: 'admin_console',
      webhook_status: 'not_configured',
      event_type: snapshot.deleted ? 'subscription_deleted' : 'subscription_changed',
      api_version: 'v2',
      content: {
        subscription: subscription(snapshot.subscriptionId, snapshot.customerId, snapshot.state, periodOf, snapshot.deleted ? { deleted: true } : {}),
      },
    });
  }
  const invoices = new Map<string, MetricsSource['invoiceLines'][number][]>();
  for (const line of source.invoiceLines) invoices.set(line.invoiceId, [...(invoices.get(line.invoiceId) ?? []), line]);
  for (const [id, lines] of invoices) {
    const first = lines[0]!;
    const discount = (line: (typeof lines)[number]) => line.discounts.reduce((sum, d) => sum + minor(d.amount), 0);
    put('invoices', {
      id,
      object: 'invoice',
      customer_id: first.customerId,
      subscription_id: first.subscriptionId,
      status: 'paid',
      date: first.invoiceDate,
      price_type: 'tax_exclusive',
      currency_code: first.currency,
      sub_total: lines.reduce((sum, line) => sum + minor(line.amount), 0),
      total: lines.reduce((sum, line) => sum + minor(line.amount) - discount(line), 0),
      line_items: lines.map((line) =>
        defined({
          id: line.id,
          object: 'line_item',
          subscription_id: line.subscriptionId,
          customer_id: line.customerId,
          entity_type: line.entityType,
          entity_id: line.itemPriceId,
          quantity: line.quantity === undefined ? undefined : Number(line.quantity),
          unit_amount: line.unitAmount === undefined ? undefined : minor(line.unitAmount),
          amount: minor(line.amount),
          discount_amount: discount(line),
          tax_amount: 0,
          date_from: line.dateFrom,
          date_to: line.dateTo,
        }),
      ),
      line_item_discounts: lines.flatMap((line) =>
        line.discounts.map((d) => defined({ line_item_id: line.id, discount_type: d.discountType, coupon_id: d.couponId, discount_amount: minor(d.amount) })),
      ),
      updated_at: first.invoiceDate,
      resource_version: first.invoiceDate * 1000,
      deleted: false,
    });
  }
}

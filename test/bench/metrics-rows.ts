/**
 * A metrics model (domain/metrics/model.ts) as the rows the metrics pipeline writes (the inverse of
 * domain/metrics/rows.ts), and a writer that puts them into a database through the sql sink, the
 * way a run would: for benchmarks of `ledgersync report` over a database of any size.
 */
import type { MetricsSource, SubscriptionItemState, SubscriptionState } from '../../domain/metrics/model.js';
import type { SinkRecord } from '../../engine/connector/types.js';
import type { SqlSink } from '../../connectors/sql/sink.js';
import { context, record } from '../connectors/sql/helpers.js';

type Row = Record<string, unknown>;

const iso = (seconds: number | undefined) => (seconds === undefined ? undefined : new Date(seconds * 1000).toISOString());

function defined(row: Row): Row {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined));
}

function dates(state: SubscriptionState): Row {
  return {
    status: state.status,
    currency_code: state.currency,
    started_at: iso(state.startedAt),
    start_date: iso(state.startDate),
    activated_at: iso(state.activatedAt),
    trial_start: iso(state.trialStart),
    trial_end: iso(state.trialEnd),
    cancelled_at: iso(state.cancelledAt),
    pause_date: iso(state.pauseDate),
    resume_date: iso(state.resumeDate),
  };
}

function item(i: SubscriptionItemState): Row {
  return defined({
    item_price_id: i.itemPriceId,
    item_type: i.itemType,
    quantity: i.quantity,
    unit_price: i.unitPrice,
    amount: i.amount,
    billing_period: i.billingPeriod,
    billing_period_unit: i.billingPeriodUnit,
  });
}

/** Rows by table, in the order a run writes them; `deleted` rows are written as the sink's soft deletes. */
export function metricsRows(source: MetricsSource): Array<{ table: string; row: Row; deleted: boolean }> {
  const out: Array<{ table: string; row: Row; deleted: boolean }> = [];
  const add = (table: string, row: Row, deleted = false) => out.push({ table, row: defined(row), deleted });
  for (const p of source.itemPrices) {
    add('item_prices', { id: p.id, item_type: p.itemType, period: p.period, period_unit: p.periodUnit, price: p.price, currency_code: p.currency });
  }
  for (const c of source.coupons) {
    add('coupons', {
      id: c.id,
      discount_type: c.discountType,
      discount_percentage: c.discountPercentage,
      discount_amount: c.discountAmount,
      currency_code: c.currency,
      duration_type: c.durationType,
      apply_on: c.applyOn,
      item_constraints: c.itemConstraints?.map((k) => defined({ item_type: k.itemType, constraint: k.constraint, item_price_ids: k.itemPriceIds })),
    });
  }
  source.subscriptions.forEach((s, n) => {
    const version = s.updatedAt ?? n;
    const deleted = s.deletedAt !== undefined;
    add('subscriptions', { id: s.id, customer_id: s.customerId, ...dates(s.state), updated_at: iso(s.updatedAt), resource_version: version }, deleted);
    for (const i of s.state.items) add('subscription_items', { subscription_id: s.id, subscription_version: version, ...item(i) }, deleted);
    for (const c of s.state.coupons) {
      add(
        'subscription_coupons',
        { subscription_id: s.id, coupon_id: c.couponId, subscription_version: version, apply_till: iso(c.applyTill), applied_count: c.appliedCount },
        deleted,
      );
    }
  });
  for (const e of source.snapshots) {
    add('subscription_snapshots', {
      event_id: e.eventId,
      event_type: e.deleted ? 'subscription_deleted' : 'subscription_changed',
      occurred_at: iso(e.occurredAt),
      subscription_id: e.subscriptionId,
      customer_id: e.customerId,
      resource_version: e.resourceVersion,
      ...dates(e.state),
      items: e.state.items.map(item),
      coupons: e.state.coupons.map((c) => defined({ coupon_id: c.couponId, apply_till: iso(c.applyTill), applied_count: c.appliedCount })),
      subscription_deleted: e.deleted,
    });
  }
  return out;
}

/** Writes the rows through an opened sink in batches of `batch`, as a run's pages land; returns the rows written. */
export async function writeMetricsRows(sink: SqlSink, source: MetricsSource, batch = 1000): Promise<number> {
  const rows = metricsRows(source);
  const ctx = context();
  for (let start = 0; start < rows.length; start += batch) {
    const records: SinkRecord[] = rows
      .slice(start, start + batch)
      .map(({ table, row, deleted }, k) => record(table, row, { sourceId: `${table}:${start + k}`, deleted, action: deleted ? 'delete' : 'upsert' }));
    const results = await sink.write(records, ctx);
    const failed = results.find((r) => r.status === 'failed');
    if (failed) throw new Error(`a bench row was refused: ${JSON.stringify(failed)}`);
  }
  return rows.length;
}

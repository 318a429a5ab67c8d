/**
 * A month's figure changes only when a fact about that month arrives:
 * - a later sync does not restate months an earlier report gave: the example pipeline keeps every
 *   subscription record it lists as a snapshot (`subscription_listed`), so the state the first run read
 *   still governs its months after the `subscriptions` row is replaced;
 * - a later observation's cancellation and pause dates govern the instants they cover, whether or not
 *   an earlier event was synced (a cancellation backdated in Chargebee).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { report } from '../../../app/report.js';
import type { MetricsSource, SubscriptionRecord, SubscriptionSnapshot, SubscriptionState } from '../../../domain/metrics/model.js';
import { computeReports } from '../../../domain/metrics/report.js';
import { silentLogger } from '../../../engine/log.js';
import { runPipeline } from '../../../engine/run/runner.js';
import { startFakeChargebee, type FakeChargebee } from '../../fakes/chargebee/index.js';
import type { StoredRecord } from '../../fakes/chargebee/state.js';
import { chargebeeEnv, tempDir } from '../../e2e/helpers.js';
import { METRICS_PIPELINE } from '../../e2e/metrics-helpers.js';

const utc = (y: number, m: number, d: number, h = 12) => Date.UTC(y, m - 1, d, h) / 1000;
const START = utc(2025, 10, 5);

type Month = { mrr: string; new: string; expansion: string; churn: string; reactivation: string };

/** One customer with one per-seat plan (10.00 a seat) on the fake Chargebee, synced by the example pipeline with a go-live date. */
async function startSite(subscription: Record<string, unknown>, now: number) {
  const clock = { now };
  const fake: FakeChargebee = await startFakeChargebee({ customers: 0, now: () => clock.now });
  const work = tempDir('metrics-restatement-');
  const doc = parseDocument(readFileSync(METRICS_PIPELINE, 'utf8'));
  // Go-live: no event before it is read; subscriptions are read whole.
  doc.setIn(['start_date'], '2026-01-01');
  const pipeline = join(work.dir, 'metrics.yaml');
  writeFileSync(pipeline, doc.toString());
  const t0 = utc(2025, 1, 1);
  fake.state.insertSeeded('items', {
    id: 'seat',
    object: 'item',
    name: 'Seat',
    type: 'plan',
    status: 'active',
    item_family_id: 'fam',
    updated_at: t0,
    resource_version: 1,
  } as StoredRecord);
  fake.state.insertSeeded('item_prices', {
    id: 'seat-USD-monthly',
    object: 'item_price',
    item_id: 'seat',
    name: 'Seat USD monthly',
    item_type: 'plan',
    pricing_model: 'per_unit',
    price: 1000,
    period: 1,
    period_unit: 'month',
    currency_code: 'USD',
    status: 'active',
    updated_at: t0,
    resource_version: 1,
  } as StoredRecord);
  fake.state.insertSeeded('customers', {
    id: 'cus_1',
    object: 'customer',
    first_name: 'Ada',
    last_name: 'L',
    created_at: t0,
    updated_at: t0,
    resource_version: 1,
    deleted: false,
  } as StoredRecord);
  fake.state.insertSeeded('subscriptions', {
    object: 'subscription',
    id: 'sub_1',
    customer_id: 'cus_1',
    currency_code: 'USD',
    billing_period: 1,
    billing_period_unit: 'month',
    deleted: false,
    start_date: START,
    started_at: START,
    activated_at: START,
    created_at: START,
    resource_version: 5,
    subscription_items: seats(1),
    ...subscription,
  } as StoredRecord);
  const env = { ...chargebeeEnv(fake, work.dir), METRICS_DB_PATH: join(work.dir, 'metrics.db') };
  return {
    fake,
    clock,
    async sync() {
      const result = await runPipeline({
        connectors: installedConnectors,
        pipelinePath: pipeline,
        statePath: join(work.dir, 'state.db'),
        env,
        log: silentLogger,
        now: () => clock.now,
      });
      expect(result.error).toBeUndefined();
      expect(result.exitCode).toBe(0);
    },
    async mrr(from: string, to: string): Promise<Record<string, Month>> {
      const out = await report({ connectors: installedConnectors, pipelinePath: pipeline, kind: 'mrr', format: 'json', from, to, env, now: () => clock.now });
      const months = (JSON.parse(out.text) as { months: Array<Month & { month: string }> }).months;
      return Object.fromEntries(months.map((m) => [m.month, m]));
    },
    async close() {
      await fake.close();
      work.cleanup();
    },
  };
}

function seats(quantity: number) {
  return [{ item_price_id: 'seat-USD-monthly', item_type: 'plan' as const, quantity, unit_price: 1000, amount: 1000 * quantity }];
}

const CLOSED = ['2025-11', '2025-12', '2026-01', '2026-02'];
let site: Awaited<ReturnType<typeof startSite>> | undefined;
afterEach(async () => {
  await site?.close();
  site = undefined;
});

describe('a later sync leaves the months an earlier report gave as they were', () => {
  it('an upgrade in March (1 → 3 seats) leaves Nov–Feb at 10.00 and is March’s expansion', async () => {
    site = await startSite({ status: 'active', updated_at: utc(2026, 1, 10) }, utc(2026, 2, 20));
    await site.sync();
    const first = await site.mrr('2025-11', '2026-02');
    expect(CLOSED.map((m) => first[m]?.mrr)).toEqual(['10.00', '10.00', '10.00', '10.00']);

    site.clock.now = utc(2026, 3, 15);
    site.fake.state.touch('subscriptions', 'sub_1', { subscription_items: seats(3) });
    site.clock.now = utc(2026, 4, 20);
    await site.sync();
    const second = await site.mrr('2025-11', '2026-04');

    expect(CLOSED.map((m) => second[m])).toEqual(CLOSED.map((m) => first[m]));
    expect(second['2026-03']).toMatchObject({ mrr: '30.00', expansion: '20.00' });
  }, 60_000);

  it('a cancellation in December then a reactivation in March: the December churn stays, March reactivates', async () => {
    site = await startSite(
      { status: 'cancelled', cancelled_at: utc(2025, 12, 10), cancel_reason_code: 'Not Paid', updated_at: utc(2025, 12, 10) },
      utc(2026, 2, 20),
    );
    await site.sync();
    const first = await site.mrr('2025-11', '2026-02');
    expect(first['2025-12']).toMatchObject({ mrr: '0.00', churn: '-10.00' });
    expect(first['2026-02']?.mrr).toBe('0.00');

    // Chargebee's reactivation: active again, cancelled_at removed, activated_at the reactivation.
    site.clock.now = utc(2026, 3, 15);
    site.fake.state.touch(
      'subscriptions',
      'sub_1',
      { status: 'active', cancelled_at: undefined, cancel_reason_code: undefined, activated_at: utc(2026, 3, 15) },
      { eventType: 'subscription_reactivated' },
    );
    site.clock.now = utc(2026, 4, 20);
    await site.sync();
    const second = await site.mrr('2025-11', '2026-04');

    expect(CLOSED.map((m) => second[m])).toEqual(CLOSED.map((m) => first[m]));
    expect(second['2026-03']).toMatchObject({ mrr: '10.00', reactivation: '10.00' });
  }, 60_000);
});

const settings = { reportingCurrency: 'USD', timezone: 'UTC', exchangeRates: {} };
const state = (extra: Partial<SubscriptionState> = {}): SubscriptionState => ({
  status: 'active',
  currency: 'USD',
  startedAt: START,
  items: [{ itemPriceId: 'seat', itemType: 'plan', quantity: '1', unitPrice: '10.00' }],
  coupons: [],
  ...extra,
});
const snapshot = (eventId: string, at: number, s: SubscriptionState, resourceVersion?: number): SubscriptionSnapshot => ({
  eventId,
  subscriptionId: 'sub',
  customerId: 'cus',
  occurredAt: at,
  deleted: false,
  ...(resourceVersion !== undefined ? { resourceVersion } : {}),
  state: s,
});
const record = (at: number, s: SubscriptionState): SubscriptionRecord => ({ id: 'sub', customerId: 'cus', updatedAt: at, state: s });
const book = (p: Partial<MetricsSource>): MetricsSource => ({
  itemPrices: [{ id: 'seat', itemType: 'plan', period: 1, periodUnit: 'month' }],
  coupons: [],
  subscriptions: [],
  snapshots: [],
  invoiceLines: [],
  ...p,
});
/** Month → "mrr churn" in cents. */
const months = (source: MetricsSource) =>
  Object.fromEntries(
    computeReports(source, settings, { from: '2025-11', to: '2026-04', now: 0 }).mrr.months.map((m) => [m.month, `${m.mrr} ${m.movements.churn}`]),
  );

describe('history: observations kept, dates of later ones', () => {
  it('the kept listing of an earlier version governs its months; the newer record starts at its updated_at', () => {
    const v5 = state();
    const v6 = state({ items: [{ itemPriceId: 'seat', itemType: 'plan', quantity: '3', unitPrice: '10.00' }] });
    const firstSync = book({ subscriptions: [record(utc(2026, 1, 10), v5)], snapshots: [snapshot('listed:sub:5', utc(2026, 1, 10), v5, 5)] });
    const secondSync = book({
      subscriptions: [record(utc(2026, 3, 15), v6)],
      snapshots: [
        snapshot('listed:sub:5', utc(2026, 1, 10), v5, 5),
        snapshot('ev_change', utc(2026, 3, 15), v6, 6),
        snapshot('listed:sub:6', utc(2026, 3, 15), v6, 6),
      ],
    });
    const before = months(firstSync);
    const after = months(secondSync);
    for (const month of CLOSED) expect({ month, after: after[month] }).toEqual({ month, after: before[month] });
    expect(after['2026-03']).toBe('3000 0');
  });

  it('a cancellation backdated to February 1 churns in February whether or not a January event was synced', () => {
    const cancelled = state({ status: 'cancelled', cancelledAt: utc(2026, 2, 1, 0) });
    const cancelledRecord = record(utc(2026, 3, 10), cancelled);
    const withoutEarlier = months(book({ subscriptions: [cancelledRecord], snapshots: [snapshot('ev_cancel', utc(2026, 3, 10), cancelled)] }));
    const withEarlier = months(
      book({
        subscriptions: [cancelledRecord],
        snapshots: [snapshot('ev_renew', utc(2026, 1, 5), state()), snapshot('ev_cancel', utc(2026, 3, 10), cancelled)],
      }),
    );
    expect(withoutEarlier['2026-01']).toBe('1000 0');
    expect(withoutEarlier['2026-02']).toBe('0 -1000');
    expect(withEarlier).toEqual(withoutEarlier);
  });

  it('a pause a later observation dates (February 1 to April 1) governs February and March over a January event', () => {
    const paused = state({ status: 'paused', pauseDate: utc(2026, 2, 1, 0), resumeDate: utc(2026, 4, 1, 0) });
    const result = months(book({ subscriptions: [record(utc(2026, 3, 10), paused)], snapshots: [snapshot('ev_renew', utc(2026, 1, 5), state())] }));
    expect([result['2026-01'], result['2026-02'], result['2026-03'], result['2026-04']]).toEqual(['1000 0', '0 -1000', '0 0', '1000 0']);
  });

  it('a gap only inferred from a later observation (a live record with an old cancelled_at, no newer activated_at) does not override an earlier one', () => {
    // January's event saw it live; the March record still carries December's cancellation but no date
    // says when it came back: the gap ends by January's observation, not by March's.
    const liveWithOldCancellation = state({ cancelledAt: utc(2025, 12, 10) });
    const result = months(
      book({
        subscriptions: [record(utc(2026, 3, 10), liveWithOldCancellation)],
        snapshots: [
          snapshot('ev_cancel', utc(2025, 12, 10), state({ status: 'cancelled', cancelledAt: utc(2025, 12, 10) })),
          snapshot('ev_reactivate', utc(2026, 1, 5), state()),
        ],
      }),
    );
    expect([result['2025-11'], result['2025-12'], result['2026-01'], result['2026-02']]).toEqual(['1000 0', '0 -1000', '1000 0', '1000 0']);
  });
});

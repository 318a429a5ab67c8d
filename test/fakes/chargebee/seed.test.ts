import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MINOR_UNIT_EXPONENT, SEED_FACTS, startFakeChargebee, type FakeChargebee } from './index.js';
import { cbGet, listAll } from './test-client.js';

describe('fake Chargebee seed data', () => {
  let fake: FakeChargebee;
  beforeAll(async () => {
    fake = await startFakeChargebee();
  });
  afterAll(() => fake.close());

  test('the same seed gives the same site; another seed a different one', async () => {
    const again = await startFakeChargebee();
    const other = await startFakeChargebee({ seed: 2 });
    try {
      // Compared as JSON: the same bytes a client would receive, and much faster than a deep equal.
      for (const resource of ['customers', 'subscriptions', 'invoices', 'credit_notes', 'transactions', 'events'] as const) {
        expect(JSON.stringify(again.state.all(resource)), resource).toBe(JSON.stringify(fake.state.all(resource)));
      }
      expect(other.state.all('customers').map((c) => c.id)).not.toEqual(fake.state.all('customers').map((c) => c.id));
    } finally {
      await Promise.all([again.close(), other.close()]);
    }
  });

  test('hundreds of customers in five currencies, with the special names and shapes', () => {
    const customers = fake.state.all('customers');
    expect(customers).toHaveLength(300);
    expect(new Set(customers.map((c) => c.preferred_currency_code))).toEqual(new Set(['USD', 'EUR', 'GBP', 'JPY', 'KWD']));
    const byId = new Map(customers.map((c) => [c.id, c]));
    const special = fake.seedInfo.specialCustomers;
    expect(byId.get(special.zoe)).toMatchObject({ first_name: 'Zoë', last_name: 'Ångström' });
    expect(byId.get(special.zoe)).not.toHaveProperty('company');
    expect(byId.get(special.japaneseCompany)?.company).toBe('株式会社テスト');
    expect(byId.get(special.mullerGmbh)?.company).toBe('Müller GmbH');
    expect(byId.get(special.nameless)).not.toHaveProperty('first_name');
    expect(byId.get(special.nameless)).not.toHaveProperty('company');
    expect((byId.get(special.longCompany)?.company ?? '').length).toBeGreaterThan(100);
    expect(customers.filter((c) => c.company === 'Acme Corp')).toHaveLength(2);
    expect(customers.some((c) => c.company) && customers.some((c) => !c.company)).toBe(true);
  });

  test('legacy records have no updated_at and no resource_version', () => {
    const legacy = new Set(fake.seedInfo.legacyCustomerIds);
    expect(legacy.size).toBe(SEED_FACTS.legacyCustomerCount);
    for (const c of fake.state.all('customers').filter((c) => legacy.has(c.id))) expect(c).not.toHaveProperty('updated_at');
    const invoices = fake.state.all('invoices').filter((i) => legacy.has(i.customer_id));
    expect(invoices.length).toBeGreaterThan(0);
    for (const i of invoices) {
      expect(i).not.toHaveProperty('updated_at');
      expect(i).not.toHaveProperty('resource_version');
    }
  });

  test('invoice arithmetic holds in integer minor units', () => {
    const invoices = fake.state.all('invoices');
    expect(invoices.length).toBeGreaterThanOrEqual(600);
    for (const inv of invoices) {
      const lines = inv.line_items ?? [];
      expect(lines.length).toBeGreaterThanOrEqual(2);
      const amounts = [inv.total, inv.sub_total, inv.tax, inv.amount_due, inv.amount_paid, ...lines.map((l) => l.amount)];
      expect(amounts.every((a) => Number.isInteger(a))).toBe(true);
      const discounts = (inv.discounts ?? []).reduce((s, d) => s + d.amount, 0);
      expect(lines.reduce((s, l) => s + (l.discount_amount ?? 0), 0)).toBe(discounts);
      expect((inv.line_item_discounts ?? []).reduce((s, d) => s + d.discount_amount, 0)).toBe(discounts);
      expect(lines.reduce((s, l) => s + (l.amount ?? 0), 0)).toBe(inv.sub_total);
      expect((inv.line_item_taxes ?? []).reduce((s, t) => s + t.tax_amount, 0)).toBe(inv.tax);
      const taxPart = inv.price_type === 'tax_exclusive' ? inv.tax : 0;
      expect(inv.sub_total - discounts + taxPart + (inv.round_off_amount ?? 0)).toBe(inv.total);
      if (inv.status !== 'voided') {
        expect((inv.amount_paid ?? 0) + (inv.amount_adjusted ?? 0) + (inv.credits_applied ?? 0) + (inv.write_off_amount ?? 0) + (inv.amount_due ?? 0)).toBe(
          inv.total,
        );
        expect((inv.linked_payments ?? []).reduce((s, p) => s + p.applied_amount, 0)).toBe(inv.amount_paid);
      }
    }
    const statuses = new Set(invoices.map((i) => i.status));
    expect(statuses).toEqual(new Set(['paid', 'payment_due', 'not_paid', 'voided']));
    expect(new Set(invoices.map((i) => i.price_type))).toEqual(new Set(['tax_exclusive', 'tax_inclusive']));
    expect(invoices.some((i) => (i.round_off_amount ?? 0) !== 0)).toBe(true);
    expect(invoices.some((i) => (i.line_item_discounts ?? []).some((d) => d.discount_type === 'item_level_coupon'))).toBe(true);
    const entityTypes = new Set(invoices.flatMap((i) => (i.line_items ?? []).map((l) => l.entity_type)));
    expect(entityTypes).toEqual(new Set(['plan_item_price', 'addon_item_price', 'charge_item_price', 'adhoc']));
    expect(Object.keys(MINOR_UNIT_EXPONENT).every((cur) => invoices.some((i) => i.currency_code === cur))).toBe(true);
  });

  test('credit notes allocate to invoices, refunds link back, transactions link invoices', () => {
    const invoices = new Map(fake.state.all('invoices').map((i) => [i.id, i]));
    const notes = fake.state.all('credit_notes');
    const adjustments = notes.filter((n) => n.type === 'adjustment');
    expect(adjustments.length).toBeGreaterThan(0);
    for (const note of adjustments) {
      const allocation = note.allocations?.[0];
      expect(allocation?.allocated_amount).toBe(note.total);
      expect(invoices.get(allocation?.invoice_id ?? '')?.adjustment_credit_notes?.some((a) => a.cn_id === note.id)).toBe(true);
    }
    const refunded = notes.filter((n) => n.status === 'refunded');
    expect(refunded.length).toBeGreaterThan(0);
    const transactions = new Map(fake.state.all('transactions').map((t) => [t.id, t]));
    for (const note of refunded) {
      const refund = transactions.get(note.linked_refunds?.[0]?.txn_id ?? '');
      expect(refund).toMatchObject({ type: 'refund', amount: note.total });
      expect(refund?.linked_credit_notes?.[0]?.cn_id).toBe(note.id);
    }
    expect(new Set(notes.map((n) => n.status))).toEqual(new Set(['adjusted', 'refunded', 'refund_due', 'voided']));
    const payments = [...transactions.values()].filter((t) => t.type === 'payment' && t.status === 'success');
    for (const txn of payments) expect(invoices.get(txn.linked_invoices?.[0]?.invoice_id ?? '')?.linked_payments?.some((p) => p.txn_id === txn.id)).toBe(true);
    expect(new Set(payments.map((t) => t.gateway))).toEqual(new Set(['stripe', 'braintree', 'gocardless', 'not_applicable']));
    expect([...transactions.values()].some((t) => t.status === 'failure')).toBe(true);
  });

  test('item prices carry accounting details and skus', async () => {
    const { records } = await listAll(fake, 'item_prices', { limit: 100 });
    expect(records.length).toBeGreaterThan(30);
    for (const price of records) {
      expect(price['accounting_detail'].accounting_code).toMatch(/^[A-Z-]+$/);
      expect(price['accounting_detail'].sku).toContain(price['currency_code']);
      expect(Number.isInteger(price['price'])).toBe(true);
    }
    const families = await cbGet(fake, '/item_families');
    expect(families.json.list.map((e: any) => e.item_family.id)).toEqual(expect.arrayContaining(['cloud-platform', 'professional-services']));
  });
});

describe('fake Chargebee coupons and subscription histories', () => {
  let fake: FakeChargebee;
  beforeAll(async () => {
    fake = await startFakeChargebee();
  });
  afterAll(() => fake.close());

  test('coupons are listed as Coupon.list allows: sorted by created_at only, no include_deleted', async () => {
    const { records } = await listAll(fake, 'coupons', { limit: 100, 'sort_by[asc]': 'created_at', 'updated_at[after]': 1_600_000_000 });
    expect(new Set(records.map((c) => c['duration_type']))).toEqual(new Set(['forever', 'limited_period', 'one_time']));
    // Every coupon an invoice or a subscription names is listed.
    const named = new Set([
      ...fake.state.all('invoices').flatMap((i) => (i.line_item_discounts ?? []).map((d) => d.coupon_id ?? '')),
      ...fake.state.all('subscriptions').flatMap((s) => (s.coupons ?? []).map((c) => c.coupon_id)),
    ]);
    expect([...named].filter((id) => !records.some((c) => c['id'] === id))).toEqual([]);
    const seats = records.find((c) => c['id'] === 'SEATS5OFF')!;
    expect(seats).toMatchObject({ apply_on: 'each_specified_item', discount_type: 'percentage', discount_percentage: 5 });
    expect(seats['item_constraints']).toContainEqual(expect.objectContaining({ item_type: 'addon', constraint: 'specific' }));
    expect((await cbGet(fake, '/coupons', { 'sort_by[asc]': 'updated_at' })).status).toBe(400);
    expect((await cbGet(fake, '/coupons', { include_deleted: 'true' })).json).toMatchObject({ param: 'include_deleted' });
  });

  test("every subscription's events carry it as it was then, in order; the record keeps only its last state", () => {
    const histories = fake.seedInfo.subscriptionHistories;
    for (const [kind, ids] of Object.entries(histories)) expect(ids.length, kind).toBeGreaterThan(2);
    const events = fake.state.all('events').filter((e) => e.content['subscription'] !== undefined);
    const snapshots = (id: string) => events.filter((e) => (e.content['subscription'] as { id: string }).id === id);
    const subscriptions = new Map(fake.state.all('subscriptions').map((s) => [s.id, s]));
    for (const [id, subscription] of subscriptions) {
      const own = snapshots(id);
      expect(own[0]?.event_type, id).toBe('subscription_created');
      const times = own.map((e) => e.occurred_at);
      expect(times, id).toEqual([...times].sort((a, b) => a - b));
      // The last event holds the record as listed (a deletion comes last for deleted customers).
      const last = own.at(-1)!.content['subscription'] as Record<string, unknown>;
      expect(last['resource_version'], id).toBe(subscription.resource_version);
      expect(last['status'], id).toBe(subscription.status);
    }
    const trial = subscriptions.get(histories.trial[0]!)!;
    expect(snapshots(trial.id)[0]?.content['subscription']).toMatchObject({ status: 'in_trial', trial_start: trial.started_at, trial_end: trial.trial_end });
    for (const id of histories.reactivated) {
      expect(subscriptions.get(id)).not.toHaveProperty('cancelled_at');
      const kinds = snapshots(id).map((e) => e.event_type);
      expect(kinds.indexOf('subscription_reactivated')).toBeGreaterThan(kinds.indexOf('subscription_cancelled'));
    }
    for (const id of histories.scheduledCancellation) {
      const scheduled = snapshots(id).find((e) => e.event_type === 'subscription_cancellation_scheduled')!;
      const state = scheduled.content['subscription'] as Record<string, number>;
      expect(state['status']).toBe('non_renewing');
      expect(state['cancelled_at']).toBeGreaterThan(scheduled.occurred_at);
    }
    for (const id of histories.seatChange) {
      const [created, ...later] = snapshots(id).map((e) => JSON.stringify((e.content['subscription'] as Record<string, unknown>)['subscription_items']));
      expect(
        later.some((items) => items !== created),
        id,
      ).toBe(true);
    }
    expect([...subscriptions.values()].some((s) => s.currency_code === 'EUR' && s.status === 'active')).toBe(true);
  });
});

describe('fake Chargebee state mutations', () => {
  test('touch, create, delete bump updated_at to the clock and resource_version strictly, and append events', async () => {
    const fake = await startFakeChargebee({ customers: 20 });
    try {
      fake.state.setClock(1_800_000_000);
      const ids = fake.state
        .all('invoices')
        .filter((i) => !i.deleted)
        .slice(0, 5)
        .map((i) => i.id);
      const versions = ids.map((id) => fake.state.touch('invoices', id, { po_number: 'PO-NEW' }).resource_version ?? 0);
      expect(versions.every((v, i) => i === 0 || v > (versions[i - 1] ?? 0))).toBe(true);
      expect(versions[0]).toBe(1_800_000_000_000);
      for (const id of ids) expect(fake.state.get('invoices', id)).toMatchObject({ updated_at: 1_800_000_000, po_number: 'PO-NEW' });
      const same = await cbGet(fake, '/invoices', { 'updated_at[on]': 1_800_000_000, limit: 100 });
      expect(same.json.list).toHaveLength(5);

      const created = fake.state.create('customers', {
        first_name: 'Ødegaard',
        auto_collection: 'off',
        net_term_days: 0,
        allow_direct_debit: false,
        promotional_credits: 0,
        unbilled_charges: 0,
        refundable_credits: 0,
        excess_payments: 0,
      });
      expect(created).toMatchObject({ object: 'customer', deleted: false, updated_at: 1_800_000_000, created_at: 1_800_000_000 });
      expect((await cbGet(fake, `/customers/${created.id}`)).json.customer.first_name).toBe('Ødegaard');

      const deleted = fake.state.delete('customers', created.id);
      expect(deleted.deleted).toBe(true);
      expect((await cbGet(fake, `/customers/${created.id}`)).status).toBe(404);

      const events = fake.state.all('events').filter((e) => e.occurred_at === 1_800_000_000);
      expect(events.map((e) => e.event_type)).toEqual([...ids.map(() => 'invoice_updated'), 'customer_created', 'customer_deleted']);
      expect(events[0]?.content).toMatchObject({ invoice: { id: ids[0], po_number: 'PO-NEW' } });
      expect(() => fake.state.touch('invoices', 'missing', {})).toThrow(/no invoices with id/);
      expect(fake.state.touch('invoices', ids[0] ?? '', { po_number: undefined })).not.toHaveProperty('po_number');
    } finally {
      await fake.close();
    }
  });
});

/**
 * The table design read back: rows stored in SQLite the way the sql sink stores each column type
 * (tables.ts), read with better-sqlite3, turned into the model and reported.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { computeReports } from '../../../domain/metrics/report.js';
import { mrrJson } from '../../../domain/metrics/render/json.js';
import { metricsSourceFromRows, type MetricsRows } from '../../../domain/metrics/rows.js';
import { METRICS_TABLES, REPORT_INPUT_TABLES, type ColumnType } from '../../../domain/metrics/tables.js';

const SQLITE: Record<ColumnType, string> = { text: 'TEXT', integer: 'INTEGER', decimal: 'TEXT', boolean: 'INTEGER', timestamp: 'TEXT', json: 'TEXT' };

function database(): Database.Database {
  const db = new Database(':memory:');
  for (const table of METRICS_TABLES) {
    const columns = table.columns.map((c) => `"${c.name}" ${SQLITE[c.type]}${c.required ? ' NOT NULL' : ''}`);
    db.exec(`CREATE TABLE "${table.name}" (${columns.join(', ')}, PRIMARY KEY (${table.primaryKey.map((k) => `"${k}"`).join(', ')}))`);
  }
  return db;
}

function insert(db: Database.Database, table: string, row: Record<string, unknown>): void {
  const names = Object.keys(row);
  db.prepare(`INSERT INTO "${table}" (${names.map((n) => `"${n}"`).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`).run(...Object.values(row));
}

function read(db: Database.Database): MetricsRows {
  return Object.fromEntries(REPORT_INPUT_TABLES.map((name) => [name, db.prepare(`SELECT * FROM "${name}"`).all()])) as unknown as MetricsRows;
}

describe('the metrics tables', () => {
  it('every table has a primary key among its columns, required key columns and deleted_at', () => {
    for (const table of METRICS_TABLES) {
      const names = table.columns.map((c) => c.name);
      expect(new Set(names).size, table.name).toBe(names.length);
      for (const key of table.primaryKey) expect(table.columns.find((c) => c.name === key)?.required, `${table.name}.${key}`).toBe(true);
      expect(names, table.name).toContain('deleted_at');
    }
    expect(METRICS_TABLES.map((t) => t.name)).toEqual(expect.arrayContaining([...REPORT_INPUT_TABLES]));
  });

  it('are read back from SQLite into MRR: current items only, snapshots from JSON, voided and deleted invoices left out', () => {
    const db = database();
    insert(db, 'item_prices', { id: 'plan-EUR-yearly', item_type: 'plan', period: 1, period_unit: 'year', price: '1200.00', currency_code: 'EUR' });
    insert(db, 'item_prices', { id: 'seat-EUR-yearly', item_type: 'addon', period: 1, period_unit: 'year', price: '120.00', currency_code: 'EUR' });
    insert(db, 'coupons', {
      id: 'SEATS25',
      discount_type: 'percentage',
      discount_percentage: '25',
      duration_type: 'forever',
      apply_on: 'each_specified_item',
      item_constraints: JSON.stringify([{ item_type: 'addon', constraint: 'specific', item_price_ids: ['seat-EUR-yearly'] }]),
    });
    insert(db, 'subscriptions', {
      id: 'sub_1',
      customer_id: 'cus_1',
      status: 'active',
      currency_code: 'EUR',
      started_at: '2026-01-15T09:00:00Z',
      updated_at: '2026-03-01T00:00:00Z',
      resource_version: 3,
    });
    insert(db, 'subscription_items', {
      subscription_id: 'sub_1',
      item_price_id: 'plan-EUR-yearly',
      subscription_version: 3,
      item_type: 'plan',
      quantity: '1',
      unit_price: '1200.00',
    });
    insert(db, 'subscription_items', {
      subscription_id: 'sub_1',
      item_price_id: 'seat-EUR-yearly',
      subscription_version: 3,
      item_type: 'addon',
      quantity: '4',
      unit_price: '120.00',
    });
    // Removed from the subscription at version 3: its row stays behind with version 2.
    insert(db, 'subscription_items', {
      subscription_id: 'sub_1',
      item_price_id: 'old-addon',
      subscription_version: 2,
      item_type: 'addon',
      quantity: '1',
      unit_price: '999.00',
    });
    insert(db, 'subscription_coupons', { subscription_id: 'sub_1', coupon_id: 'SEATS25', subscription_version: 3 });
    // Before March: one seat (event snapshot, JSON columns).
    insert(db, 'subscription_snapshots', {
      event_id: 'ev_1',
      event_type: 'subscription_created',
      occurred_at: '2026-01-15T09:00:00Z',
      subscription_id: 'sub_1',
      customer_id: 'cus_1',
      status: 'active',
      currency_code: 'EUR',
      started_at: '2026-01-15T09:00:00Z',
      items: JSON.stringify([
        { item_price_id: 'plan-EUR-yearly', item_type: 'plan', quantity: '1', unit_price: '1200.00' },
        { item_price_id: 'seat-EUR-yearly', item_type: 'addon', quantity: '1', unit_price: '120.00' },
      ]),
      coupons: JSON.stringify([{ coupon_id: 'SEATS25' }]),
      subscription_deleted: 0,
    });
    // A deleted subscription (soft-deleted row) and its snapshot: nowhere.
    insert(db, 'subscriptions', {
      id: 'sub_2',
      customer_id: 'cus_2',
      status: 'active',
      currency_code: 'EUR',
      started_at: '2026-01-01T00:00:00Z',
      deleted_at: '2026-02-10T00:00:00Z',
    });
    insert(db, 'subscription_items', { subscription_id: 'sub_2', item_price_id: 'plan-EUR-yearly', item_type: 'plan', quantity: '1', unit_price: '1200.00' });
    // Known only from invoices: a voided one and a deleted one never count, the paid one does.
    const line = (invoice: string, extra: Record<string, unknown>) => ({
      invoice_id: invoice,
      id: `li_${invoice}`,
      invoice_date: '2026-02-01T00:00:00Z',
      customer_id: 'cus_3',
      subscription_id: 'sub_3',
      entity_type: 'plan_item_price',
      item_price_id: 'plan-EUR-yearly',
      quantity: '1',
      unit_amount: '1200.00',
      amount: '1200.00',
      date_from: '2026-02-01T00:00:00Z',
      date_to: '2027-02-01T00:00:00Z',
      currency_code: 'EUR',
      ...extra,
    });
    insert(db, 'invoice_lines', line('inv_paid', { invoice_status: 'paid', permanent_discount_amount: '120.00' }));
    insert(db, 'invoice_lines', line('inv_void', { invoice_status: 'voided', unit_amount: '5000.00', amount: '5000.00' }));
    insert(db, 'invoice_lines', line('inv_gone', { invoice_status: 'paid', deleted_at: '2026-02-02T00:00:00Z', unit_amount: '7000.00', amount: '7000.00' }));

    const source = metricsSourceFromRows(read(db));
    expect(source.subscriptions.find((s) => s.id === 'sub_1')?.state.items.map((i) => i.itemPriceId)).toEqual(['plan-EUR-yearly', 'seat-EUR-yearly']);
    const reports = computeReports(
      source,
      { reportingCurrency: 'EUR', timezone: 'Europe/Paris', exchangeRates: {} },
      { from: '2026-01', to: '2026-03', now: 0 },
    );
    expect(JSON.parse(mrrJson(reports.mrr)).months.map((m: any) => [m.month, m.mrr, m.customers, m.new, m.expansion])).toEqual([
      // cus_1: plan 1200/12 = 100 + 1 seat 120/12 × 0.75 = 7.50
      ['2026-01', '107.50', 1, '107.50', '0.00'],
      // + cus_3 from the paid invoice line: (1200 − 120) / 12 = 90
      ['2026-02', '197.50', 2, '90.00', '0.00'],
      // cus_1 at 4 seats: 100 + 4 × 10 × 0.75 = 130 → +22.50
      ['2026-03', '220.00', 2, '0.00', '22.50'],
    ]);
  });

  it('says which table and column holds a value it cannot read', () => {
    const rows = { ...Object.fromEntries(REPORT_INPUT_TABLES.map((t) => [t, []])) } as unknown as Record<string, unknown[]>;
    rows['subscriptions'] = [{ id: 's', customer_id: 'c', status: 'active', currency_code: 'USD', started_at: 'last tuesday' }];
    expect(() => metricsSourceFromRows(rows as unknown as MetricsRows)).toThrow('subscriptions.started_at holds "last tuesday", not a timestamp');
  });
});

describe('a value the report cannot read', () => {
  it('names its table, column and value, and the row it is in', () => {
    const tables = {
      ...Object.fromEntries(REPORT_INPUT_TABLES.map((name) => [name, []])),
      subscriptions: [{ id: 'sub_42', customer_id: 'cus_1', status: 'active', currency_code: 'USD', updated_at: 'yesterday' }],
    } as unknown as MetricsRows;
    let thrown: unknown;
    try {
      metricsSourceFromRows(tables);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({
      code: 'invalid_metrics_row',
      kind: 'config',
      message: 'subscriptions.updated_at holds "yesterday", not a timestamp (the subscriptions row with id "sub_42")',
      details: { table: 'subscriptions', column: 'updated_at', row: { id: 'sub_42' } },
    });
  });
});

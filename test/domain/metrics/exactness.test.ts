/**
 * Issue 15 part 5: the fixture in fixture.ts with its month-by-month figures computed by hand below
 * and in expected.ts (USD, month ends in New York). Nothing here is computed by the code under test.
 */
import { describe, expect, it } from 'vitest';
import { computeReports } from '../../../domain/metrics/report.js';
import { churnJson, cohortsJson, mrrJson } from '../../../domain/metrics/render/json.js';
import { EXPECTED_MRR_2026 } from './expected.js';
import { settings, source, utc } from './fixture.js';

const now = utc(2026, 6, 20);

describe('MRR of the hand-computed fixture, 2026-01 … 2026-06', () => {
  const reports = computeReports(source, settings, { from: '2026-01', to: '2026-06', now });

  it('MRR, customers and movements per month', () => {
    // Dec 2025 (the month before --from): C 100 → MRR 100.00, 1 customer.
    expect(JSON.parse(mrrJson(reports.mrr))).toEqual(EXPECTED_MRR_2026);
  });

  it('churn rates per month', () => {
    expect(JSON.parse(churnJson(reports.churn)).months).toEqual([
      // Against Dec 2025: 1 customer, 100.00.
      {
        month: '2026-01',
        customers_at_start: 1,
        churned_customers: 0,
        logo_churn_rate: '0.00',
        mrr_at_start: '100.00',
        lost_mrr: '0.00',
        gross_revenue_churn_rate: '0.00',
        net_revenue_churn_rate: '0.00',
      },
      {
        month: '2026-02',
        customers_at_start: 5,
        churned_customers: 0,
        logo_churn_rate: '0.00',
        mrr_at_start: '538.67',
        lost_mrr: '0.00',
        gross_revenue_churn_rate: '0.00',
        net_revenue_churn_rate: '0.00',
      },
      // 2 of 7 = 28.571…; 200 / 813.58 = 24.5827…; (200 − 11.75) / 813.58 = 23.1384…
      {
        month: '2026-03',
        customers_at_start: 7,
        churned_customers: 2,
        logo_churn_rate: '28.57',
        mrr_at_start: '813.58',
        lost_mrr: '-200.00',
        gross_revenue_churn_rate: '24.58',
        net_revenue_churn_rate: '23.14',
      },
      // 11.75 / 625.33 = 1.8790…; (11.75 − 18) / 625.33 = −0.99947…
      {
        month: '2026-04',
        customers_at_start: 5,
        churned_customers: 0,
        logo_churn_rate: '0.00',
        mrr_at_start: '625.33',
        lost_mrr: '-11.75',
        gross_revenue_churn_rate: '1.88',
        net_revenue_churn_rate: '-1.00',
      },
      {
        month: '2026-05',
        customers_at_start: 6,
        churned_customers: 0,
        logo_churn_rate: '0.00',
        mrr_at_start: '721.58',
        lost_mrr: '0.00',
        gross_revenue_churn_rate: '0.00',
        net_revenue_churn_rate: '0.00',
      },
      // 1 of 8 = 12.5; 90 / 921.58 = 9.7658…
      {
        month: '2026-06',
        customers_at_start: 8,
        churned_customers: 1,
        logo_churn_rate: '12.50',
        mrr_at_start: '921.58',
        lost_mrr: '-90.00',
        gross_revenue_churn_rate: '9.77',
        net_revenue_churn_rate: '9.77',
      },
    ]);
  });

  it('revenue retention by start month', () => {
    const cohorts = JSON.parse(cohortsJson(reports.cohorts)).cohorts;
    // C started in Dec 2025, before --from: in no cohort shown. F is deleted.
    expect(cohorts.map((c: any) => [c.cohort, c.customers, c.starting_mrr])).toEqual([
      ['2026-01', 4, '438.67'], // A 117 + E 121.666… + H 100 + I 100
      ['2026-02', 2, '274.92'], // B 166.666… + D 108.25
      ['2026-04', 1, '90.00'], // G
    ]);
    const grid = cohorts.map((c: any) => c.months.map((m: any) => `${m.month} ${m.mrr} ${m.revenue_retention} ${m.customers} ${m.logo_retention}`));
    expect(grid[0]).toEqual([
      '2026-01 438.67 100.00 4 100.00',
      '2026-02 438.67 100.00 4 100.00',
      '2026-03 338.67 77.20 3 75.00', // I paused: 338.666… ; 338.67 / 438.67 = 77.2038…
      '2026-04 356.67 81.31 3 75.00', // A +18: 356.666… ; 356.67 / 438.67 = 81.3071…
      '2026-05 456.67 104.10 4 100.00', // I back: 456.67 / 438.67 = 104.1033…
      '2026-06 456.67 104.10 4 100.00',
    ]);
    expect(grid[1]).toEqual([
      '2026-02 274.92 100.00 2 100.00',
      '2026-03 286.67 104.27 2 100.00', // D at 1.2: 166.666… + 120 = 286.666… ; 286.67 / 274.92 = 104.2740…
      '2026-04 274.92 100.00 2 100.00',
      '2026-05 274.92 100.00 2 100.00',
      '2026-06 274.92 100.00 2 100.00',
    ]);
    expect(grid[2]).toEqual(['2026-04 90.00 100.00 1 100.00', '2026-05 90.00 100.00 1 100.00', '2026-06 0.00 0.00 0 0.00']);
  });

  it('--from does not reset history: April on its own has the same figures, and May still sees reactivations', () => {
    const late = computeReports(source, settings, { from: '2026-04', to: '2026-06', now });
    const full = JSON.parse(mrrJson(reports.mrr)).months.slice(3);
    expect(JSON.parse(mrrJson(late.mrr)).months).toEqual(full);
    expect(late.mrr.months[1]?.movements.reactivation).toBe(20000n);
  });

  it('without --from the report starts at the first month with data, measured against an empty month', () => {
    const all = computeReports(source, settings, { to: '2026-02', now });
    // Dec 2025: C alone, new; against Nov 2025 (nothing).
    expect(JSON.parse(mrrJson(all.mrr)).months[0]).toMatchObject({ month: '2025-12', mrr: '100.00', customers: 1, new: '100.00' });
  });

  it('in UTC the same data ends months elsewhere: H (Jan 31 23:30 in New York) moves to February', () => {
    const inUtc = computeReports(source, { ...settings, timezone: 'UTC' }, { from: '2026-01', to: '2026-02', now });
    expect(inUtc.mrr.months.map((m) => [m.month, m.mrr, m.movements.new])).toEqual([
      // Jan: A 117 + C 100 + E 121.666… + I 100 = 438.666… → 438.67; new = 338.666…, change 438.67 − 100.00 = 338.67.
      ['2026-01', 43867n, 33867n],
      // Feb: + H 100 + B 166.666… + D 108.25 = 813.58333… → 813.58; new = 374.91666…, change 813.58 − 438.67 = 374.91.
      ['2026-02', 81358n, 37491n],
    ]);
  });
});

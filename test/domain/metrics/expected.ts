/**
 * The MRR report of the hand-computed fixture (fixture.ts), 2026-01 … 2026-06, USD, month ends in
 * New York: every figure worked out by hand in the comments, none computed by the code under test.
 * The domain's exactness test and the pipeline-path test (test/e2e/metrics-fixture.test.ts: the
 * same fixture as Chargebee records, through the pipeline, the database and the CLI) both expect it.
 */
export const EXPECTED_MRR_2026 = {
  currency: 'USD',
  months: [
    // Jan: A 117 + C 100 + E 121.666… + H 100 + I 100 = 538.666… → 538.67 (5 customers; B in trial, D not started).
    // new = A 117 + E 121.666… + H 100 + I 100 = 438.666…; change = 538.67 − 100.00 = 438.67.
    // Temporary: LAUNCH50 on E, 50 off a monthly invoice = 50.00.
    {
      month: '2026-01',
      mrr: '538.67',
      customers: 5,
      new: '438.67',
      expansion: '0.00',
      contraction: '0.00',
      churn: '0.00',
      reactivation: '0.00',
      temporary_discounts: '50.00',
    },
    // Feb: + B 2000/12 = 166.666… + D 100 EUR × 1.0825 = 108.25 → 538.666… + 274.91666… = 813.58333… → 813.58 (7 customers).
    // new exactly 274.91666…, but the month's change is 813.58 − 538.67 = 274.91: movements sum to the change.
    {
      month: '2026-02',
      mrr: '813.58',
      customers: 7,
      new: '274.91',
      expansion: '0.00',
      contraction: '0.00',
      churn: '0.00',
      reactivation: '0.00',
      temporary_discounts: '50.00',
    },
    // Mar: C cancelled Mar 15 (−100), I paused Mar 10 (−100), D at the March rate 100 × 1.2 = 120 (+11.75, rates alone).
    // 813.58333… − 200 + 11.75 = 625.33333… → 625.33 (5 customers); change −188.25 = 11.75 − 200.
    {
      month: '2026-03',
      mrr: '625.33',
      customers: 5,
      new: '0.00',
      expansion: '11.75',
      contraction: '0.00',
      churn: '-200.00',
      reactivation: '0.00',
      temporary_discounts: '50.00',
    },
    // Apr: A 5 seats from Apr 15: 150 × 0.9 = 135 (+18); D back to 1.0825: 108.25 (−11.75); G from its invoice line: 100 − 10 = 90 (new).
    // 625.33333… + 18 − 11.75 + 90 = 721.58333… → 721.58 (6 customers); change 96.25. LAUNCH50 ended Apr 10: 0.
    {
      month: '2026-04',
      mrr: '721.58',
      customers: 6,
      new: '90.00',
      expansion: '18.00',
      contraction: '-11.75',
      churn: '0.00',
      reactivation: '0.00',
      temporary_discounts: '0.00',
    },
    // May: C reactivated May 3 (+100), I resumed May 20 (+100): both had MRR before March → reactivation. 921.58 (8).
    {
      month: '2026-05',
      mrr: '921.58',
      customers: 8,
      new: '0.00',
      expansion: '0.00',
      contraction: '0.00',
      churn: '0.00',
      reactivation: '200.00',
      temporary_discounts: '0.00',
    },
    // Jun: G's last line ends Jun 1 10:00 UTC, before the June month end: churn −90. 831.58 (7).
    {
      month: '2026-06',
      mrr: '831.58',
      customers: 7,
      new: '0.00',
      expansion: '0.00',
      contraction: '0.00',
      churn: '-90.00',
      reactivation: '0.00',
      temporary_discounts: '0.00',
    },
  ],
};

/** `$monthly()`: a price for its billing period → one month, as an exact decimal string, never a float. */
import { describe, expect, it } from 'vitest';
import { LedgersyncError } from '../../../engine/errors.js';
import { monthlyAmount } from '../../../domain/metrics/normalise.js';

describe('$monthly(amount, period, period_unit)', () => {
  it.each([
    ['100.00', 1, 'month', '100.00'],
    ['300.00', 3, 'month', '100.00'],
    ['1200.00', 1, 'year', '100.00'],
    ['1000.00', 1, 'year', '83.333333'],
    ['2000.00', 2, 'year', '83.333333'],
    ['5.00', 1, 'week', '21.666667'],
    ['5.00', 2, 'week', '10.833333'],
    ['1.00', 1, 'day', '30.416667'],
    ['12', 1, 'day', '365'],
    ['0.005', 1, 'year', '0.000417'],
    ['-49.99', 1, 'month', '-49.99'],
    ['1234.567', 1, 'month', '1234.567'],
    // 0.1 + 0.2 is not 0.3 in floats; here it never is a float.
    ['0.30', 3, 'month', '0.10'],
  ])('%s every %s %s → %s', (amount, period, unit, expected) => {
    expect(monthlyAmount(amount, period, unit)).toBe(expected);
  });

  it('reads the period as a whole number given as text, and 1 when absent', () => {
    expect(monthlyAmount('120.00', '12', 'month')).toBe('10.00');
    expect(monthlyAmount('120.00', undefined, 'month')).toBe('120.00');
  });

  it('gives nothing for no amount, but still refuses an unknown period unit', () => {
    expect(monthlyAmount(undefined, 1, 'month')).toBeUndefined();
    expect(() => monthlyAmount(undefined, 1, 'fortnight')).toThrow(LedgersyncError);
  });

  it('refuses an unknown period unit with the fix, and a period that is not a positive whole number', () => {
    let error: unknown;
    try {
      monthlyAmount('10.00', 1, 'fortnight');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'unknown_period_unit', kind: 'record' });
    expect((error as LedgersyncError).message).toBe(
      'the price has period unit "fortnight", which MRR cannot normalise to a month (expected day, week, month, year)',
    );
    expect((error as LedgersyncError).fix).toMatch(/day, week, month or year/);
    expect(() => monthlyAmount('10.00', 0, 'month')).toThrow(expect.objectContaining({ code: 'invalid_billing_period' }));
    expect(() => monthlyAmount('ten', 1, 'month')).toThrow(expect.objectContaining({ code: 'invalid_decimal' }));
  });
});

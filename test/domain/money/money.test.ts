import { describe, expect, it } from 'vitest';
import { currencyExponent, formatMinorUnits, money, parseDecimal, roundDecimal } from '../../../domain/money/money.js';

describe('money', () => {
  it('uses the ISO 4217 exponent of each currency', () => {
    expect(money(1234, 'USD')).toBe('12.34');
    expect(money(1234, 'JPY')).toBe('1234');
    expect(money(1234, 'KWD')).toBe('1.234');
    expect(money(1234, 'usd')).toBe('12.34');
    expect(currencyExponent('CLF')).toBe(4);
  });

  it('pads small and negative amounts', () => {
    expect(money(5, 'USD')).toBe('0.05');
    expect(money(-5, 'KWD')).toBe('-0.005');
    expect(money(0, 'EUR')).toBe('0.00');
    expect(money(-120, 'JPY')).toBe('-120');
  });

  it('is exact where float division is not', () => {
    // 1.005 * 100 is 100.49999999999999 in floating point; minor units never pass through a float
    expect(money(100_5, 'USD')).toBe('10.05');
    expect(money('900719925474099312', 'USD')).toBe('9007199254740993.12');
    expect(formatMinorUnits(10n ** 20n + 1n, 2)).toBe('1000000000000000000.01');
  });

  it('rejects non-integer amounts and unknown currencies as record errors', () => {
    expect(() => money(12.5, 'USD')).toThrow(/not an integer number of minor units/);
    expect(() => money(100, 'XYZ')).toThrowError(expect.objectContaining({ code: 'unknown_currency', kind: 'record' }));
  });

  it('parses and rounds decimal strings without floats', () => {
    expect(parseDecimal('12.345', 3)).toBe(12345n);
    expect(parseDecimal('-0.5', 2)).toBe(-50n);
    expect(() => parseDecimal('1.2345', 3)).toThrow(/more than 3 decimals/);
    expect(roundDecimal('1.23456', 4)).toBe('1.2346');
    expect(roundDecimal('2.675', 2)).toBe('2.68');
    expect(roundDecimal('-2.675', 2)).toBe('-2.68');
  });
});

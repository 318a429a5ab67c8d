import { describe, expect, it } from 'vitest';
import { currencyExponent, decimalToMinorUnits, formatMinor, money, parseDecimalToMinor } from '../../../domain/money/money.js';

const recordError = (code: string) => expect.objectContaining({ code, kind: 'record' });

describe('money: minor units ↔ decimal strings by ISO 4217 exponent', () => {
  it('formats minor units with each currency exponent', () => {
    expect(money(1234, 'USD')).toBe('12.34');
    expect(money(1234, 'JPY')).toBe('1234');
    expect(money(1234, 'KWD')).toBe('1.234');
    expect(money(1234, 'usd')).toBe('12.34');
    expect(money(12345, 'CLF')).toBe('1.2345');
    expect(currencyExponent(' eur ')).toBe(2);
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
    expect(money(10n ** 20n + 1n, 'USD')).toBe('1000000000000000000.01');
  });

  it('rejects non-integer amounts as record errors', () => {
    expect(() => money(12.5, 'USD')).toThrow(/not an integer number of minor units/);
    expect(() => money(2 ** 53, 'USD')).toThrowError(recordError('invalid_amount'));
    expect(() => money('12.50', 'USD')).toThrowError(recordError('invalid_amount'));
  });

  it('parses a decimal in a currency to its minor units without rounding', () => {
    expect(decimalToMinorUnits('12.30', 'USD')).toBe(1230n);
    expect(decimalToMinorUnits('1.234', 'KWD')).toBe(1234n);
    expect(decimalToMinorUnits('1234', 'JPY')).toBe(1234n);
    expect(decimalToMinorUnits('1234.000', 'JPY')).toBe(1234n);
    expect(decimalToMinorUnits('-0.5', 'USD')).toBe(-50n);
    expect(() => decimalToMinorUnits('12.345', 'USD')).toThrowError(
      expect.objectContaining({ code: 'decimal_precision', message: "'12.345' has more decimals than USD allows (2)" }),
    );
    expect(() => decimalToMinorUnits('12.5', 'JPY')).toThrowError(recordError('decimal_precision'));
    expect(() => decimalToMinorUnits('1e3', 'USD')).toThrowError(recordError('invalid_decimal'));
  });

  it('gives revenue recognition safe-integer minor units, and refuses what a number cannot hold', () => {
    expect(formatMinor(1234, 'USD')).toBe('12.34');
    expect(formatMinor(5, 'USD')).toBe('0.05');
    expect(formatMinor(-1234, 'KWD')).toBe('-1.234');
    expect(formatMinor(1234, 'JPY')).toBe('1234');
    expect(parseDecimalToMinor('12.30', 'USD')).toBe(1230);
    expect(parseDecimalToMinor('-0.00', 'USD')).toBe(0);
    expect(parseDecimalToMinor('90071992547409.91', 'USD')).toBe(Number.MAX_SAFE_INTEGER);
    expect(() => parseDecimalToMinor('90071992547409.92', 'USD')).toThrowError(recordError('invalid_amount'));
    expect(() => formatMinor(0.5, 'USD')).toThrowError(recordError('invalid_amount'));
    expect(() => parseDecimalToMinor('12.345', 'USD')).toThrow(/more decimals than USD allows/);
  });

  it('raises unknown_currency on every path, naming the currency and the fix', () => {
    for (const convert of [
      () => money(100, 'XYZ'),
      () => formatMinor(100, 'XYZ'),
      () => parseDecimalToMinor('1.00', 'XYZ'),
      () => decimalToMinorUnits('1', 'XYZ'),
    ]) {
      expect(convert).toThrowError(
        expect.objectContaining({
          code: 'unknown_currency',
          kind: 'record',
          message: expect.stringMatching(/^unknown currency code 'XYZ': it is not in the ISO 4217 list \(published \d{4}-\d{2}-\d{2}\)$/),
          fix: expect.stringContaining('currency code'),
          details: { currency: 'XYZ' },
        }),
      );
    }
    expect(() => money(100, '')).toThrowError(recordError('unknown_currency'));
    expect(() => money(100, 'XAU')).toThrowError(expect.objectContaining({ code: 'unknown_currency', message: expect.stringMatching(/XAU.*no minor unit/) }));
  });
});

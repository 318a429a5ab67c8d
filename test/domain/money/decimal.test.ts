import { describe, expect, it } from 'vitest';
import {
  amountText,
  canonicalDecimal,
  formatMinorUnits,
  multiplyDecimal,
  parseDecimal,
  roundDecimal,
  sameDecimal,
  sumDecimal,
} from '../../../domain/money/decimal.js';

const recordError = (code: string) => expect.objectContaining({ code, kind: 'record' });

describe('decimal strings', () => {
  it('accepts [+-]digits[.digits] only', () => {
    expect(canonicalDecimal('12.34')).toBe('12.34');
    expect(canonicalDecimal(' +007.50 ')).toBe('7.50');
    expect(canonicalDecimal('-0.005')).toBe('-0.005');
    expect(canonicalDecimal('000')).toBe('0');
    for (const text of ['1e3', '1,234.00', '.5', '5.', '', '-', '12.3.4', '0x10', 'NaN', '١٢']) expect(canonicalDecimal(text)).toBeUndefined();
  });

  it('parses to an integer at a scale, exactly, refusing lost decimals', () => {
    expect(parseDecimal('12.345', 3)).toBe(12345n);
    expect(parseDecimal('-0.5', 2)).toBe(-50n);
    expect(parseDecimal('+1.2000', 1)).toBe(12n);
    expect(parseDecimal('98765432109876543210.99', 2)).toBe(9876543210987654321099n);
    expect(() => parseDecimal('1.2345', 3)).toThrowError(expect.objectContaining({ code: 'decimal_precision', message: "'1.2345' has more than 3 decimals" }));
    expect(() => parseDecimal('1e3', 2)).toThrowError(recordError('invalid_decimal'));
  });

  it('formats an integer count of minor units at a scale', () => {
    expect(formatMinorUnits(1234, 2)).toBe('12.34');
    expect(formatMinorUnits(-5n, 3)).toBe('-0.005');
    expect(formatMinorUnits('7', 0)).toBe('7');
    expect(formatMinorUnits(10n ** 20n + 1n, 2)).toBe('1000000000000000000.01');
    expect(() => formatMinorUnits(1.5, 2)).toThrowError(recordError('invalid_amount'));
  });

  it('rounds half away from zero without floats', () => {
    expect(roundDecimal('1.23456', 4)).toBe('1.2346');
    expect(roundDecimal('2.675', 2)).toBe('2.68');
    expect(roundDecimal('-2.675', 2)).toBe('-2.68');
    expect(roundDecimal('-0.004', 2)).toBe('0.00');
    expect(roundDecimal('12', 2)).toBe('12.00');
  });

  it('multiplies by an exchange rate on integers, rounding half away from zero', () => {
    expect(multiplyDecimal('100.00', '1.0823', 2)).toBe('108.23');
    expect(multiplyDecimal('0.10', '3', 2)).toBe('0.30');
    expect(multiplyDecimal('1.005', '1', 2)).toBe('1.01');
    expect(multiplyDecimal('-2.5', '1.1', 2)).toBe('-2.75');
    expect(multiplyDecimal('12345678901234.56', '1.000001', 2)).toBe('12345691246913.46');
    expect(multiplyDecimal('1000', '0.0067', 0)).toBe('7');
    expect(multiplyDecimal('-0.001', '1', 2)).toBe('0.00');
    expect(() => multiplyDecimal('1', '1e-3', 2)).toThrowError(recordError('invalid_decimal'));
  });

  it('adds and subtracts exactly, at the largest scale written, never through floating point', () => {
    expect(sumDecimal(['1000.00', '-600', '-399.5'])).toBe('0.50');
    expect(sumDecimal(['0.1', '0.2'])).toBe('0.3');
    expect(sumDecimal(['10', '-12.345'])).toBe('-2.345');
    expect(sumDecimal(['-0.10', '0.1'])).toBe('0.00');
    expect(sumDecimal(['99999999999999999.99', '0.01'])).toBe('100000000000000000.00');
    expect(sumDecimal([])).toBe('0');
    expect(() => sumDecimal(['1', '2e3'])).toThrowError(recordError('invalid_decimal'));
  });

  it('compares amounts whatever their trailing zeros', () => {
    expect(sameDecimal('20', '20.00')).toBe(true);
    expect(sameDecimal('-0', '0.0')).toBe(true);
    expect(sameDecimal('20.01', '20.1')).toBe(false);
    expect(sameDecimal('-5', '5')).toBe(false);
    expect(sameDecimal('', '0')).toBe(false);
  });

  it('passes mapped amounts as exact text and refuses floats', () => {
    expect(amountText('12.3456', 'a')).toBe('12.3456');
    expect(amountText('+12.50', 'a')).toBe('12.50');
    expect(amountText(12, 'a')).toBe('12');
    expect(() => amountText(0.1 + 0.2, 'a')).toThrowError(recordError('float_amount'));
    expect(() => amountText(1e21, 'a')).toThrowError(recordError('float_amount'));
    expect(() => amountText('1e3', 'line.amount')).toThrowError(
      expect.objectContaining({ code: 'invalid_amount', message: "line.amount '1e3' is not a decimal number" }),
    );
    expect(() => amountText(null, 'a')).toThrowError(recordError('invalid_amount'));
  });
});

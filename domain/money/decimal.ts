/**
 * Exact decimal numbers as strings and bigints: the one implementation every connector and the
 * revenue-recognition code use. No amount ever passes through a float; rounding is explicit and
 * always half away from zero.
 *
 * A decimal is written `[+-]digits[.digits]`: "12.34", "-0.005", "1234". Exponents ("1e3"),
 * thousands separators ("1,234.00") and bare points (".5", "5.") are refused, since each has more
 * than one reading somewhere between a spreadsheet and a ledger.
 */
import { LedgersyncError } from '../../engine/errors.js';

const DECIMAL = /^([+-])?(\d+)(?:\.(\d+))?$/;

export interface DecimalParts {
  negative: boolean;
  /** Digits before the point, as written (may have leading zeros). */
  whole: string;
  /** Digits after the point, as written (may have trailing zeros); '' when there is no point. */
  fraction: string;
}

/** The parts of a decimal string, or undefined when it is not one. Surrounding spaces are ignored. */
export function decimalParts(text: string): DecimalParts | undefined {
  const match = DECIMAL.exec(text.trim());
  if (!match) return undefined;
  return { negative: match[1] === '-', whole: match[2]!, fraction: match[3] ?? '' };
}

/**
 * The decimal as ledgersync sends it on: no '+', no leading zeros before the point, the fraction as
 * written (its trailing zeros may matter to whoever reads it): "+007.50" → "7.50". Undefined when
 * `text` is not a decimal.
 */
export function canonicalDecimal(text: string): string | undefined {
  const parts = decimalParts(text);
  if (!parts) return undefined;
  const whole = parts.whole.replace(/^0+(?=\d)/, '');
  return `${parts.negative ? '-' : ''}${whole}${parts.fraction ? '.' + parts.fraction : ''}`;
}

function notADecimal(text: string): LedgersyncError {
  return new LedgersyncError('invalid_decimal', 'record', `'${text}' is not a decimal number like 1234.56`, {
    fix: 'map amounts as decimal text (digits, an optional point and sign), e.g. with $money(amount, currency_code)',
  });
}

/** Absolute value in units of 10^-scale, where `scale` is the number of fraction digits written. */
function unscaled(parts: DecimalParts): bigint {
  return BigInt(parts.whole + parts.fraction);
}

/**
 * `value` (a non-negative integer in units of 10^-from) in units of 10^-to, rounded half away from
 * zero when digits are dropped.
 */
function rescale(value: bigint, from: number, to: number): bigint {
  if (from <= to) return value * 10n ** BigInt(to - from);
  const divisor = 10n ** BigInt(from - to);
  return (value * 2n + divisor) / (divisor * 2n);
}

/** Decimal string → integer in units of 10^-scale, exactly: parseDecimal("12.345", 3) = 12345n. Never rounds: extra non-zero decimals are an error. */
export function parseDecimal(text: string, scale: number): bigint {
  const parts = decimalParts(String(text));
  if (!parts) throw notADecimal(String(text));
  const significant = parts.fraction.replace(/0+$/, '');
  if (significant.length > scale) {
    throw new LedgersyncError('decimal_precision', 'record', `'${text}' has more than ${scale} decimals`, {
      details: { decimals: significant.length, allowed: scale },
    });
  }
  const value = BigInt(parts.whole + significant.padEnd(scale, '0'));
  return parts.negative ? -value : value;
}

function toInteger(value: bigint | number | string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return BigInt(value.trim());
  throw new LedgersyncError('invalid_amount', 'record', `amount ${JSON.stringify(String(value))} is not an integer number of minor units`);
}

/** An integer count of 10^-scale units as a decimal string: (1234, 2) → "12.34", (-5, 3) → "-0.005", (7, 0) → "7". */
export function formatMinorUnits(minor: bigint | number | string, scale: number): string {
  const value = toInteger(minor);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString();
  if (scale === 0) return (negative ? '-' : '') + digits;
  const padded = digits.padStart(scale + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`;
}

function signed(negative: boolean, magnitude: bigint, scale: number): string {
  return formatMinorUnits(negative && magnitude !== 0n ? -magnitude : magnitude, scale);
}

/** Rounds a decimal string to `decimals` places, half away from zero: roundDecimal("1.23456", 4) = "1.2346", ("-2.675", 2) = "-2.68". */
export function roundDecimal(text: string, decimals: number): string {
  const parts = decimalParts(String(text));
  if (!parts) throw notADecimal(String(text));
  return signed(parts.negative, rescale(unscaled(parts), parts.fraction.length, decimals), decimals);
}

/**
 * `amount × rate`, rounded half away from zero to `decimals` places, computed on integers
 * ("100.00" × "1.0823" → "108.23"): an Intacct amount given as `{amount, exchange_rate, decimals}`.
 */
export function multiplyDecimal(amount: string, rate: string, decimals: number): string {
  const a = decimalParts(amount);
  if (!a) throw notADecimal(amount);
  const r = decimalParts(rate);
  if (!r) throw notADecimal(rate);
  const product = rescale(unscaled(a) * unscaled(r), a.fraction.length + r.fraction.length, decimals);
  return signed(a.negative !== r.negative, product, decimals);
}

/** Two decimal strings are the same amount ("20" and "20.00", "-0" and "0"); false when either is not a decimal. */
export function sameDecimal(a: string, b: string): boolean {
  const x = decimalParts(a);
  const y = decimalParts(b);
  if (!x || !y) return false;
  const scale = Math.max(x.fraction.length, y.fraction.length);
  const value = (p: DecimalParts) => (p.negative ? -1n : 1n) * rescale(unscaled(p), p.fraction.length, scale);
  return value(x) === value(y);
}

/**
 * `a + b - c…`: the terms added (a leading '-' subtracts), exactly, at the largest scale written:
 * sumDecimal(["1000.00", "-600", "-399.5"]) = "0.50".
 */
export function sumDecimal(terms: readonly string[]): string {
  const parsed = terms.map((text) => {
    const parts = decimalParts(String(text));
    if (!parts) throw notADecimal(String(text));
    return parts;
  });
  const scale = Math.max(0, ...parsed.map((p) => p.fraction.length));
  let total = 0n;
  for (const p of parsed) total += (p.negative ? -1n : 1n) * rescale(unscaled(p), p.fraction.length, scale);
  return signed(total < 0n, total < 0n ? -total : total, scale);
}

/**
 * A mapped amount as exact text for a target system: decimal strings pass (made canonical), whole
 * numbers are allowed, numbers with a fraction are refused (they were floats somewhere already).
 * `what` names the field in the message.
 */
export function amountText(value: unknown, what: string): string {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      throw new LedgersyncError('float_amount', 'record', `${what} is the floating-point number ${value}`, {
        fix: 'map amounts with $money(amount, currency_code) so they stay exact',
      });
    }
    if (!Number.isSafeInteger(value)) {
      throw new LedgersyncError('float_amount', 'record', `${what} is ${value}, beyond the integers a JSON number holds exactly`, {
        fix: 'map amounts with $money(amount, currency_code) so they stay exact',
      });
    }
    return String(value);
  }
  if (typeof value !== 'string') throw new LedgersyncError('invalid_amount', 'record', `${what} must be a decimal string, received ${JSON.stringify(value)}`);
  const text = canonicalDecimal(value);
  if (text === undefined) {
    throw new LedgersyncError('invalid_amount', 'record', `${what} '${value}' is not a decimal number`, {
      fix: 'map amounts with $money(amount, currency_code), which gives an exact decimal string',
    });
  }
  return text;
}

/**
 * Exact rationals over bigint, for money that passes through divisions (a yearly price ÷ 12, a daily
 * price × 365/12, a percentage, an exchange rate). Nothing is rounded until a month's total is.
 */
import { LedgersyncError } from '../../engine/errors.js';

export interface Ratio {
  readonly n: bigint;
  /** Always positive. Not necessarily reduced: sums keep a shared denominator instead of paying for a gcd. */
  readonly d: bigint;
}

export const ZERO: Ratio = Object.freeze({ n: 0n, d: 1n });
export const ONE: Ratio = Object.freeze({ n: 1n, d: 1n });

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

function reduced(n: bigint, d: bigint): Ratio {
  if (n === 0n) return ZERO;
  const g = gcd(n, d);
  return g === 1n ? { n, d } : { n: n / g, d: d / g };
}

export function ratio(n: bigint | number, d: bigint | number = 1n): Ratio {
  const num = BigInt(n);
  const den = BigInt(d);
  if (den === 0n) throw new RangeError('a ratio cannot have a zero denominator');
  return den < 0n ? reduced(-num, -den) : reduced(num, den);
}

const DECIMAL = /^([+-])?(\d+)?(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * A decimal string or a JavaScript number, exactly as written: "12.34", "-0.5", "1e-3", 0.1 (read as
 * the shortest decimal that prints as 0.1, which is what a person typed in YAML). Returns undefined for
 * anything else, so callers can say what was wrong in their own terms.
 */
export function parseRatio(value: unknown): Ratio | undefined {
  // Prices, quantities and rates repeat across thousands of subscriptions: parse each text once.
  if (typeof value === 'string') {
    let parsed = parsedTexts.get(value);
    if (parsed === undefined && !parsedTexts.has(value)) {
      if (parsedTexts.size > 10_000) parsedTexts.clear();
      parsed = parseText(value.trim());
      parsedTexts.set(value, parsed);
    }
    return parsed;
  }
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    text = String(value);
  } else if (typeof value === 'bigint') {
    return ratio(value);
  } else {
    return undefined;
  }
  return parseText(text);
}

const parsedTexts = new Map<string, Ratio | undefined>();

function parseText(text: string): Ratio | undefined {
  const match = DECIMAL.exec(text);
  if (!match || (match[2] === undefined && (match[3] ?? '') === '')) return undefined;
  const [, sign, whole = '0', fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText) - fraction.length;
  if (!Number.isSafeInteger(exponent) || Math.abs(exponent) > 1000) return undefined;
  let n = BigInt(whole + fraction);
  if (sign === '-') n = -n;
  return exponent >= 0 ? ratio(n * 10n ** BigInt(exponent)) : ratio(n, 10n ** BigInt(-exponent));
}

/** parseRatio, or a record error naming the field. */
export function requireRatio(value: unknown, field: string, details: Record<string, unknown> = {}): Ratio {
  const parsed = parseRatio(value);
  if (parsed === undefined) {
    throw new LedgersyncError('invalid_decimal', 'record', `${field} must be a decimal number, received ${JSON.stringify(value)}`, {
      fix: `write ${field} as a decimal string such as "12.34"`,
      details: { field, value, ...details },
    });
  }
  return parsed;
}

export function add(a: Ratio, b: Ratio): Ratio {
  if (a.n === 0n) return b;
  if (b.n === 0n) return a;
  if (a.d === b.d) return { n: a.n + b.n, d: a.d };
  const g = gcd(a.d, b.d);
  const lcm = (a.d / g) * b.d;
  return { n: a.n * (lcm / a.d) + b.n * (lcm / b.d), d: lcm };
}

export function negate(a: Ratio): Ratio {
  return a.n === 0n ? ZERO : { n: -a.n, d: a.d };
}

export function subtract(a: Ratio, b: Ratio): Ratio {
  return add(a, negate(b));
}

export function multiply(a: Ratio, b: Ratio): Ratio {
  if (a.n === 0n || b.n === 0n) return ZERO;
  if (b.n === b.d) return a;
  if (a.n === a.d) return b;
  if (a.d === 1n && b.d === 1n) return { n: a.n * b.n, d: 1n };
  return reduced(a.n * b.n, a.d * b.d);
}

export function divide(a: Ratio, b: Ratio): Ratio {
  if (b.n === 0n) throw new RangeError('division by zero');
  return ratio(a.n * b.d, a.d * b.n);
}

export function sign(a: Ratio): -1 | 0 | 1 {
  return a.n === 0n ? 0 : a.n > 0n ? 1 : -1;
}

export function compare(a: Ratio, b: Ratio): -1 | 0 | 1 {
  if (a.d === b.d) return a.n === b.n ? 0 : a.n > b.n ? 1 : -1;
  const left = a.n * b.d;
  const right = b.n * a.d;
  return left === right ? 0 : left > right ? 1 : -1;
}

export function min(a: Ratio, b: Ratio): Ratio {
  return compare(a, b) <= 0 ? a : b;
}

/**
 * A running exact sum that keeps one numerator per denominator, so adding is a bigint addition and
 * never a gcd: sums of a hundred thousand amounts with a few dozen distinct denominators stay cheap.
 */
export class RatioSum {
  private readonly numerators = new Map<bigint, bigint>();

  add(value: Ratio): void {
    if (value.n === 0n) return;
    this.numerators.set(value.d, (this.numerators.get(value.d) ?? 0n) + value.n);
  }

  total(): Ratio {
    let total = ZERO;
    for (const [d, n] of this.numerators) total = add(total, { n, d });
    return total.n === 0n ? ZERO : ratio(total.n, total.d);
  }
}

export function sum(values: Iterable<Ratio>): Ratio {
  let total = ZERO;
  for (const value of values) total = add(total, value);
  return total;
}

/** Floor of a ratio (toward −∞). */
export function floor(a: Ratio): bigint {
  const q = a.n / a.d;
  return a.n < 0n && q * a.d !== a.n ? q - 1n : q;
}

/** The ratio in units of 10^-exponent, rounded half away from zero: (12.345, 2) → 1235n. */
export function roundToMinor(a: Ratio, exponent: number): bigint {
  const scaled = { n: a.n * 10n ** BigInt(exponent), d: a.d };
  const magnitude = scaled.n < 0n ? -scaled.n : scaled.n;
  const rounded = (magnitude * 2n + scaled.d) / (scaled.d * 2n);
  return scaled.n < 0n ? -rounded : rounded;
}

/** Integer minor units → exact decimal string with `exponent` decimals: (-5n, 3) → "-0.005". */
export function formatMinor(minor: bigint, exponent: number): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString();
  if (exponent === 0) return (negative ? '-' : '') + digits;
  const padded = digits.padStart(exponent + 1, '0');
  return `${negative ? '-' : ''}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

/** A ratio as a decimal string rounded half away from zero to `decimals` places. */
export function formatRatio(a: Ratio, decimals: number): string {
  return formatMinor(roundToMinor(a, decimals), decimals);
}

/** Exact decimal strings for Intacct amounts: no floating point between Chargebee and the ledger. */
import { LedgersyncError } from '../../engine/errors.js';

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

function parts(value: string, what: string): { negative: boolean; digits: bigint; scale: number } {
  const m = DECIMAL.exec(value.trim());
  if (!m)
    throw new LedgersyncError('invalid_amount', 'record', `${what} '${value}' is not a decimal number`, {
      fix: 'map amounts with $money(amount, currency_code), which gives an exact decimal string',
    });
  const fraction = m[3] ?? '';
  return { negative: m[1] === '-', digits: BigInt(m[2]! + fraction), scale: fraction.length };
}

/** A mapped amount as Intacct's text: decimal strings pass as they are, whole numbers are allowed, floats with a fraction are refused. */
export function amountText(value: unknown, what: string): string {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      throw new LedgersyncError('float_amount', 'record', `${what} is the floating-point number ${value}`, {
        fix: 'map amounts with $money(amount, currency_code) so they stay exact',
      });
    }
    return String(value);
  }
  if (typeof value !== 'string') throw new LedgersyncError('invalid_amount', 'record', `${what} must be a decimal string, received ${JSON.stringify(value)}`);
  parts(value, what);
  return value.trim();
}

/**
 * `amount × rate`, rounded half away from zero to `decimals` places, computed on integers.
 * (Chargebee's exchange_rate is a decimal such as 1.0823; the product is what Intacct applies.)
 */
export function multiplyDecimal(amount: string, rate: string, decimals: number): string {
  const a = parts(amount, 'amount');
  const r = parts(rate, 'exchange rate');
  const scale = a.scale + r.scale;
  let product = a.digits * r.digits;
  if (scale > decimals) {
    const divisor = 10n ** BigInt(scale - decimals);
    product = (product * 2n + divisor) / (divisor * 2n);
  } else {
    product *= 10n ** BigInt(decimals - scale);
  }
  const negative = a.negative !== r.negative && product !== 0n;
  const text = product.toString().padStart(decimals + 1, '0');
  const whole = text.slice(0, text.length - decimals);
  const fraction = decimals ? '.' + text.slice(text.length - decimals) : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** Two decimal strings are the same amount ("20" and "20.00"), compared on integers. */
export function sameDecimal(a: string, b: string): boolean {
  const m = DECIMAL.exec(a.trim());
  const n = DECIMAL.exec(b.trim());
  if (!m || !n) return false;
  const scale = Math.max((m[3] ?? '').length, (n[3] ?? '').length);
  const value = (x: RegExpExecArray) => (x[1] === '-' ? -1n : 1n) * BigInt(x[2]! + (x[3] ?? '').padEnd(scale, '0'));
  return value(m) === value(n);
}

/**
 * Money: amounts in a currency's minor units (what Chargebee sends) ↔ exact decimal strings (what
 * ledgers take), by the currency's ISO 4217 exponent. Integer and string arithmetic only.
 *
 * Two representations of minor units, one set of conversions: bigint wherever an amount passes
 * through (mappings, sinks), and safe-integer numbers inside revenue recognition, whose allocation
 * runs for every line and period and is about 3× faster on numbers (largest-remainder allocation
 * of 100k lines over 36 periods: ~130 ms on numbers, ~400 ms on bigint); those numbers are checked
 * to be safe integers at every conversion.
 */
import { LedgersyncError } from '../../engine/errors.js';
import { currencyExponent } from './currencies.js';
import { formatMinorUnits, parseDecimal } from './decimal.js';

export { currencyExponent } from './currencies.js';

function integerMinorUnits(amount: unknown): bigint {
  if (typeof amount === 'bigint') return amount;
  if (typeof amount === 'number') {
    if (!Number.isSafeInteger(amount)) {
      throw new LedgersyncError('invalid_amount', 'record', `amount ${amount} is not an integer number of minor units`);
    }
    return BigInt(amount);
  }
  if (typeof amount === 'string' && /^-?\d+$/.test(amount.trim())) return BigInt(amount.trim());
  throw new LedgersyncError('invalid_amount', 'record', `amount ${JSON.stringify(amount)} is not an integer number of minor units`);
}

/** Minor units → exact decimal string (`$money` in mappings): money(1234, 'USD') = "12.34", money(1234, 'JPY') = "1234", money(1234, 'KWD') = "1.234". */
export function money(amount: unknown, currency: string): string {
  const minor = integerMinorUnits(amount);
  return formatMinorUnits(minor, currencyExponent(currency));
}

/** A decimal string in `currency` → its minor units, exactly; more decimals than the currency has (unless zeros) is a record error, never rounded. */
export function decimalToMinorUnits(text: string, currency: string): bigint {
  const exponent = currencyExponent(currency);
  try {
    return parseDecimal(text, exponent);
  } catch (error) {
    if (error instanceof LedgersyncError && error.code === 'decimal_precision') {
      throw new LedgersyncError('decimal_precision', 'record', `'${text}' has more decimals than ${currency.toUpperCase()} allows (${exponent})`, {
        details: { ...error.details, currency },
        fix: 'amounts must be exact in the currency: round them where they are made, not in the ledger',
      });
    }
    throw error;
  }
}

/** Safe-integer minor units (revenue recognition) → exact decimal string: (1234, 'USD') → "12.34", (-5, 'KWD') → "-0.005". */
export function formatMinor(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) {
    throw new LedgersyncError('invalid_amount', 'record', `expected a safe integer amount in minor units, received ${minor}`);
  }
  return formatMinorUnits(minor, currencyExponent(currency));
}

/** A decimal string in `currency` → safe-integer minor units (revenue recognition): ("12.30", 'USD') → 1230. */
export function parseDecimalToMinor(text: string, currency: string): number {
  const minor = decimalToMinorUnits(text, currency);
  if (minor > BigInt(Number.MAX_SAFE_INTEGER) || minor < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new LedgersyncError('invalid_amount', 'record', `'${text}' ${currency.toUpperCase()} is too large an amount to schedule exactly`, {
      details: { currency },
    });
  }
  return Number(minor);
}

/**
 * Money in minor units → exact decimal strings, by the currency's ISO 4217 exponent.
 * Integer and string arithmetic only: never a float division.
 */
import { LedgersyncError } from '../../engine/errors.js';

/** ISO 4217 minor-unit exponents that differ from 2. Every other valid code has 2. */
const EXPONENTS: Readonly<Record<string, number>> = {
  // zero-decimal
  BIF: 0,
  CLP: 0,
  DJF: 0,
  GNF: 0,
  ISK: 0,
  JPY: 0,
  KMF: 0,
  KRW: 0,
  PYG: 0,
  RWF: 0,
  UGX: 0,
  UYI: 0,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  // three-decimal
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  // four-decimal
  CLF: 4,
  UYW: 4,
};

const KNOWN_TWO_DECIMAL = new Set(
  (
    'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF ' +
    'CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL ' +
    'HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP ' +
    'MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD ' +
    'SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD UYU ' +
    'UZS VES WST XCD YER ZAR ZMW ZWL'
  ).split(' '),
);

/** The number of minor-unit digits of an ISO 4217 currency code; throws a record error for an unknown code. */
export function currencyExponent(currency: string): number {
  const code = String(currency ?? '').toUpperCase();
  const exponent = EXPONENTS[code];
  if (exponent !== undefined) return exponent;
  if (KNOWN_TWO_DECIMAL.has(code)) return 2;
  throw new LedgersyncError('unknown_currency', 'record', `unknown currency code '${currency}'`, {
    fix: 'use an ISO 4217 currency code, or add it to domain/money/money.ts if it is new',
    details: { currency },
  });
}

function toBigInt(amount: unknown): bigint {
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

/** Formats an integer of minor units with `exponent` decimals: (1234, 2) → "12.34", (-5, 3) → "-0.005". */
export function formatMinorUnits(minor: bigint | number | string, exponent: number): string {
  const value = toBigInt(minor);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString();
  if (exponent === 0) return (negative ? '-' : '') + digits;
  const padded = digits.padStart(exponent + 1, '0');
  const whole = padded.slice(0, padded.length - exponent);
  const fraction = padded.slice(padded.length - exponent);
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

/** Chargebee amount (minor units) → exact decimal string: money(1234, 'USD') = "12.34", money(1234, 'JPY') = "1234", money(1234, 'KWD') = "1.234". */
export function money(amount: unknown, currency: string): string {
  return formatMinorUnits(toBigInt(amount), currencyExponent(currency));
}

/** Decimal string → integer in units of 10^-scale, exactly: parseDecimal("12.345", 3) = 12345n. Throws if more decimals than scale would be lost. */
export function parseDecimal(text: string, scale: number): bigint {
  const match = /^(-)?(\d*)(?:\.(\d*))?$/.exec(String(text).trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) {
    throw new LedgersyncError('invalid_decimal', 'record', `'${text}' is not a decimal number`);
  }
  const [, sign, whole = '', fraction = ''] = match;
  const kept = fraction.replace(/0+$/, '');
  if (kept.length > scale) {
    throw new LedgersyncError('decimal_precision', 'record', `'${text}' has more than ${scale} decimals`);
  }
  const value = BigInt((whole || '0') + fraction.padEnd(scale, '0').slice(0, scale));
  return sign ? -value : value;
}

/**
 * Rounds a decimal string to `decimals` places, half away from zero, without floats:
 * roundDecimal("1.23456", 4) = "1.2346".
 */
export function roundDecimal(text: string, decimals: number): string {
  const match = /^(-)?(\d*)(?:\.(\d*))?$/.exec(String(text).trim());
  if (!match) throw new LedgersyncError('invalid_decimal', 'record', `'${text}' is not a decimal number`);
  const [, sign, whole = '0', fraction = ''] = match;
  const kept = BigInt((whole || '0') + fraction.padEnd(decimals, '0').slice(0, decimals));
  const next = fraction.length > decimals ? Number(fraction[decimals]) : 0;
  const rounded = next >= 5 ? kept + 1n : kept;
  const out = formatMinorUnits(rounded, decimals);
  return sign && rounded !== 0n ? '-' + out : out;
}

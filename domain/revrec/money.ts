/**
 * Money as integer minor units, never floats. Chargebee sends minor units; DualEntry takes decimal
 * strings; exported journals carry decimal strings. Conversions go through string digits only.
 */

/** ISO 4217 minor-unit exponents that differ from 2. */
const exponents: Readonly<Record<string, number>> = {
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
  BHD: 3,
  IQD: 3,
  JOD: 3,
  KWD: 3,
  LYD: 3,
  OMR: 3,
  TND: 3,
  CLF: 4,
  UYW: 4,
};

/** Minor-unit exponent of an ISO 4217 currency code (2 unless listed). */
export function currencyExponent(currency: string): number {
  return exponents[currency.toUpperCase()] ?? 2;
}

/** Exact decimal string of a minor-unit amount: (1234, 'USD') → "12.34", (1234, 'JPY') → "1234", (-5, 'KWD') → "-0.005". */
export function formatMinor(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`expected a safe integer amount in minor units, received ${minor}`);
  const exponent = currencyExponent(currency);
  const digits = String(Math.abs(minor));
  const sign = minor < 0 ? '-' : '';
  if (exponent === 0) return sign + digits;
  const padded = digits.padStart(exponent + 1, '0');
  return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
}

/**
 * Parses a decimal string ("12.34", "-0.5", "1,234.50" is rejected) into minor units of the currency.
 * More fraction digits than the currency allows is an error unless they are zeros: money is never rounded here.
 */
export function parseDecimalToMinor(text: string, currency: string): number {
  const trimmed = text.trim();
  const match = /^([+-])?(\d+)(?:\.(\d+))?$/.exec(trimmed);
  if (!match) throw new RangeError(`expected a decimal amount like "12.34", received "${text}"`);
  const [, sign, whole = '', fraction = ''] = match;
  const exponent = currencyExponent(currency);
  const significant = fraction.replace(/0+$/, '');
  if (significant.length > exponent) {
    throw new RangeError(`"${text}" has more decimals than ${currency.toUpperCase()} allows (${exponent})`);
  }
  const minor = Number(whole + significant.padEnd(exponent, '0'));
  if (!Number.isSafeInteger(minor)) throw new RangeError(`"${text}" is too large an amount`);
  return sign === '-' && minor !== 0 ? -minor : minor;
}

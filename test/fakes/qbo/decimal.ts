/**
 * Exact decimal arithmetic for the fake's totals: amounts as BigInt at a fixed scale, never floats.
 *
 * Deliberately separate from domain/money: a fake must not share the code it checks, or a bug in
 * ledgersync's conversions would be agreed with instead of caught. Its exponent table is QBO's own
 * view (the currencies a QBO company can enable), not ISO's full list.
 */

/** ISO 4217 minor-unit exponents that differ from 2 (the currencies a QBO company can enable). */
const exponents: Record<string, number> = {
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
};

export function currencyExponent(code: string): number {
  return exponents[code.toUpperCase()] ?? 2;
}

const SCALE = 6;
const pattern = /^(-)?(\d+)(?:\.(\d+))?$/;

/** Parses a JSON decimal (number or numeric string) into units of 10^-6; undefined if not a decimal. */
export function toScaled(value: unknown): bigint | undefined {
  const text = typeof value === 'number' ? numberText(value) : typeof value === 'string' ? value.trim() : undefined;
  if (text === undefined) return undefined;
  const m = pattern.exec(text);
  if (!m) return undefined;
  const frac = (m[3] ?? '').padEnd(SCALE, '0');
  if (frac.length > SCALE) return undefined;
  const units = BigInt(m[2]!) * 10n ** BigInt(SCALE) + BigInt(frac || '0');
  return m[1] ? -units : units;
}

function numberText(n: number): string {
  // JSON numbers arrive parsed; their shortest round-trip text is what the client wrote.
  const s = String(n);
  if (!/e/i.test(s)) return s;
  return n.toFixed(SCALE).replace(/\.?0+$/, '');
}

/** Number of decimals a decimal value was written with. */
export function decimalsOf(value: unknown): number {
  const text = typeof value === 'number' ? numberText(value) : String(value);
  const i = text.indexOf('.');
  return i < 0 ? 0 : text.length - i - 1;
}

/** Formats scaled units as a JSON number with the currency's decimals (exact for ≤ 15 significant digits). */
export function fromScaled(units: bigint, decimals: number): number {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const divisor = 10n ** BigInt(SCALE - decimals);
  const rounded = (abs + divisor / 2n) / divisor;
  const text =
    decimals === 0 ? rounded.toString() : `${rounded / 10n ** BigInt(decimals)}.${(rounded % 10n ** BigInt(decimals)).toString().padStart(decimals, '0')}`;
  return Number((negative ? '-' : '') + text);
}

/** qty × unit price, in scaled units. */
export function multiplyScaled(a: bigint, b: bigint): bigint {
  return (a * b) / 10n ** BigInt(SCALE);
}

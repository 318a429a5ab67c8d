/**
 * Exact decimals for the fake tenant's amounts: BigInt units of 10^-6, never floats. Acumatica keeps
 * amounts as SQL decimals and rounds them to the currency's precision; the fake does the same and
 * renders them back as JSON numbers (exact for the 15 significant digits amounts have).
 */

/** Units per 1: six decimals, Acumatica's widest amount precision. */
export const SCALE = 6;
const ONE = 10n ** BigInt(SCALE);
const pattern = /^(-)?(\d+)(?:\.(\d+))?$/;

/** ISO 4217 minor-unit exponents that differ from 2. */
const exponents: Readonly<Record<string, number>> = {
  BIF: 0,
  CLP: 0,
  ISK: 0,
  JPY: 0,
  KRW: 0,
  PYG: 0,
  VND: 0,
  XAF: 0,
  XOF: 0,
  BHD: 3,
  JOD: 3,
  KWD: 3,
  OMR: 3,
  TND: 3,
};

export function currencyDecimals(currency: string): number {
  return exponents[currency.toUpperCase()] ?? 2;
}

/** The shortest round-trip text of a JSON number is what the client wrote (for ≤ 15 significant digits). */
function numberText(value: number): string {
  const text = String(value);
  return /e/i.test(text) ? value.toFixed(SCALE + 2) : text;
}

/**
 * A JSON number as scaled units, rounded half away from zero past six decimals (SQL decimal columns
 * do the same); `exact` says whether anything was rounded away.
 */
export function toUnits(value: number): { units: bigint; exact: boolean } | undefined {
  if (!Number.isFinite(value)) return undefined;
  const match = pattern.exec(numberText(value));
  if (!match) return undefined;
  const digits = (match[3] ?? '').replace(/0+$/, '');
  const kept = digits.slice(0, SCALE);
  let abs = BigInt(match[2]!) * ONE + BigInt(kept.padEnd(SCALE, '0') || '0');
  const rest = digits.slice(SCALE);
  if (rest !== '' && rest[0]! >= '5') abs += 1n;
  return { units: match[1] ? -abs : abs, exact: rest === '' };
}

/** Rounds half away from zero to `decimals` places, as Acumatica's default rounding does. */
export function roundUnits(units: bigint, decimals: number): bigint {
  const step = 10n ** BigInt(SCALE - decimals);
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const rounded = ((abs + step / 2n) / step) * step;
  return negative ? -rounded : rounded;
}

export function multiplyUnits(a: bigint, b: bigint): bigint {
  return (a * b) / ONE;
}

/** Decimal text without trailing zeros: `12.5`, `1234`, `-0.125`. */
export function unitsToText(units: bigint): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / ONE;
  const fraction = (abs % ONE).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return (negative ? '-' : '') + whole.toString() + (fraction ? '.' + fraction : '');
}

export function unitsToNumber(units: bigint): number {
  return Number(unitsToText(units));
}

export function sumUnits(values: readonly bigint[]): bigint {
  return values.reduce((total, value) => total + value, 0n);
}

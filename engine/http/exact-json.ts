/**
 * JSON with decimals written digit for digit. A vendor that types amounts as JSON numbers must get
 * them without a trip through a float, which would round what a double cannot hold: such a number is
 * an ExactNumber, written as its text.
 */

/** A JSON number written exactly as these digits. */
export class ExactNumber {
  constructor(readonly text: string) {}
}

/** JSON text of `value`, each ExactNumber as its digits; members whose value is undefined left out, as JSON.stringify does. */
export function exactJson(value: unknown): string {
  if (value instanceof ExactNumber) return value.text;
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : exactJson(item))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value)
      .filter(([, inner]) => inner !== undefined)
      .map(([key, inner]) => `${JSON.stringify(key)}:${exactJson(inner)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Field length limits a connector declares in its descriptor, checked before sending so the dead
 * letter names the field. A limit's path reaches into the document: `PrimaryPhone.FreeFormNumber`
 * is a field of an object, `Line[].Description` that field on every element of the array `Line`.
 * Each target counts characters its own way: code points by default (an emoji is one), or as the
 * caller measures them (UTF-16 code units, as .NET's `string.Length`).
 */

export interface FieldLimit {
  /** As the descriptor writes it: `DocNumber`, `Line[].Description`. */
  path: string;
  limit: number;
  steps: readonly { name: string; each: boolean }[];
}

/** A string too long, at its place in the document (`Line[2].Description`). */
export interface TooLong {
  path: string;
  value: string;
  length: number;
  limit: number;
}

export function compileFieldLimits(limits: Readonly<Record<string, number>>): FieldLimit[] {
  return Object.entries(limits).map(([path, limit]) => ({
    path,
    limit,
    steps: path.split('.').map((step) => (step.endsWith('[]') ? { name: step.slice(0, -2), each: true } : { name: step, each: false })),
  }));
}

const codePoints = (text: string) => Array.from(text).length;

/** The first string longer than its limit, in the order the descriptor lists the limits. */
export function firstTooLong(
  body: Readonly<Record<string, unknown>>,
  limits: readonly FieldLimit[],
  measure: (text: string) => number = codePoints,
): TooLong | undefined {
  for (const limit of limits) {
    for (const { path, value } of valuesAt(body, limit.steps)) {
      if (typeof value !== 'string') continue;
      const length = measure(value);
      if (length > limit.limit) return { path, value, length, limit: limit.limit };
    }
  }
  return undefined;
}

function* valuesAt(value: unknown, steps: FieldLimit['steps'], at = ''): Generator<{ path: string; value: unknown }> {
  if (!steps.length) {
    yield { path: at, value };
    return;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  const [step, ...rest] = steps as [FieldLimit['steps'][number], ...FieldLimit['steps']];
  if (!Object.hasOwn(value, step.name)) return;
  const child = (value as Record<string, unknown>)[step.name];
  const here = at ? `${at}.${step.name}` : step.name;
  if (!step.each) {
    yield* valuesAt(child, rest, here);
    return;
  }
  if (!Array.isArray(child)) return;
  for (let i = 0; i < child.length; i++) yield* valuesAt(child[i], rest, `${here}[${i}]`);
}

/**
 * QuickBooks' field length limits (descriptor `settings.field_limits`), checked before sending so
 * the dead letter names the field. A limit's path reaches into the document: `PrimaryPhone.FreeFormNumber`
 * is a field of an object, `Line[].Description` that field on every element of the array `Line`.
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

/** The first string longer than its limit, in the order the descriptor lists the limits. */
export function firstTooLong(body: Readonly<Record<string, unknown>>, limits: readonly FieldLimit[]): TooLong | undefined {
  for (const limit of limits) {
    for (const { path, value } of valuesAt(body, limit.steps)) {
      if (typeof value !== 'string') continue;
      // Code points, as QuickBooks counts characters (an emoji is one).
      const length = Array.from(value).length;
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

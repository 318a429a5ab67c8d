/**
 * Field-level differences between what was last written for a record and what the mapping makes of
 * it now: the `diff` of an `update` in `ledgersync plan`. Objects are compared key by key and
 * lists element by element, so a changed invoice line reads `Line[2].SalesItemLineDetail.ItemRef.value`
 * rather than "Line changed". Pure.
 */

/** One difference. `before` is absent for a field that is new, `after` for one that is gone. */
export interface FieldChange {
  path: string;
  before?: unknown;
  after?: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function join(path: string, key: string): string {
  const plain = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key);
  if (!path) return plain ? key : `[${JSON.stringify(key)}]`;
  return plain ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** `sentOnly`: keys of `before`'s objects that `after` does not set are not compared (what the target added itself). */
function walk(before: unknown, after: unknown, path: string, out: FieldChange[], sentOnly = false): void {
  if (before === undefined && after === undefined) return;
  if (before === undefined) {
    out.push({ path, after });
    return;
  }
  if (after === undefined) {
    out.push({ path, before });
    return;
  }
  if (isRecord(before) && isRecord(after)) {
    const keys = sentOnly ? Object.keys(after).sort() : [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) walk(before[key], after[key], join(path, key), out, sentOnly);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    for (let i = 0; i < Math.max(before.length, after.length); i++) walk(before[i], after[i], `${path}[${i}]`, out, sentOnly);
    return;
  }
  if (sentOnly && sameScalar(before, after)) return;
  // Numbers and their decimal strings are different payloads: compare as JSON, not loosely.
  if (JSON.stringify(before) !== JSON.stringify(after)) out.push({ path, before, after });
}

const DECIMAL = /^[+-]?\d+(\.\d+)?$/;

/** A target's answer and the sent value are the same scalar: equal text, or the same decimal number (`12.5` and `"12.50"`). */
function sameScalar(before: unknown, after: unknown): boolean {
  if (typeof before === 'object' || typeof after === 'object') return false;
  if (String(before) === String(after)) return true;
  const a = String(before);
  const b = String(after);
  if (!DECIMAL.test(a) || !DECIMAL.test(b)) return false;
  const trim = (text: string) => {
    const [whole = '', fraction = ''] = text.replace(/^\+/, '').split('.');
    return `${whole.replace(/^(-?)0+(?=\d)/, '$1')}.${fraction.replace(/0+$/, '')}`;
  };
  return trim(a) === trim(b);
}

/** Every field that differs, in path order; empty when both are equal. */
export function diffRecords(before: unknown, after: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  walk(before, after, '', out);
  return out;
}

/**
 * The differences that a sparse update would make to `current` (the target's document as it is,
 * when no copy of the last payload was kept): only the fields the mapped record sets count, at every
 * depth, since the target adds its own (ids, totals, metadata); and a target that answers `12.5`
 * for a sent `"12.50"` holds the same value.
 */
export function diffAgainstCurrent(current: Record<string, unknown>, after: Record<string, unknown>): FieldChange[] {
  const out: FieldChange[] = [];
  walk(current, after, '', out, true);
  return out;
}

/** `path: before → after`, for a person. */
export function formatChange(change: FieldChange): string {
  const show = (value: unknown) => (value === undefined ? '(none)' : JSON.stringify(value));
  return `${change.path || '(record)'}: ${show(change.before)} → ${show(change.after)}`;
}

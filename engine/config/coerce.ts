/**
 * `${VAR}` always substitutes text: an API key `1.50` or `+42` reaches the connector as written.
 * Where the pipeline schema types a property as an integer, a number or a boolean
 * (`batch_size: ${BATCH}`), interpolated text that spells one is converted; text that does not
 * stays, and the schema reports it at its place. Values written in the file are never converted.
 */
import type { ErrorObject, ValidateFunction } from './ajv.js';
import { pointerOf, segmentsOf, type YamlTree } from './yaml-tree.js';

/** Validates `root`, converting interpolated values the schema wants typed; the errors that remain. */
export function validateCoercingInterpolated(validate: ValidateFunction, root: Record<string, unknown>, tree: YamlTree): ErrorObject[] {
  let errors = validate(root) ? [] : [...(validate.errors ?? [])];
  // A conversion can only remove errors; a second round catches what the first one's errors hid.
  for (let round = 0; round < 3 && errors.length > 0; round++) {
    let changed = false;
    for (const error of errors) {
      if (!tree.interpolation(error.instancePath)) continue;
      const text = valueAt(root, error.instancePath);
      if (typeof text !== 'string') continue;
      const converted = convert(text, error);
      if (converted === undefined) continue;
      setAt(root, error.instancePath, converted.value);
      changed = true;
    }
    if (!changed) break;
    errors = validate(root) ? [] : [...(validate.errors ?? [])];
  }
  return errors;
}

/** The value `text` spells for the type or constant the error asked for. */
export function convert(text: string, error: Pick<ErrorObject, 'keyword' | 'params'>): { value: unknown } | undefined {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'const') {
    const wanted = params['allowedValue'];
    if (typeof wanted === 'number' || typeof wanted === 'boolean') {
      const parsed = parseAs(typeof wanted, text);
      return parsed !== undefined && parsed.value === wanted ? parsed : undefined;
    }
    return undefined;
  }
  if (error.keyword !== 'type') return undefined;
  const types = Array.isArray(params['type']) ? (params['type'] as string[]) : [String(params['type'])];
  for (const type of types) {
    const parsed = parseAs(type, text);
    if (parsed) return parsed;
  }
  return undefined;
}

function parseAs(type: string, text: string): { value: unknown } | undefined {
  switch (type) {
    case 'integer':
      return /^[-+]?[0-9]+$/.test(text) && Number.isSafeInteger(Number(text)) ? { value: Number(text) } : undefined;
    case 'number':
      return /^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(text) && Number.isFinite(Number(text)) ? { value: Number(text) } : undefined;
    case 'boolean':
      if (/^(true|True|TRUE)$/.test(text)) return { value: true };
      if (/^(false|False|FALSE)$/.test(text)) return { value: false };
      return undefined;
    default:
      return undefined;
  }
}

function valueAt(root: unknown, pointer: string): unknown {
  let node = root;
  for (const segment of segmentsOf(pointer)) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, segment)) return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function setAt(root: unknown, pointer: string, value: unknown): void {
  const segments = segmentsOf(pointer);
  const last = segments.pop();
  const parent = valueAt(root, pointerOf(segments));
  if (last === undefined || parent === null || typeof parent !== 'object') return;
  Object.defineProperty(parent, last, { value, enumerable: true, writable: true, configurable: true });
}

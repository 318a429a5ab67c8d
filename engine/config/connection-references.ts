/**
 * References inside a connection block that a JSON Schema cannot check: a value that must name a
 * key declared elsewhere in the same block (a primary-key column among a table's columns). A
 * descriptor declares them as data in `settings.connection_references`, with `*` standing for any
 * key or index; the `*`s of `keys_of` take, in order, what the `*`s of `values` matched.
 */
import { didYouMean } from './suggest.js';
import { pointerOf, segmentsOf } from './yaml-tree.js';

export interface ConnectionReferenceRule {
  /** Pointer pattern of the referring values, e.g. `/tables/*\/primary_key/*`. */
  values: string;
  /** Pointer pattern of the mapping whose keys they must name, e.g. `/tables/*\/columns`. */
  keys_of: string;
  /** What a key is, for messages: `column`. */
  what: string;
}

export interface BrokenReference {
  /** Pointer of the offending value inside the block. */
  pointer: string;
  message: string;
}

/** The rules a descriptor's `settings.connection_references` holds (the connector schema checked their shape). */
export function connectionReferenceRules(settings: Readonly<Record<string, unknown>> | undefined): ConnectionReferenceRule[] {
  const rules = settings?.['connection_references'];
  return Array.isArray(rules) ? (rules as ConnectionReferenceRule[]) : [];
}

/** The connection property whose keys are the sink's objects, when the pipeline declares them (`settings.objects_property`). */
export function objectsProperty(settings: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const property = settings?.['objects_property'];
  return typeof property === 'string' ? property : undefined;
}

interface Match {
  segments: string[];
  bindings: string[];
  value: unknown;
}

function matches(value: unknown, pattern: readonly string[], at: string[] = [], bindings: string[] = []): Match[] {
  if (pattern.length === 0) return [{ segments: at, bindings, value }];
  if (value === null || typeof value !== 'object') return [];
  const [head, ...rest] = pattern as [string, ...string[]];
  const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value);
  const out: Match[] = [];
  for (const [key, child] of entries) {
    if (head !== '*' && head !== key) continue;
    out.push(...matches(child, rest, [...at, key], head === '*' ? [...bindings, key] : bindings));
  }
  return out;
}

function resolve(value: unknown, pattern: readonly string[], bindings: readonly string[]): unknown {
  let current = value;
  let next = 0;
  for (const segment of pattern) {
    const key = segment === '*' ? bindings[next++] : segment;
    if (key === undefined || current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Every value of `block` that a rule says must name a key, and does not. Only string values are checked. */
export function brokenReferences(
  block: unknown,
  rules: readonly ConnectionReferenceRule[],
  options: { isPlaceholder(pointer: string): boolean /** Names the block in messages, e.g. `sink`. */; name: string },
): BrokenReference[] {
  const broken: BrokenReference[] = [];
  for (const rule of rules) {
    const keysPattern = segmentsOf(rule.keys_of);
    for (const match of matches(block, segmentsOf(rule.values))) {
      const pointer = pointerOf(match.segments);
      if (typeof match.value !== 'string' || options.isPlaceholder(pointer)) continue;
      const target = resolve(block, keysPattern, match.bindings);
      if (target === null || typeof target !== 'object' || Array.isArray(target)) continue;
      const keys = Object.keys(target);
      if (keys.includes(match.value)) continue;
      let bound = 0;
      const where = [options.name, ...keysPattern.map((s) => (s === '*' ? (match.bindings[bound++] ?? s) : s))].join('.');
      broken.push({ pointer, message: `'${match.value}' is not a ${rule.what} declared in ${where}${didYouMean(match.value, keys)}` });
    }
  }
  return broken;
}

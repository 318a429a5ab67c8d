/**
 * A YAML file turned into plain data while keeping, for every JSON pointer, where its key and
 * value stand in the file. Strings are interpolated (`${VAR}`) here, after parsing, so positions
 * refer to the text as written.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node, type Scalar, type YAMLMap } from 'yaml';
import type { ConfigProblem } from '../errors.js';
import { interpolate, type Interpolated } from './interpolate.js';
import { scalarValueOffsets } from './scalar-offsets.js';

export interface Position {
  line: number;
  column: number;
}

interface Location {
  keyOffset?: number;
  valueOffset: number;
  scalar?: Scalar;
  interpolated?: Interpolated;
  /** The raw text of a string scalar before interpolation. */
  raw?: string;
}

export interface InterpolationOptions {
  env: Readonly<Record<string, string | undefined>>;
  /** `run`: an unset variable without default is an error. `validate`: it becomes a placeholder. */
  mode: 'run' | 'validate';
}

export interface YamlTree {
  file: string;
  value: unknown;
  /** Syntax errors and warnings, unset variables. */
  problems: ConfigProblem[];
  /** Whether the YAML itself could not be read (the value is then not worth validating). */
  broken: boolean;
  has(pointer: string): boolean;
  /** Position of the value at `pointer`, or of its nearest existing ancestor. */
  valuePosition(pointer: string): Position;
  /** Position of the key of a map entry (the value's for list items and the root). */
  keyPosition(pointer: string): Position;
  /** Position of the `index`-th character of the (interpolated) string at `pointer`. */
  stringPosition(pointer: string, index: number): Position;
  /** The string as written in the file, before interpolation. */
  rawString(pointer: string): string | undefined;
  /** Interpolation details of the string at `pointer`, if it had any `${…}`. */
  interpolation(pointer: string): Interpolated | undefined;
  /**
   * Pointers whose value depends on an unset variable: a placeholder, or (validate mode) a
   * property dropped because `${VAR:-}` was empty.
   */
  placeholders: ReadonlySet<string>;
}

export function pointerOf(segments: ReadonlyArray<string | number>): string {
  return segments.map((s) => '/' + String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

export function segmentsOf(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function parentPointer(pointer: string): string {
  const at = pointer.lastIndexOf('/');
  return at <= 0 ? '' : pointer.slice(0, at);
}

const PLACEHOLDER_PREFIX = '<unset:';
const MAX_ALIASES = 1000;

export function parseYamlTree(text: string, file: string, interpolation?: InterpolationOptions): YamlTree {
  const lineCounter = new LineCounter();
  const problems: ConfigProblem[] = [];
  const locations = new Map<string, Location>();
  const placeholders = new Set<string>();
  const position = (offset: number): Position => {
    const p = lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  };
  const problemAt = (offset: number, code: string, message: string, path = '', severity: ConfigProblem['severity'] = 'error') => {
    problems.push({ code, file, path, ...position(offset), message, severity });
  };

  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: false });
  for (const e of doc.errors) {
    const message =
      e.code === 'MULTIPLE_DOCS' ? 'a pipeline file holds one YAML document; remove the `---` separator and what follows' : `YAML syntax error: ${e.message}`;
    problemAt(e.pos[0], 'yaml_syntax', message);
  }
  for (const w of doc.warnings) problemAt(w.pos[0], 'yaml_warning', w.message, '', 'warning');
  const broken = doc.errors.length > 0;
  let aliasesResolved = 0;

  const toValue = (node: Node | null | undefined, pointer: string, keyOffset: number | undefined, ancestors: ReadonlySet<Node> = new Set()): unknown => {
    if (isAlias(node)) {
      const target = node.resolve(doc) as Node | undefined;
      // An alias to its own ancestor would never end; many aliases multiply like a "billion laughs".
      if ((target && ancestors.has(target)) || ++aliasesResolved > MAX_ALIASES) {
        problemAt(
          node.range?.[0] ?? 0,
          'yaml_alias',
          `alias *${node.source} refers to a node containing itself, or the file uses more than ${MAX_ALIASES} aliases`,
          pointer,
        );
        return null;
      }
      return toValue(target, pointer, keyOffset, ancestors);
    }
    const valueOffset = node?.range?.[0] ?? keyOffset ?? 0;
    const location: Location = { valueOffset, ...(keyOffset !== undefined ? { keyOffset } : {}) };
    locations.set(pointer, location);
    if (!node) return null;
    const inside = new Set(ancestors).add(node);
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      const set = (key: string, value: unknown) => Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      const merged: YAMLMap[] = [];
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        if (key === '<<' && isScalar(keyNode) && keyNode.type === 'PLAIN') {
          merged.push(...mergeSources(pair.value as Node | null, doc));
          continue;
        }
        const childPointer = pointer + pointerOf([key]);
        const childKeyOffset = keyNode?.range?.[0] ?? valueOffset;
        const child = toValue(pair.value as Node | null, childPointer, childKeyOffset, inside);
        // An empty interpolated string means "not set".
        if (child !== EMPTY_INTERPOLATION) set(key, child);
      }
      // `<<: *defaults` (YAML merge key): keys written here win, then the sources in order.
      for (const source of merged) {
        for (const pair of source.items) {
          const keyNode = pair.key as Node | null;
          const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
          if (Object.hasOwn(out, key) || node.items.some((p) => isScalar(p.key) && String(p.key.value) === key)) continue;
          const child = toValue(pair.value as Node | null, pointer + pointerOf([key]), keyNode?.range?.[0] ?? valueOffset, inside);
          if (child !== EMPTY_INTERPOLATION) set(key, child);
        }
      }
      return out;
    }
    if (isSeq(node)) {
      return node.items.map((item, index) => {
        const child = toValue(item as Node | null, pointer + pointerOf([index]), undefined, inside);
        return child === EMPTY_INTERPOLATION ? '' : child;
      });
    }
    if (isScalar(node)) {
      location.scalar = node;
      if (typeof node.value !== 'string') return node.value;
      location.raw = node.value;
      if (!interpolation || !node.value.includes('${')) return node.value;
      const result = interpolate(node.value, interpolation.env, (name) => `${PLACEHOLDER_PREFIX}${name}>`);
      if (result.references.length === 0) return node.value;
      location.interpolated = result;
      for (const ref of result.references.filter((r) => r.unset)) {
        // The placeholder is not a value worth checking further, in either mode.
        placeholders.add(pointer);
        if (interpolation.mode === 'run') {
          const offsets = scalarValueOffsets(text, node);
          problemAt(
            offsets[ref.start] ?? valueOffset,
            'env_unset',
            `environment variable ${ref.name} is not set: export it or give a default \${${ref.name}:-…}`,
            pointer,
          );
        }
      }
      if (result.value === '') {
        // In validate mode an unset `${VAR:-}` may well be set where the pipeline runs: do not
        // report the property as missing there.
        if (interpolation.mode === 'validate' && result.references.some((r) => interpolation.env[r.name] === undefined)) placeholders.add(pointer);
        return EMPTY_INTERPOLATION;
      }
      if (result.whole && node.type === 'PLAIN' && !placeholders.has(pointer)) return plainScalarValue(result.value);
      return result.value;
    }
    return null;
  };

  const value = broken ? undefined : toValue(doc.contents as Node | null, '', undefined);

  const nearest = (pointer: string): { pointer: string; location: Location } => {
    let p = pointer;
    for (;;) {
      const location = locations.get(p);
      if (location) return { pointer: p, location };
      if (p === '') return { pointer: '', location: { valueOffset: 0 } };
      p = parentPointer(p);
    }
  };

  return {
    file,
    value,
    problems,
    broken,
    placeholders,
    has: (pointer) => locations.has(pointer),
    valuePosition: (pointer) => position(nearest(pointer).location.valueOffset),
    keyPosition: (pointer) => {
      const { location } = nearest(pointer);
      return position(location.keyOffset ?? location.valueOffset);
    },
    stringPosition: (pointer, index) => {
      const { location } = nearest(pointer);
      if (!location.scalar) return position(location.valueOffset);
      const rawIndex = location.interpolated ? (location.interpolated.rawIndex[index] ?? location.interpolated.rawIndex.at(-1) ?? 0) : index;
      const offsets = scalarValueOffsets(text, location.scalar);
      return position(offsets[Math.min(rawIndex, offsets.length - 1)] ?? location.valueOffset);
    },
    rawString: (pointer) => locations.get(pointer)?.raw,
    interpolation: (pointer) => locations.get(pointer)?.interpolated,
  };
}

const EMPTY_INTERPOLATION = Symbol('empty interpolation');

/** The maps a merge key's value names: one alias or map, or a list of them. */
function mergeSources(value: Node | null, doc: Document): YAMLMap[] {
  const resolve = (n: unknown): YAMLMap[] => {
    const target = isAlias(n) ? n.resolve(doc) : n;
    return isMap(target) ? [target as YAMLMap] : [];
  };
  return isSeq(value) ? value.items.flatMap(resolve) : resolve(value);
}

/**
 * `batch_size: ${BATCH:-50}` is a number, as `batch_size: 50` would be. Digits a number cannot hold
 * exactly (a 16-digit QuickBooks realm id) stay a string; a connection property whose schema says
 * string turns a smaller one back into its exact digits (the connection validator coerces).
 */
function plainScalarValue(text: string): unknown {
  if (/^[-+]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/.test(text)) {
    const n = Number(text);
    return Number.isInteger(n) && !Number.isSafeInteger(n) ? text : n;
  }
  if (text === 'true') return true;
  if (text === 'false') return false;
  return text;
}

export function isPlaceholder(value: unknown): boolean {
  return typeof value === 'string' && value.includes(PLACEHOLDER_PREFIX);
}

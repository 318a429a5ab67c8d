/**
 * A YAML file turned into plain data while keeping, for every JSON pointer, where its key and
 * value stand in the file. Strings are interpolated (`${VAR}`) here, after parsing, so positions
 * refer to the text as written.
 */
import { Composer, Lexer, LineCounter, Parser, isAlias, isMap, isScalar, isSeq, visit, type Document, type Node, type Scalar, type YAMLMap } from 'yaml';
import type { ConfigProblem } from '../errors.js';
import { interpolate, malformedReferences, type Interpolated } from './interpolate.js';
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
   * Pointers whose value is not known here, so checks of it are skipped: it depends on an unset
   * variable (a placeholder, or in validate mode a property dropped because `${VAR:-}` was
   * empty), or it was refused and reported already (a tag, an alias, a malformed `${`).
   */
  placeholders: ReadonlySet<string>;
}

export function pointerOf(segments: ReadonlyArray<string | number>): string {
  let pointer = '';
  for (const segment of segments) {
    const text = String(segment);
    // The common case without `~` or `/` skips the regular expressions: tables have 100k keys.
    pointer += '/' + (text.includes('~') || text.includes('/') ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text);
  }
  return pointer;
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

/**
 * What one file may ask of the parser. A pipeline nests a handful of levels; aliases share a
 * defaults block or a field list. These bounds keep a hostile or mistaken file from exhausting the
 * stack (deep nesting) or the CPU and memory (aliases and merge keys that multiply, the "billion
 * laughs"), each reported at its place instead.
 */
export const YAML_LIMITS = {
  /** Collections nested in one another, aliases expanded. */
  maxDepth: 100,
  /** Aliases resolved, each `<<` merge source counted as one. */
  maxAliases: 1000,
  /** Values materialised through aliases and merge keys, in all. */
  maxAliasedValues: 100_000,
} as const;

/** Tags a pipeline may spell out: the JSON types. `!!binary`, `!!timestamp`, `!!set`, custom `!tags`… are not data a pipeline can use. */
const JSON_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));

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
  /** A value refused and reported here: later checks of it would only repeat the problem. */
  const refuse = (offset: number, code: string, message: string, pointer: string) => {
    problemAt(offset, code, message, pointer);
    placeholders.add(pointer);
  };

  const parsed = composeBounded(text, lineCounter);
  if (parsed.tooDeepAt !== undefined) problemAt(parsed.tooDeepAt, 'yaml_too_deep', tooDeepMessage());
  const doc = parsed.doc;
  for (const e of doc?.errors ?? []) problemAt(e.pos[0], 'yaml_syntax', `YAML syntax error: ${e.message}`);
  if (parsed.secondDocumentAt !== undefined) {
    problemAt(parsed.secondDocumentAt, 'yaml_syntax', 'a pipeline file holds one YAML document; remove the `---` separator and what follows');
  }
  // An unknown tag is reported below as an error of its own, at the same place.
  for (const w of doc?.warnings ?? []) if (w.code !== 'TAG_RESOLVE_FAILED') problemAt(w.pos[0], 'yaml_warning', w.message, '', 'warning');
  const broken = !doc || problems.some((p) => p.severity === 'error');

  let anchorIndex: Map<Node, Node | undefined> | undefined;
  // Built on the first alias: most files have none, and the walk costs a pass over the document.
  const anchors = { get: (alias: Node) => (anchorIndex ??= doc ? aliasTargets(doc) : new Map()).get(alias) };
  let aliasesResolved = 0;
  let aliasedValues = 0;
  let overBudget = false;
  let tooDeep = false;
  /** Counts one alias or merge source against the budget; false once it is spent (reported once). */
  const spendAlias = (at: number, pointer: string): boolean => {
    if (overBudget) return false;
    if (++aliasesResolved <= YAML_LIMITS.maxAliases) return true;
    overBudget = true;
    problemAt(at, 'yaml_alias_budget', aliasBudgetMessage(`more than ${YAML_LIMITS.maxAliases} aliases and merge keys`), pointer);
    return false;
  };

  const keyOf = (keyNode: Node | null): { key: string } | { problem: string } => {
    if (keyNode === null || isScalar(keyNode)) {
      if (keyNode?.tag && !JSON_TAGS.has(keyNode.tag)) return { problem: tagMessage(keyNode.tag) };
      const value = keyNode?.value ?? null;
      if (typeof value === 'string') return { key: value };
      // `0042:` or `1.50:` are keys as written (GL codes, SKUs): as numbers they would lose digits.
      if (keyNode?.type === 'PLAIN' && typeof keyNode.source === 'string') return { key: keyNode.source };
      return { key: String(value) };
    }
    return { problem: 'a key must be text (a scalar), not a list, a mapping or an alias' };
  };

  const toValue = (
    node: Node | null | undefined,
    pointer: string,
    keyOffset: number | undefined,
    ancestors: ReadonlySet<Node>,
    depth: number,
    aliasAt: number | undefined,
  ): unknown => {
    if (overBudget || tooDeep) return null;
    if (isAlias(node)) {
      const at = node.range?.[0] ?? keyOffset ?? 0;
      const target = anchors.get(node);
      if (!target) {
        refuse(at, 'yaml_alias_undefined', `alias *${node.source} names no anchor: define &${node.source} before it, or remove the *`, pointer);
        return null;
      }
      // An alias to its own ancestor would never end.
      if (ancestors.has(target)) {
        refuse(at, 'yaml_alias_cycle', `alias *${node.source} refers to a collection that contains it, so it would never end`, pointer);
        return null;
      }
      if (!spendAlias(at, pointer)) return null;
      return toValue(target, pointer, keyOffset, ancestors, depth, aliasAt ?? at);
    }
    const valueOffset = node?.range?.[0] ?? keyOffset ?? 0;
    if (aliasAt !== undefined && ++aliasedValues > YAML_LIMITS.maxAliasedValues) {
      overBudget = true;
      problemAt(aliasAt, 'yaml_alias_budget', aliasBudgetMessage(`more than ${YAML_LIMITS.maxAliasedValues} values`), pointer);
      return null;
    }
    if (depth > YAML_LIMITS.maxDepth) {
      tooDeep = true;
      problemAt(aliasAt ?? valueOffset, 'yaml_too_deep', tooDeepMessage(), pointer);
      return null;
    }
    const location: Location = { valueOffset, ...(keyOffset !== undefined ? { keyOffset } : {}) };
    locations.set(pointer, location);
    if (!node) return null;
    const tag = (node as { tag?: string }).tag;
    if (tag && !JSON_TAGS.has(tag)) {
      refuse(tagOffset(text, valueOffset), 'yaml_tag', tagMessage(tag), pointer);
      return null;
    }
    if (isMap(node)) {
      const inside = new Set(ancestors).add(node);
      const out: Record<string, unknown> = {};
      const set = (key: string, value: unknown) => {
        // A key `__proto__` is data like any other: assigned, it would replace the prototype.
        if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
        else out[key] = value;
      };
      const written = new Map<string, number>();
      const merges: Array<{ value: Node | null; at: number }> = [];
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const childKeyOffset = keyNode?.range?.[0] ?? valueOffset;
        const keyed = keyOf(keyNode);
        if ('problem' in keyed) {
          refuse(childKeyOffset, isScalar(keyNode) ? 'yaml_tag' : 'yaml_key', keyed.problem, pointer);
          continue;
        }
        const key = keyed.key;
        if (key === '<<' && isScalar(keyNode) && keyNode.type === 'PLAIN') {
          merges.push({ value: pair.value as Node | null, at: childKeyOffset });
          continue;
        }
        const childPointer = pointer + pointerOf([key]);
        const first = written.get(key);
        if (first !== undefined) {
          problemAt(
            childKeyOffset,
            'yaml_duplicate_key',
            `duplicate key '${key}' (lines ${position(first).line} and ${position(childKeyOffset).line}): a key appears once in a mapping; remove or rename one`,
            childPointer,
          );
          continue;
        }
        written.set(key, childKeyOffset);
        const child = toValue(pair.value as Node | null, childPointer, childKeyOffset, inside, depth + 1, aliasAt);
        // An empty interpolated string means "not set".
        if (child !== EMPTY_INTERPOLATION) set(key, child);
      }
      // `<<: *defaults` (YAML merge key): keys written here win, then the sources in order.
      for (const merge of merges) {
        for (const source of mergeSources(merge.value, merge.at)) {
          if ('problem' in source) {
            refuse(source.at, source.code, source.problem, pointer);
            continue;
          }
          if (inside.has(source.map)) {
            refuse(source.at, 'yaml_merge_cycle', 'this merge key (<<) merges a mapping into itself, so it would never end', pointer);
            continue;
          }
          if (!spendAlias(source.at, pointer)) break;
          for (const pair of source.map.items) {
            const keyNode = pair.key as Node | null;
            const keyed = keyOf(keyNode);
            if ('problem' in keyed || keyed.key === '<<' || written.has(keyed.key)) continue;
            written.set(keyed.key, keyNode?.range?.[0] ?? valueOffset);
            const child = toValue(
              pair.value as Node | null,
              pointer + pointerOf([keyed.key]),
              keyNode?.range?.[0] ?? valueOffset,
              inside,
              depth + 1,
              aliasAt ?? source.at,
            );
            if (child !== EMPTY_INTERPOLATION) set(keyed.key, child);
          }
        }
      }
      return out;
    }
    if (isSeq(node)) {
      const inside = new Set(ancestors).add(node);
      return node.items.map((item, index) => {
        const child = toValue(item as Node | null, pointer + pointerOf([index]), undefined, inside, depth + 1, aliasAt);
        return child === EMPTY_INTERPOLATION ? '' : child;
      });
    }
    if (isScalar(node)) {
      location.scalar = node;
      if (typeof node.value === 'number' && !Number.isFinite(node.value)) {
        refuse(
          valueOffset,
          'yaml_value',
          `${String(node.source ?? node.value)} is not a number a pipeline can hold (NaN and infinities are not JSON)`,
          pointer,
        );
        return null;
      }
      if (typeof node.value !== 'string') return node.value;
      location.raw = node.value;
      if (!interpolation || !node.value.includes('${')) return node.value;
      for (const bad of malformedReferences(node.value)) {
        refuse(scalarValueOffsets(text, node)[bad.start] ?? valueOffset, 'env_syntax', bad.message, pointer);
      }
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
      // Always text, as the environment gave it: an API key `1.50` or `+42` must not become a number.
      // A property the schema types as a number or boolean is converted by the loader.
      return result.value;
    }
    return null;
  };

  const walked = broken || !doc ? undefined : toValue(doc.contents as Node | null, '', undefined, new Set(), 0, undefined);
  // Past a budget the values are cut short: checking what is left would only report the cuts.
  const cut = overBudget || tooDeep;
  const value = cut ? undefined : walked;

  /** The map(s) a merge key's value names: one alias or mapping, or a list of them. */
  function mergeSources(value: Node | null, keyAt: number): Array<{ map: YAMLMap; at: number } | { problem: string; code: string; at: number }> {
    const one = (n: unknown): { map: YAMLMap; at: number } | { problem: string; code: string; at: number } => {
      const at = (n as Node | null)?.range?.[0] ?? keyAt;
      if (isAlias(n)) {
        const target = anchors.get(n);
        if (!target) return { problem: `alias *${n.source} names no anchor: define &${n.source} before it, or remove the *`, code: 'yaml_alias_undefined', at };
        if (isMap(target)) return { map: target as YAMLMap, at };
      } else if (isMap(n)) return { map: n as YAMLMap, at };
      return { problem: 'the value of a merge key (<<) must be a mapping, an alias to one, or a list of them', code: 'yaml_merge', at };
    };
    return isSeq(value) ? value.items.map(one) : [one(value)];
  }
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
    broken: broken || cut,
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

/**
 * Parses with the nesting depth bounded: the YAML library composes collections recursively, so a
 * file nested a few thousand levels deep would exhaust the stack. Its parser keeps an explicit
 * stack, watched here lexeme by lexeme, so parsing stops at the first level too deep.
 */
function composeBounded(text: string, lineCounter: LineCounter): { doc?: Document; tooDeepAt?: number; secondDocumentAt?: number } {
  const parser = new Parser(lineCounter.addNewLine);
  // What Parser.parse() does before the first lexeme: the first line starts at 0.
  lineCounter.addNewLine(0);
  const tokens = [];
  for (const lexeme of new Lexer().lex(text)) {
    for (const token of parser.next(lexeme)) tokens.push(token);
    // The parser's stack holds the document and the token in progress besides the collections.
    if (parser.stack.length > YAML_LIMITS.maxDepth + 2) return { tooDeepAt: parser.offset };
  }
  for (const token of parser.end()) tokens.push(token);
  // Duplicate keys are found by the tree walk in linear time; the library's check is quadratic.
  const composer = new Composer({ uniqueKeys: false, merge: false });
  let doc: Document | undefined;
  for (const next of composer.compose(tokens, true, text.length)) {
    if (!doc) doc = next;
    else return { doc, secondDocumentAt: next.range[0] };
  }
  return doc ? { doc } : {};
}

/** Each alias node and the node it names: the last anchor of that name before it (one pass, not one per alias). */
function aliasTargets(doc: Document): Map<Node, Node | undefined> {
  const targets = new Map<Node, Node | undefined>();
  const defined = new Map<string, Node>();
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node)) targets.set(node, defined.get(node.source));
      else if (node.anchor) defined.set(node.anchor, node);
    },
  });
  return targets;
}

/** Where the tag of the node whose value starts at `valueOffset` is written (`!!binary` in `!!binary &a aGk=`). */
function tagOffset(text: string, valueOffset: number): number {
  let end = valueOffset;
  // The tag is one of the two tokens before the value (the other may be an anchor).
  for (let token = 0; token < 2; token++) {
    while (end > 0 && /\s/.test(text[end - 1] as string)) end--;
    let start = end;
    while (start > 0 && !/[\s,[{]/.test(text[start - 1] as string)) start--;
    if (text[start] === '!') return start;
    end = start;
  }
  return valueOffset;
}

function tooDeepMessage(): string {
  return `collections are nested more than ${YAML_LIMITS.maxDepth} levels deep here; a pipeline needs a handful: flatten this data`;
}

function aliasBudgetMessage(what: string): string {
  return `aliases (*name) and merge keys (<<) here expand to ${what}, as a "billion laughs" file does; write the shared data out where it is needed`;
}

function tagMessage(tag: string): string {
  const shown = tag.startsWith('tag:yaml.org,2002:') ? `!!${tag.slice('tag:yaml.org,2002:'.length)}` : tag;
  return `${shown} is not allowed: a pipeline holds only text, numbers, true/false, null, lists and mappings (JSON values)`;
}

export function isPlaceholder(value: unknown): boolean {
  return typeof value === 'string' && value.includes(PLACEHOLDER_PREFIX);
}

/**
 * The variables a value loaded in `validate` mode still waits for: the names behind its
 * placeholders, at any depth. A command that loads a pipeline without all its secrets (`report`
 * needs the sink's, not the source's) checks the part it uses with this.
 */
export function unsetVariables(value: unknown): string[] {
  const names = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const match of v.matchAll(new RegExp(`${PLACEHOLDER_PREFIX}([^>]+)>`, 'g'))) names.add(match[1] as string);
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(value);
  return [...names];
}

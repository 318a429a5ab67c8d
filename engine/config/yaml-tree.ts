/**
 * A YAML file turned into plain data while keeping, for every JSON pointer, where its key and
 * value stand in the file. Strings are interpolated (`${VAR}`) here, after parsing, so positions
 * refer to the text as written.
 */
import { didYouMean } from './suggest.js';
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
  /** Every `${VAR}` of the file: the string it is in and where it is written. */
  variableReferences(): Array<{ pointer: string; name: string } & Position>;
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
  const parsed = composeBounded(text, lineCounter);
  const walk = new TreeWalk(text, file, lineCounter, parsed.doc, interpolation);
  walk.reportParse(parsed);
  const broken = !parsed.doc || walk.problems.some((p) => p.severity === 'error');
  const walked = broken || !parsed.doc ? undefined : walk.value(parsed.doc.contents as Node | null, '', undefined, new Set(), 0, undefined);
  // Past a budget the values are cut short: checking what is left would only report the cuts.
  const cut = walk.overBudget || walk.tooDeep;
  return walk.tree(cut ? undefined : walked, broken || cut);
}

type MergeSource = { map: YAMLMap; at: number } | { problem: string; code: string; at: number };

/**
 * One pass over the composed document: plain values out, the position of every key and value
 * recorded by JSON pointer, aliases and merge keys expanded within the budget, `${VAR}` interpolated.
 */
class TreeWalk {
  readonly problems: ConfigProblem[] = [];
  overBudget = false;
  tooDeep = false;
  private readonly locations = new Map<string, Location>();
  private readonly placeholders = new Set<string>();
  private anchorIndex: Map<Node, Node | undefined> | undefined;
  private aliasesResolved = 0;
  private aliasedValues = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
    private readonly lineCounter: LineCounter,
    private readonly doc: Document | undefined,
    private readonly interpolation: InterpolationOptions | undefined,
  ) {}

  reportParse(parsed: { tooDeepAt?: number; secondDocumentAt?: number }): void {
    if (parsed.tooDeepAt !== undefined) this.problemAt(parsed.tooDeepAt, 'yaml_too_deep', tooDeepMessage());
    const misindented = new Set<number>();
    const errors = this.doc?.errors ?? [];
    const lineOf = (offset: number) => this.text.lastIndexOf('\n', offset - 1) + 1;
    // A tab in the indentation of the first line yaml stumbles on (an editor's, often inside a JSONata
    // block) sets off a cascade of messages none of which says "tab": one error says it instead.
    const first = errors.length ? Math.min(...errors.map((e) => e.pos[0])) : undefined;
    const tab = first === undefined ? -1 : (/^[ ]*\t/.exec(this.text.slice(lineOf(first)))?.[0].length ?? -1);
    if (first !== undefined && tab > 0) {
      this.problemAt(
        lineOf(first) + tab - 1,
        'yaml_tab',
        'this line is indented with a tab: YAML indents with spaces only (a JSONata block too); replace the tab with spaces',
      );
      return;
    }
    // A line yaml also finds wrong for another reason (indented less than its siblings) is the one to
    // fix: the deeper line below it is then right, and yaml's own words are kept.
    // With a comment line between the two keys, yaml says BAD_INDENT at the comment instead.
    const misindentation = (e: (typeof errors)[number]) =>
      MISINDENTATION_CODES.has(e.code) || (e.code === 'BAD_INDENT' && isBlankOrComment(this.text, e.pos[0]));
    const otherwiseWrong = new Set(errors.filter((e) => !misindentation(e)).map((e) => lineOf(e.pos[0])));
    for (const e of errors) {
      const line = misindentation(e) && !otherwiseWrong.has(lineOf(e.pos[0])) ? overIndentedLine(this.text, e.pos[0]) : undefined;
      if (!line) {
        this.problemAt(e.pos[0], 'yaml_syntax', `YAML syntax error: ${e.message}`);
        continue;
      }
      // yaml reports this once per symptom, at the end of the line above: one problem, at the line to fix.
      if (misindented.has(line.offset)) continue;
      misindented.add(line.offset);
      this.problemAt(
        line.offset,
        'yaml_indentation',
        `YAML: '${line.key}' starts at column ${line.indent + 1}, the key on the line above at column ${line.above + 1}: keys of one mapping start in the same column (as it is, YAML reads this line as part of the value above)`,
      );
    }
    if (parsed.secondDocumentAt !== undefined) {
      this.problemAt(parsed.secondDocumentAt, 'yaml_syntax', 'a pipeline file holds one YAML document; remove the `---` separator and what follows');
    }
    // An unknown tag is reported by the walk as an error of its own, at the same place.
    for (const w of this.doc?.warnings ?? []) if (w.code !== 'TAG_RESOLVE_FAILED') this.problemAt(w.pos[0], 'yaml_warning', w.message, '', 'warning');
  }

  value(
    node: Node | null | undefined,
    pointer: string,
    keyOffset: number | undefined,
    ancestors: ReadonlySet<Node>,
    depth: number,
    aliasAt: number | undefined,
  ): unknown {
    if (this.overBudget || this.tooDeep) return null;
    if (isAlias(node)) return this.alias(node, pointer, keyOffset, ancestors, depth, aliasAt);
    const valueOffset = node?.range?.[0] ?? keyOffset ?? 0;
    if (aliasAt !== undefined && ++this.aliasedValues > YAML_LIMITS.maxAliasedValues) {
      this.overBudget = true;
      this.problemAt(aliasAt, 'yaml_alias_budget', aliasBudgetMessage(`more than ${YAML_LIMITS.maxAliasedValues} values`), pointer);
      return null;
    }
    if (depth > YAML_LIMITS.maxDepth) {
      this.tooDeep = true;
      this.problemAt(aliasAt ?? valueOffset, 'yaml_too_deep', tooDeepMessage(), pointer);
      return null;
    }
    const location: Location = { valueOffset, ...(keyOffset !== undefined ? { keyOffset } : {}) };
    this.locations.set(pointer, location);
    if (!node) return null;
    const tag = (node as { tag?: string }).tag;
    if (tag && !JSON_TAGS.has(tag)) {
      this.refuse(tagOffset(this.text, valueOffset), 'yaml_tag', tagMessage(tag), pointer);
      return null;
    }
    if (isMap(node)) return this.mapping(node as YAMLMap, pointer, valueOffset, new Set(ancestors).add(node), depth, aliasAt);
    if (isSeq(node)) {
      const inside = new Set(ancestors).add(node);
      return node.items.map((item, index) => {
        const child = this.value(item as Node | null, pointer + pointerOf([index]), undefined, inside, depth + 1, aliasAt);
        return child === EMPTY_INTERPOLATION ? '' : child;
      });
    }
    if (isScalar(node)) return this.scalar(node, pointer, location);
    return null;
  }

  private alias(
    node: Node & { source: string },
    pointer: string,
    keyOffset: number | undefined,
    ancestors: ReadonlySet<Node>,
    depth: number,
    aliasAt: number | undefined,
  ): unknown {
    const at = node.range?.[0] ?? keyOffset ?? 0;
    const target = this.anchorOf(node);
    if (!target) {
      this.refuse(at, 'yaml_alias_undefined', `alias *${node.source} names no anchor: define &${node.source} before it, or remove the *`, pointer);
      return null;
    }
    // An alias to its own ancestor would never end.
    if (ancestors.has(target)) {
      this.refuse(at, 'yaml_alias_cycle', `alias *${node.source} refers to a collection that contains it, so it would never end`, pointer);
      return null;
    }
    if (!this.spendAlias(at, pointer)) return null;
    return this.value(target, pointer, keyOffset, ancestors, depth, aliasAt ?? at);
  }

  private mapping(
    node: YAMLMap,
    pointer: string,
    valueOffset: number,
    inside: ReadonlySet<Node>,
    depth: number,
    aliasAt: number | undefined,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const written = new Map<string, number>();
    const merges: Array<{ value: Node | null; at: number }> = [];
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const childKeyOffset = keyNode?.range?.[0] ?? valueOffset;
      const keyed = keyOf(keyNode);
      if ('problem' in keyed) {
        this.refuse(childKeyOffset, isScalar(keyNode) ? 'yaml_tag' : 'yaml_key', keyed.problem, pointer);
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
        this.problemAt(
          childKeyOffset,
          'yaml_duplicate_key',
          `duplicate key '${key}' (lines ${this.position(first).line} and ${this.position(childKeyOffset).line}): a key appears once in a mapping; remove or rename one`,
          childPointer,
        );
        continue;
      }
      written.set(key, childKeyOffset);
      setEntry(out, key, this.value(pair.value as Node | null, childPointer, childKeyOffset, inside, depth + 1, aliasAt));
    }
    // `<<: *defaults` (YAML merge key): keys written here win, then the sources in order.
    for (const merge of merges) this.merge(merge, out, written, pointer, valueOffset, inside, depth, aliasAt);
    return out;
  }

  private merge(
    merge: { value: Node | null; at: number },
    out: Record<string, unknown>,
    written: Map<string, number>,
    pointer: string,
    valueOffset: number,
    inside: ReadonlySet<Node>,
    depth: number,
    aliasAt: number | undefined,
  ): void {
    for (const source of this.mergeSources(merge.value, merge.at)) {
      if ('problem' in source) {
        this.refuse(source.at, source.code, source.problem, pointer);
        continue;
      }
      if (inside.has(source.map)) {
        this.refuse(source.at, 'yaml_merge_cycle', 'this merge key (<<) merges a mapping into itself, so it would never end', pointer);
        continue;
      }
      if (!this.spendAlias(source.at, pointer)) return;
      for (const pair of source.map.items) {
        const keyNode = pair.key as Node | null;
        const keyed = keyOf(keyNode);
        if ('problem' in keyed || keyed.key === '<<' || written.has(keyed.key)) continue;
        const keyOffset = keyNode?.range?.[0] ?? valueOffset;
        written.set(keyed.key, keyOffset);
        setEntry(out, keyed.key, this.value(pair.value as Node | null, pointer + pointerOf([keyed.key]), keyOffset, inside, depth + 1, aliasAt ?? source.at));
      }
    }
  }

  private scalar(node: Scalar, pointer: string, location: Location): unknown {
    location.scalar = node;
    const valueOffset = location.valueOffset;
    if (typeof node.value === 'number' && !Number.isFinite(node.value)) {
      this.refuse(
        valueOffset,
        'yaml_value',
        `${String(node.source ?? node.value)} is not a number a pipeline can hold (NaN and infinities are not JSON)`,
        pointer,
      );
      return null;
    }
    if (typeof node.value !== 'string') return node.value;
    location.raw = node.value;
    if (!this.interpolation || !node.value.includes('${')) return node.value;
    return this.interpolated(node, node.value, pointer, location, this.interpolation);
  }

  private interpolated(node: Scalar, raw: string, pointer: string, location: Location, interpolation: InterpolationOptions): unknown {
    const valueOffset = location.valueOffset;
    for (const bad of malformedReferences(raw)) {
      this.refuse(scalarValueOffsets(this.text, node)[bad.start] ?? valueOffset, 'env_syntax', bad.message, pointer);
    }
    const result = interpolate(raw, interpolation.env, (name) => `${PLACEHOLDER_PREFIX}${name}>`);
    if (result.references.length === 0) return raw;
    location.interpolated = result;
    for (const ref of result.references.filter((r) => r.unset)) {
      // The placeholder is not a value worth checking further, in either mode.
      this.placeholders.add(pointer);
      if (interpolation.mode === 'run') {
        const offsets = scalarValueOffsets(this.text, node);
        this.problemAt(offsets[ref.start] ?? valueOffset, 'env_unset', unsetVariableMessage(ref.name, interpolation.env), pointer);
      }
    }
    if (result.value === '') {
      // In validate mode an unset `${VAR:-}` may well be set where the pipeline runs: do not
      // report the property as missing there.
      if (interpolation.mode === 'validate' && result.references.some((r) => interpolation.env[r.name] === undefined)) this.placeholders.add(pointer);
      return EMPTY_INTERPOLATION;
    }
    // Always text, as the environment gave it: an API key `1.50` or `+42` must not become a number.
    // A property the schema types as a number or boolean is converted by the loader.
    return result.value;
  }

  /** The map(s) a merge key's value names: one alias or mapping, or a list of them. */
  private mergeSources(value: Node | null, keyAt: number): MergeSource[] {
    const one = (n: unknown): MergeSource => {
      const at = (n as Node | null)?.range?.[0] ?? keyAt;
      if (isAlias(n)) {
        const target = this.anchorOf(n);
        if (!target) return { problem: `alias *${n.source} names no anchor: define &${n.source} before it, or remove the *`, code: 'yaml_alias_undefined', at };
        if (isMap(target)) return { map: target as YAMLMap, at };
      } else if (isMap(n)) return { map: n as YAMLMap, at };
      return { problem: 'the value of a merge key (<<) must be a mapping, an alias to one, or a list of them', code: 'yaml_merge', at };
    };
    return isSeq(value) ? value.items.map(one) : [one(value)];
  }

  /** Built on the first alias: most files have none, and the index costs a pass over the document. */
  private anchorOf(alias: Node): Node | undefined {
    this.anchorIndex ??= this.doc ? aliasTargets(this.doc) : new Map();
    return this.anchorIndex.get(alias);
  }

  /** Counts one alias or merge source against the budget; false once it is spent (reported once). */
  private spendAlias(at: number, pointer: string): boolean {
    if (this.overBudget) return false;
    if (++this.aliasesResolved <= YAML_LIMITS.maxAliases) return true;
    this.overBudget = true;
    this.problemAt(at, 'yaml_alias_budget', aliasBudgetMessage(`more than ${YAML_LIMITS.maxAliases} aliases and merge keys`), pointer);
    return false;
  }

  private position(offset: number): Position {
    const p = this.lineCounter.linePos(offset);
    return { line: p.line, column: p.col };
  }

  private problemAt(offset: number, code: string, message: string, path = '', severity: ConfigProblem['severity'] = 'error'): void {
    this.problems.push({ code, file: this.file, path, ...this.position(offset), message, severity });
  }

  /** A value refused and reported here: later checks of it would only repeat the problem. */
  private refuse(offset: number, code: string, message: string, pointer: string): void {
    this.problemAt(offset, code, message, pointer);
    this.placeholders.add(pointer);
  }

  private nearest(pointer: string): Location {
    for (let p = pointer; ; p = parentPointer(p)) {
      const location = this.locations.get(p);
      if (location) return location;
      if (p === '') return { valueOffset: 0 };
    }
  }

  tree(value: unknown, broken: boolean): YamlTree {
    return {
      file: this.file,
      value,
      problems: this.problems,
      broken,
      placeholders: this.placeholders,
      has: (pointer) => this.locations.has(pointer),
      valuePosition: (pointer) => this.position(this.nearest(pointer).valueOffset),
      keyPosition: (pointer) => {
        const location = this.nearest(pointer);
        return this.position(location.keyOffset ?? location.valueOffset);
      },
      stringPosition: (pointer, index) => {
        const location = this.nearest(pointer);
        if (!location.scalar) return this.position(location.valueOffset);
        const rawIndex = location.interpolated ? (location.interpolated.rawIndex[index] ?? location.interpolated.rawIndex.at(-1) ?? 0) : index;
        const offsets = scalarValueOffsets(this.text, location.scalar);
        return this.position(offsets[Math.min(rawIndex, offsets.length - 1)] ?? location.valueOffset);
      },
      rawString: (pointer) => this.locations.get(pointer)?.raw,
      interpolation: (pointer) => this.locations.get(pointer)?.interpolated,
      variableReferences: () => {
        const found: Array<{ pointer: string; name: string } & Position> = [];
        for (const [pointer, location] of this.locations) {
          if (!location.interpolated || !location.scalar) continue;
          const offsets = scalarValueOffsets(this.text, location.scalar);
          for (const ref of location.interpolated.references)
            found.push({ pointer, name: ref.name, ...this.position(offsets[ref.start] ?? location.valueOffset) });
        }
        return found;
      },
    };
  }
}

function keyOf(keyNode: Node | null): { key: string } | { problem: string } {
  if (keyNode === null || isScalar(keyNode)) {
    if (keyNode?.tag && !JSON_TAGS.has(keyNode.tag)) return { problem: tagMessage(keyNode.tag) };
    const value = keyNode?.value ?? null;
    if (typeof value === 'string') return { key: value };
    // `0042:` or `1.50:` are keys as written (GL codes, SKUs): as numbers they would lose digits.
    if (keyNode?.type === 'PLAIN' && typeof keyNode.source === 'string') return { key: keyNode.source };
    return { key: String(value) };
  }
  return { problem: 'a key must be text (a scalar), not a list, a mapping or an alias' };
}

/** Sets a mapping entry; an empty interpolated string means "not set". */
function setEntry(out: Record<string, unknown>, key: string, value: unknown): void {
  if (value === EMPTY_INTERPOLATION) return;
  // A key `__proto__` is data like any other: assigned, it would replace the prototype.
  if (key === '__proto__') Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  else out[key] = value;
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

/** A variable that holds a credential: a default in the pipeline file would be a secret written down. */
const SECRET_NAME = /KEY|SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL/i;

/** What to do about `${name}` unset: export it (perhaps it is set under a name one typo away), or give a default unless it holds a secret. */
function unsetVariableMessage(name: string, env: Readonly<Record<string, string | undefined>>): string {
  const set = Object.keys(env).filter((key) => env[key] !== undefined);
  const fallback = SECRET_NAME.test(name) ? '' : ` or give a default \${${name}:-…}`;
  // Variables share long prefixes (CHARGEBEE_SITE and CHARGEBEE_API_KEY are 5 edits apart, a third
  // of the name): only a name at most two typos away is suggested.
  return `environment variable ${name} is not set${didYouMean(name, set, '', 2)}: export it${fallback}`;
}

/** yaml's errors for a line indented deeper than the key above it, which it reads as a continuation of that key's value. */
const MISINDENTATION_CODES: ReadonlySet<string> = new Set(['BLOCK_AS_IMPLICIT_KEY', 'MULTILINE_IMPLICIT_KEY']);

/**
 * The `key:` line after `offset` when it is indented deeper than the line holding `offset`: where a
 * person must fix what yaml reports at the end of the line above.
 */
/** Whether the line holding `offset` is blank or only a comment. */
function isBlankOrComment(text: string, offset: number): boolean {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  const end = text.indexOf('\n', start);
  return /^\s*(#.*)?$/.test(text.slice(start, end < 0 ? undefined : end));
}

function overIndentedLine(text: string, offset: number): { offset: number; key: string; indent: number; above: number } | undefined {
  let lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  // The key above is on the last line before any comment or blank lines yaml pointed at.
  while (lineStart > 0 && isBlankOrComment(text, lineStart)) lineStart = text.lastIndexOf('\n', lineStart - 2) + 1;
  // The column of the key on the line above: after its indentation and any `- ` of a list item.
  const above = /^ *(?:- +)*/.exec(text.slice(lineStart))![0].length;
  let next = text.indexOf('\n', offset);
  while (next >= 0) {
    const start = next + 1;
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end < 0 ? undefined : end);
    next = end;
    if (/^\s*(#.*)?$/.test(line)) continue;
    const match = /^( *)([^\s#:][^:#]*?):(\s|$)/.exec(line);
    if (!match || match[1]!.length <= above) return undefined;
    return { offset: start + match[1]!.length, key: match[2]!, indent: match[1]!.length, above };
  }
  return undefined;
}

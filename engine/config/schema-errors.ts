/**
 * Turns ajv errors into problems a person can act on: at the line and column of the offending
 * key or value, worded like "unknown property 'endpont' in stream 'invoices' (did you mean
 * 'endpoint'?)" or "streams[2].target.object is required", one problem per mistake.
 */
import type { ConfigProblem } from '../errors.js';
import type { ErrorObject } from './ajv.js';
import { closest, didYouMean } from './suggest.js';
import { segmentsOf, pointerOf, type YamlTree } from './yaml-tree.js';

export interface SchemaErrorContext {
  tree: YamlTree;
  /** The whole document, to name streams by their `name`. */
  root: unknown;
  /** Pointer of the validated value inside the document (when validating a block on its own). */
  base?: string;
  /** Code of every problem, e.g. `schema` or `connection_schema`. */
  code?: string;
  /** What the whole document is called in messages. Default `the pipeline`. */
  document?: string;
}

/** `/streams/2/target/object` → `streams[2].target.object`. */
export function humanPath(pointer: string): string {
  let out = '';
  for (const segment of segmentsOf(pointer)) {
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out || 'the pipeline';
}

/** Where a pointer is, in words: `the pipeline`, `stream 'invoices'`, `lookup table 'gl'`, or its path. */
export function describeLocation(pointer: string, root: unknown, document = 'the pipeline'): string {
  const segments = segmentsOf(pointer);
  if (segments.length === 0) return document;
  if (segments.length === 2 && (segments[0] === 'streams' || segments[0] === 'cases')) {
    const name = itemName(root, segments[0], Number(segments[1]));
    return name ? `${segments[0] === 'streams' ? 'stream' : 'case'} '${name}'` : humanPath(pointer);
  }
  if (segments.length === 2 && segments[0] === 'lookups') return `lookup table '${segments[1]}'`;
  if (segments.length === 1 && (segments[0] === 'source' || segments[0] === 'sink')) {
    const connector = (root as Record<string, Record<string, unknown> | undefined>)[segments[0]]?.['connector'];
    return typeof connector === 'string' ? `${segments[0]} (${connector} connection)` : segments[0];
  }
  return humanPath(pointer);
}

/** The `name` of item `index` of a named list (`streams` of a pipeline, `cases` of a cases file). */
function itemName(root: unknown, list: string, index: number): string | undefined {
  const items = (root as Record<string, unknown> | undefined)?.[list];
  const item = Array.isArray(items) ? (items[index] as { name?: unknown } | undefined) : undefined;
  return typeof item?.name === 'string' ? item.name : undefined;
}

export function schemaProblems(errors: readonly ErrorObject[], ctx: SchemaErrorContext): ConfigProblem[] {
  const kept = dropMisspeltRequired(dropOneOfNoise(errors.filter((e) => !isUnderPlaceholder(ctx.base ?? '', e, ctx.tree))));
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const error of kept) {
    const problem = toProblem(error, ctx);
    if (!problem) continue;
    const key = `${problem.path}\n${problem.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push(problem);
  }
  return problems;
}

/**
 * `endpont: invoices` makes two errors: unknown `endpont`, missing `endpoint`. The first, with its
 * "did you mean 'endpoint'?", says it all.
 */
function dropMisspeltRequired(errors: ErrorObject[]): ErrorObject[] {
  const suggested = new Set<string>();
  for (const e of errors) {
    if (e.keyword !== 'additionalProperties') continue;
    const known = Object.keys(((e.parentSchema as { properties?: object } | undefined)?.properties ?? {}) as object);
    const best = closest(String((e.params as { additionalProperty?: unknown }).additionalProperty), known);
    if (best !== undefined) suggested.add(`${e.instancePath}\n${best}`);
  }
  return errors.filter(
    (e) => e.keyword !== 'required' || !suggested.has(`${e.instancePath}\n${String((e.params as { missingProperty?: unknown }).missingProperty)}`),
  );
}

function isUnderPlaceholder(base: string, error: ErrorObject, tree: YamlTree): boolean {
  const missing = error.keyword === 'required' ? pointerOf([String((error.params as { missingProperty?: unknown }).missingProperty)]) : '';
  const pointer = base + error.instancePath + missing;
  for (const p of tree.placeholders) if (pointer === p || pointer.startsWith(p + '/')) return true;
  return false;
}

/**
 * A `oneOf` reports every branch's failures. Keep only the branch the author evidently meant
 * (the one whose required properties are all present); with none or several, one clear message.
 */
function dropOneOfNoise(errors: readonly ErrorObject[]): ErrorObject[] {
  let out = [...errors];
  for (const oneOf of errors.filter((e) => e.keyword === 'oneOf')) {
    const branches = ((oneOf.parentSchema as { oneOf?: unknown[] } | undefined)?.oneOf ?? []) as Array<{ required?: string[] }>;
    const data = oneOf.data as Record<string, unknown> | null;
    const intended = branches
      .map((branch, index) => ({ index, required: branch.required ?? [] }))
      .filter((b) => data !== null && typeof data === 'object' && b.required.every((r) => r in data));
    const inBranch = (e: ErrorObject, index?: number) =>
      e.schemaPath.startsWith(`${oneOf.schemaPath}/${index === undefined ? '' : String(index) + '/'}`) && e !== oneOf;
    if (intended.length === 1) {
      const keep = intended[0]?.index;
      out = out.filter((e) => e !== oneOf && (!inBranch(e) || inBranch(e, keep)));
    } else {
      out = out.filter((e) => !inBranch(e));
    }
  }
  return out;
}

function toProblem(error: ErrorObject, ctx: SchemaErrorContext): ConfigProblem | undefined {
  if (isInnerPropertyNameFailure(error)) return undefined;
  const site = new ErrorSite(error, ctx);
  return (problemByKeyword.get(error.keyword) ?? otherProblem)(site);
}

/** propertyNames reports the inner failure too (with `propertyName`, or a schemaPath through propertyNames); the propertyNames error says it all. */
function isInnerPropertyNameFailure(error: ErrorObject): boolean {
  const params = error.params as Record<string, unknown>;
  return ((error.propertyName ?? params['propertyName']) !== undefined || error.schemaPath.includes('/propertyNames/')) && error.keyword !== 'propertyNames';
}

/** One ajv error with what every message about it needs: where it points, that place in words, and a problem at it. */
class ErrorSite {
  readonly pointer: string;
  readonly human: string;
  readonly params: Record<string, unknown>;
  readonly parent: Record<string, unknown> | undefined;
  readonly data: unknown;

  constructor(
    readonly error: ErrorObject,
    private readonly ctx: SchemaErrorContext,
  ) {
    this.pointer = (ctx.base ?? '') + error.instancePath;
    this.human = humanPath(this.pointer);
    this.params = error.params as Record<string, unknown>;
    this.parent = error.parentSchema as Record<string, unknown> | undefined;
    this.data = error.data;
  }

  /** The pointer of property `name` of the value the error is about. */
  below(name: string): string {
    return this.pointer + pointerOf([name]);
  }

  /** The value's place in words: `stream 'invoices'`, `lookup table 'gl'`, or its path. */
  location(): string {
    return describeLocation(this.pointer, this.ctx.root, this.ctx.document);
  }

  /** ` (the value of ${A} and ${B})` when the value was interpolated, else nothing. */
  interpolatedFrom(): string {
    const variables = this.ctx.tree.interpolation(this.pointer)?.references.map((r) => `\${${r.name}}`) ?? [];
    return variables.length ? ` (the value of ${variables.join(' and ')})` : '';
  }

  problem(path: string, at: 'key' | 'value', message: string, code = this.ctx.code ?? 'schema'): ConfigProblem {
    const { tree } = this.ctx;
    return {
      code,
      file: tree.file,
      path,
      ...(at === 'key' ? tree.keyPosition(path) : tree.valuePosition(path)),
      message,
      severity: 'error',
    };
  }
}

type ProblemAt = (site: ErrorSite) => ConfigProblem;

function missingProperty(s: ErrorSite): ConfigProblem {
  return s.problem(s.pointer, 'key', `${humanPath(s.below(String(s.params['missingProperty'])))} is required`, 'schema_required');
}

function unknownProperty(s: ErrorSite): ConfigProblem {
  const extra = String(s.params['additionalProperty']);
  const known = Object.keys((s.parent?.['properties'] as Record<string, unknown> | undefined) ?? {});
  return s.problem(s.below(extra), 'key', `unknown property '${extra}' in ${s.location()}${didYouMean(extra, known)}`, 'schema_unknown_property');
}

function wrongType(s: ErrorSite): ConfigProblem {
  const expected = Array.isArray(s.params['type']) ? (s.params['type'] as string[]).join(' or ') : String(s.params['type']);
  return s.problem(s.pointer, 'value', `${s.human} must be ${article(expected)}, not ${describeValue(s.data)}${s.interpolatedFrom()}`, 'schema_type');
}

function notTheAllowedValues(s: ErrorSite): ConfigProblem {
  const allowed = (s.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v));
  const hint = typeof s.data === 'string' ? didYouMean(s.data, (s.params['allowedValues'] as unknown[]).map(String)) : '';
  return s.problem(s.pointer, 'value', `${s.human} must be one of ${allowed.join(', ')}, not ${describeValue(s.data)}${hint}`);
}

/** A tagged union (`type: basic`) whose tag is missing or names no branch. */
function wrongTag(s: ErrorSite): ConfigProblem {
  const branches = ((s.parent?.['oneOf'] as Array<{ properties?: { type?: { const?: unknown } } }>) ?? []).map((b) => String(b.properties?.type?.const));
  const tag = String(s.params['tag']);
  const given = (s.data as Record<string, unknown> | null)?.[tag];
  if (given === undefined) return s.problem(s.pointer, 'key', `${humanPath(s.below(tag))} is required (one of ${branches.join(', ')})`, 'schema_required');
  const hint = typeof given === 'string' ? didYouMean(given, branches) : '';
  return s.problem(s.below(tag), 'value', `${humanPath(s.below(tag))} must be one of ${branches.join(', ')}, not ${describeValue(given)}${hint}`);
}

/** A `oneOf` of required-property sets: none of them given, or more than one. */
function noneOrSeveralBranches(s: ErrorSite): ConfigProblem {
  const oneOf = (s.parent?.['oneOf'] as Array<{ required?: string[] }> | undefined) ?? [];
  const branches = oneOf.map((b) => (b.required ?? []).map((r) => `'${r}'`).join(' and '));
  const data = s.data as Record<string, unknown> | null;
  const given = branches.filter((_, i) => (oneOf[i]?.required ?? []).every((r) => data && r in data));
  return given.length > 1
    ? s.problem(s.pointer, 'key', `${s.human} must have only one of ${branches.join(' or ')}`)
    : s.problem(s.pointer, 'key', `${s.human} needs ${branches.join(' or ')}`, 'schema_required');
}

function outOfRange(s: ErrorSite): ConfigProblem {
  return s.problem(s.pointer, 'value', `${s.human} must be ${String(s.params['comparison'])} ${String(s.params['limit'])}, not ${describeValue(s.data)}`);
}

function tooShort(s: ErrorSite): ConfigProblem {
  const limit = s.params['limit'];
  return s.problem(s.pointer, 'value', limit === 1 ? `${s.human} must not be empty` : `${s.human} must be at least ${String(limit)} characters long`);
}

function invalidPropertyName(s: ErrorSite): ConfigProblem {
  const name = String(s.params['propertyName']);
  const pattern = (s.parent?.['propertyNames'] as { pattern?: string } | undefined)?.pattern;
  return s.problem(s.below(name), 'key', `'${name}' is not a valid name in ${s.location()}${pattern ? ` (names must match ${pattern})` : ''}`);
}

function otherProblem(s: ErrorSite): ConfigProblem {
  return s.problem(s.pointer, 'value', `${s.human} ${s.error.message ?? 'is invalid'}`);
}

const problemByKeyword = new Map<string, ProblemAt>([
  ['required', missingProperty],
  ['additionalProperties', unknownProperty],
  ['type', wrongType],
  ['const', (s) => s.problem(s.pointer, 'value', `${s.human} must be ${JSON.stringify(s.params['allowedValue'])}, not ${describeValue(s.data)}`)],
  ['enum', notTheAllowedValues],
  ['discriminator', wrongTag],
  ['oneOf', noneOrSeveralBranches],
  ['pattern', (s) => s.problem(s.pointer, 'value', `${s.human} ${describeValue(s.data)} does not match the pattern ${String(s.params['pattern'])}`)],
  ['format', (s) => s.problem(s.pointer, 'value', `${s.human} must be a valid ${String(s.params['format'])}, not ${describeValue(s.data)}`)],
  ['minimum', outOfRange],
  ['maximum', outOfRange],
  ['exclusiveMinimum', outOfRange],
  ['exclusiveMaximum', outOfRange],
  ['minItems', (s) => s.problem(s.pointer, 'key', `${s.human} must have at least ${String(s.params['limit'])} item${s.params['limit'] === 1 ? '' : 's'}`)],
  ['minProperties', (s) => s.problem(s.pointer, 'key', `${s.human} must not be empty`)],
  ['minLength', tooShort],
  ['maxLength', (s) => s.problem(s.pointer, 'value', `${s.human} must be at most ${String(s.params['limit'])} characters long`)],
  ['uniqueItems', (s) => s.problem(s.pointer, 'value', `${s.human} has the same item twice (items ${String(s.params['j'])} and ${String(s.params['i'])})`)],
  ['propertyNames', invalidPropertyName],
]);

function article(type: string): string {
  if (type === 'object') return 'a mapping';
  if (type === 'array') return 'a list';
  if (type === 'null') return 'empty';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    // A URL's user name and password never reach a message.
    const shown = value.replace(/(\/\/)[^/?#@\s]*@/g, '$1…@');
    return JSON.stringify(shown.length > 60 ? shown.slice(0, 57) + '...' : shown);
  }
  return String(value);
}

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
  const { tree, root } = ctx;
  const pointer = (ctx.base ?? '') + error.instancePath;
  const human = humanPath(pointer);
  const problem = (path: string, at: 'key' | 'value', message: string, code = ctx.code ?? 'schema'): ConfigProblem => ({
    code,
    file: tree.file,
    path,
    ...(at === 'key' ? tree.keyPosition(path) : tree.valuePosition(path)),
    message,
    severity: 'error',
  });
  const params = error.params as Record<string, unknown>;
  const parent = error.parentSchema as Record<string, unknown> | undefined;
  // propertyNames reports the inner failure too (with `propertyName`, or a schemaPath through propertyNames); the propertyNames error says it all.
  if (((error.propertyName ?? params['propertyName']) !== undefined || error.schemaPath.includes('/propertyNames/')) && error.keyword !== 'propertyNames')
    return undefined;

  switch (error.keyword) {
    case 'required': {
      const missing = String(params['missingProperty']);
      return problem(pointer, 'key', `${humanPath(pointer + pointerOf([missing]))} is required`, 'schema_required');
    }
    case 'additionalProperties': {
      const extra = String(params['additionalProperty']);
      const known = Object.keys((parent?.['properties'] as Record<string, unknown> | undefined) ?? {});
      return problem(
        pointer + pointerOf([extra]),
        'key',
        `unknown property '${extra}' in ${describeLocation(pointer, root, ctx.document)}${didYouMean(extra, known)}`,
        'schema_unknown_property',
      );
    }
    case 'type': {
      const expected = Array.isArray(params['type']) ? (params['type'] as string[]).join(' or ') : String(params['type']);
      const variables = tree.interpolation(pointer)?.references.map((r) => `\${${r.name}}`) ?? [];
      const from = variables.length ? ` (the value of ${variables.join(' and ')})` : '';
      return problem(pointer, 'value', `${human} must be ${article(expected)}, not ${describeValue(error.data)}${from}`, 'schema_type');
    }
    case 'const':
      return problem(pointer, 'value', `${human} must be ${JSON.stringify(params['allowedValue'])}, not ${describeValue(error.data)}`);
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v));
      const hint = typeof error.data === 'string' ? didYouMean(error.data, (params['allowedValues'] as unknown[]).map(String)) : '';
      return problem(pointer, 'value', `${human} must be one of ${allowed.join(', ')}, not ${describeValue(error.data)}${hint}`);
    }
    case 'discriminator': {
      const branches = ((parent?.['oneOf'] as Array<{ properties?: { type?: { const?: unknown } } }>) ?? []).map((b) => String(b.properties?.type?.const));
      const tag = String(params['tag']);
      const given = (error.data as Record<string, unknown> | null)?.[tag];
      if (given === undefined)
        return problem(pointer, 'key', `${humanPath(pointer + pointerOf([tag]))} is required (one of ${branches.join(', ')})`, 'schema_required');
      const hint = typeof given === 'string' ? didYouMean(given, branches) : '';
      return problem(
        pointer + pointerOf([tag]),
        'value',
        `${humanPath(pointer + pointerOf([tag]))} must be one of ${branches.join(', ')}, not ${describeValue(given)}${hint}`,
      );
    }
    case 'oneOf': {
      const branches = ((parent?.['oneOf'] as Array<{ required?: string[] }>) ?? []).map((b) => (b.required ?? []).map((r) => `'${r}'`).join(' and '));
      const data = error.data as Record<string, unknown> | null;
      const given = branches.filter((_, i) =>
        ((parent?.['oneOf'] as Array<{ required?: string[] }> | undefined)?.[i]?.required ?? []).every((r) => data && r in data),
      );
      return given.length > 1
        ? problem(pointer, 'key', `${human} must have only one of ${branches.join(' or ')}`)
        : problem(pointer, 'key', `${human} needs ${branches.join(' or ')}`, 'schema_required');
    }
    case 'pattern':
      return problem(pointer, 'value', `${human} ${describeValue(error.data)} does not match the pattern ${String(params['pattern'])}`);
    case 'format':
      return problem(pointer, 'value', `${human} must be a valid ${String(params['format'])}, not ${describeValue(error.data)}`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return problem(pointer, 'value', `${human} must be ${String(params['comparison'])} ${String(params['limit'])}, not ${describeValue(error.data)}`);
    case 'minItems':
      return problem(pointer, 'key', `${human} must have at least ${String(params['limit'])} item${params['limit'] === 1 ? '' : 's'}`);
    case 'minProperties':
      return problem(pointer, 'key', `${human} must not be empty`);
    case 'minLength':
      return problem(
        pointer,
        'value',
        params['limit'] === 1 ? `${human} must not be empty` : `${human} must be at least ${String(params['limit'])} characters long`,
      );
    case 'maxLength':
      return problem(pointer, 'value', `${human} must be at most ${String(params['limit'])} characters long`);
    case 'uniqueItems':
      return problem(pointer, 'value', `${human} has the same item twice (items ${String(params['j'])} and ${String(params['i'])})`);
    case 'propertyNames': {
      const name = String(params['propertyName']);
      const pattern = (parent?.['propertyNames'] as { pattern?: string } | undefined)?.pattern;
      return problem(
        pointer + pointerOf([name]),
        'key',
        `'${name}' is not a valid name in ${describeLocation(pointer, root, ctx.document)}${pattern ? ` (names must match ${pattern})` : ''}`,
      );
    }
    default:
      return problem(pointer, 'value', `${human} ${error.message ?? 'is invalid'}`);
  }
}

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

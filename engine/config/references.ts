/**
 * Every identifier a pipeline names in its target (accounts, items, tax codes, locations…), with
 * where it is written, for `ledgersync check`. Found two ways:
 *
 * - derived: the sink's descriptor declares which mapped fields hold references
 *   (`references.fields`, e.g. `ItemRef.value: Item`); each mapping's JSONata AST is walked with
 *   the path of object keys leading to each value, and where a path ends with a declared field, the
 *   values that can reach it are collected: string literals, `$options.<name>`, every value and the
 *   default of a `$lookup("<table>", …)`, through `$variable := …` bindings and conditions;
 * - declared: `lookups.<name>.references: <kind>` and `option_references: {<option>: <kind>}`;
 * - read by the sink connector itself (its `connectorReferences`): lookup tables, and connection
 *   properties (`sink.<property>`, at its line in the pipeline file).
 *
 * Empty values are left out: an empty option or lookup value means "none" in a mapping.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { jsonata } from '../transform/jsonata.js';
import type { ConnectorDescriptor } from '../connector/descriptor.js';
import type { ConnectorReference } from '../connector/types.js';
import { parseYamlTree, pointerOf, type YamlTree } from './yaml-tree.js';
import type { LookupTable, Plan } from './plan.js';

/** Where a referenced value is written, to name it and say what to edit. */
export interface ReferenceOrigin {
  /** `lookups.gl_accounts.values["SAAS"]`, `lookups.gl_accounts.default`, `options.round_off_item_id`, `streams[2] mapping`. */
  where: string;
  file: string;
  line: number;
  /** How it was found: the mapped field it reaches, or the declaration. */
  via: string;
}

/** One identifier to verify in the target, with every place the pipeline writes it. */
export interface Reference {
  kind: string;
  value: string;
  origins: ReferenceOrigin[];
}

interface AstNode {
  type?: string;
  value?: unknown;
  position?: number;
  [key: string]: unknown;
}

type Leaf = { kind: 'literal'; value: string; offset: number } | { kind: 'option'; name: string } | { kind: 'lookup'; table: string };

const isNode = (value: unknown): value is AstNode => value !== null && typeof value === 'object' && !Array.isArray(value);

/** `$name := …` bindings anywhere in the expression, by name (scope is ignored: a name bound twice gives both). */
function bindingsOf(ast: unknown): Map<string, AstNode[]> {
  const binds = new Map<string, AstNode[]>();
  const seen = new Set<unknown>();
  const walk = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const child of node) walk(child);
      return;
    }
    const n = node as AstNode;
    if (n.type === 'bind' && isNode(n['lhs']) && n['lhs'].type === 'variable' && isNode(n['rhs'])) {
      const name = String(n['lhs'].value);
      binds.set(name, [...(binds.get(name) ?? []), n['rhs']]);
    }
    for (const [key, child] of Object.entries(n)) if (key !== 'position' && key !== 'value') walk(child);
  };
  walk(ast);
  return binds;
}

/** The values that can become the result of `node`: literals, options, lookup tables. */
function leavesOf(node: unknown, binds: Map<string, AstNode[]>, out: Leaf[], depth = 0): void {
  if (!isNode(node) || depth > 20) return;
  switch (node.type) {
    case 'string':
      out.push({ kind: 'literal', value: String(node.value), offset: node.position ?? 0 });
      return;
    case 'condition':
      leavesOf(node['then'], binds, out, depth + 1);
      leavesOf(node['else'], binds, out, depth + 1);
      return;
    case 'block': {
      const expressions = node['expressions'];
      if (Array.isArray(expressions)) leavesOf(expressions.at(-1), binds, out, depth + 1);
      return;
    }
    case 'bind':
      leavesOf(node['rhs'], binds, out, depth + 1);
      return;
    case 'variable':
      for (const rhs of binds.get(String(node.value)) ?? []) leavesOf(rhs, binds, out, depth + 1);
      return;
    case 'path': {
      const steps = node['steps'];
      if (Array.isArray(steps) && steps.length === 2 && isNode(steps[0]) && steps[0].type === 'variable' && steps[0].value === 'options') {
        const name = steps[1];
        if (isNode(name) && name.type === 'name') out.push({ kind: 'option', name: String(name.value) });
      }
      return;
    }
    case 'function': {
      const procedure = node['procedure'];
      const table = (node['arguments'] as unknown[] | undefined)?.[0];
      if (isNode(procedure) && procedure.type === 'variable' && procedure.value === 'lookup' && isNode(table) && table.type === 'string') {
        out.push({ kind: 'lookup', table: String(table.value) });
      }
      return;
    }
    case 'binary':
      // `a ?: b` and `a ?? b` give one of their sides.
      if (node.value === '?:' || node.value === '??') {
        leavesOf(node['lhs'], binds, out, depth + 1);
        leavesOf(node['rhs'], binds, out, depth + 1);
      }
      return;
  }
}

/** Object constructors' `[key, value]` pairs of a node (`{…}` or a path step's grouping). */
function pairsOf(node: AstNode): Array<[AstNode, unknown]> | undefined {
  const pairs = node.type === 'unary' && node.value === '{' ? node['lhs'] : isNode(node['group']) ? node['group']['lhs'] : undefined;
  if (!Array.isArray(pairs)) return undefined;
  return pairs.filter((p): p is [AstNode, unknown] => Array.isArray(p) && isNode(p[0]));
}

const endsWith = (path: readonly string[], suffix: readonly string[]): boolean =>
  suffix.length <= path.length && suffix.every((segment, i) => path[path.length - suffix.length + i] === segment);

/**
 * For each declared field an expression's object constructors set (arrays are transparent), the
 * values that can reach it. `root` is the key path of the expression's result (a `fields` mapping's
 * field name).
 */
export function referencedLeaves(
  source: string,
  fields: Readonly<Record<string, string>>,
  root: readonly string[] = [],
): Array<{ field: string; kind: string; leaf: Leaf }> {
  let ast: unknown;
  try {
    ast = jsonata(source).ast();
  } catch {
    return [];
  }
  const binds = bindingsOf(ast);
  const declared = Object.entries(fields).map(([field, kind]) => ({ field, kind, suffix: field.split('.') }));
  const found: Array<{ field: string; kind: string; leaf: Leaf }> = [];
  const seen = new Set<string>();
  const collect = (node: unknown, path: readonly string[]) => {
    for (const { field, kind, suffix } of declared) {
      if (!endsWith(path, suffix)) continue;
      const leaves: Leaf[] = [];
      leavesOf(node, binds, leaves);
      for (const leaf of leaves) {
        const key = `${field}\u0000${JSON.stringify(leaf)}`;
        if (!seen.has(key)) found.push({ field, kind, leaf });
        seen.add(key);
      }
    }
  };
  const visited = new Set<unknown>();
  const walk = (node: unknown, path: readonly string[]): void => {
    if (node === null || typeof node !== 'object' || visited.has(node)) return;
    visited.add(node);
    if (Array.isArray(node)) {
      for (const child of node) walk(child, path);
      return;
    }
    const n = node as AstNode;
    const pairs = pairsOf(n);
    if (pairs) {
      for (const [key, value] of pairs) {
        const next = key.type === 'string' ? [...path, String(key.value)] : path;
        collect(value, next);
        walk(value, next);
      }
      if (n.type === 'unary') return;
    }
    for (const [key, child] of Object.entries(n)) {
      if (key === 'position' || key === 'value' || (key === 'group' && pairs)) continue;
      walk(child, path);
    }
  };
  if (root.length) collect(ast, root);
  walk(ast, root);
  return found;
}

/** The line of an offset inside an expression: its first line, plus the line breaks before the offset. */
function lineIn(source: string, offset: number, position: { line: number }): number {
  return position.line + (source.slice(0, offset).match(/\n/g)?.length ?? 0);
}

/** Where a pipeline's key is, shown relative to the working directory. */
function shown(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel && !rel.startsWith('..') ? rel : file;
}

const nonEmpty = (value: unknown): value is string | number => (typeof value === 'string' && value.trim() !== '') || typeof value === 'number';

/** Adds every value of a lookup table (and its default) as a reference of `kind`. */
function tableReferences(plan: Plan, table: LookupTable, kind: string, via: string, add: (kind: string, value: string, origin: ReferenceOrigin) => void): void {
  const file = table.file ?? plan.file;
  for (const [key, value] of Object.entries(table.values)) {
    if (!nonEmpty(value)) continue;
    add(kind, String(value), {
      where: `lookups.${table.name}.values[${JSON.stringify(key)}]`,
      file: shown(file),
      line: table.lines?.get(key) ?? table.position.line,
      via,
    });
  }
  if (table.hasDefault && nonEmpty(table.default)) {
    add(kind, String(table.default), { where: `lookups.${table.name}.default`, file: shown(plan.file), line: table.defaultLine ?? table.position.line, via });
  }
}

/**
 * The line of a `sink.<property>` in the pipeline file (the plan keeps no positions of the
 * connection block), the file read once, at the first property asked; 1 when it cannot be read.
 */
function sinkPropertyLines(plan: Plan): (property: string) => number {
  let tree: YamlTree | null | undefined;
  return (property) => {
    if (tree === undefined) {
      try {
        tree = parseYamlTree(readFileSync(plan.file, 'utf8'), plan.file);
      } catch {
        tree = null;
      }
    }
    return tree ? tree.keyPosition(pointerOf(['sink', property])).line : 1;
  };
}

/**
 * Every reference the pipeline makes into its sink, each value once per kind with all its origins.
 * `connectorReferences`: lookup tables and connection properties the sink connector reads as
 * references itself (its module's `connectorReferences`).
 */
export function pipelineReferences(plan: Plan, options: { sink?: ConnectorDescriptor; connectorReferences?: readonly ConnectorReference[] } = {}): Reference[] {
  const fields = (options.sink ?? plan.sink.descriptor).references?.fields ?? {};
  const byKey = new Map<string, Reference>();
  const add = (kind: string, value: string, origin: ReferenceOrigin) => {
    const key = `${kind}\u0000${value}`;
    const reference = byKey.get(key) ?? { kind, value, origins: [] };
    // One origin per place in the file; the fields and streams it reaches are listed together.
    const same = reference.origins.find((o) => o.where === origin.where);
    if (!same) reference.origins.push({ ...origin });
    else if (!same.via.split(', ').includes(origin.via)) same.via = `${same.via}, ${origin.via}`;
    byKey.set(key, reference);
  };
  const tablesDone = new Set<string>();
  const optionLine = (name: string) => plan.optionLines?.[name] ?? 1;
  plan.streams.forEach((stream, index) => {
    const expressions =
      stream.mapping.kind === 'expression'
        ? [{ expression: stream.mapping.expression, root: [] as string[] }]
        : stream.mapping.fields.map((f) => ({ expression: f.expression, root: [f.name] }));
    for (const { expression, root } of expressions) {
      for (const { field, kind, leaf } of referencedLeaves(expression.source, fields, root)) {
        const via = `${field} (stream ${stream.name})`;
        if (leaf.kind === 'literal') {
          if (!nonEmpty(leaf.value)) continue;
          const line = lineIn(expression.source, leaf.offset, expression.position);
          add(kind, leaf.value, { where: `streams[${index}] (${stream.name}) mapping`, file: shown(plan.file), line, via });
        } else if (leaf.kind === 'option') {
          const value = plan.options[leaf.name];
          if (nonEmpty(value)) add(kind, String(value), { where: `options.${leaf.name}`, file: shown(plan.file), line: optionLine(leaf.name), via });
        } else {
          const table = plan.lookups[leaf.table];
          const done = `${leaf.table}\u0000${kind}\u0000${via}`;
          if (table && !tablesDone.has(done)) tableReferences(plan, table, kind, via, add);
          tablesDone.add(done);
        }
      }
    }
  });
  for (const table of Object.values(plan.lookups)) {
    if (table.references) tableReferences(plan, table, table.references, `lookups.${table.name}.references`, add);
  }
  const sinkPropertyLine = sinkPropertyLines(plan);
  for (const reference of options.connectorReferences ?? []) {
    if ('property' in reference) {
      const value = plan.sink.config[reference.property];
      if (!nonEmpty(value)) continue;
      const origin = { where: `sink.${reference.property}`, file: shown(plan.file), line: sinkPropertyLine(reference.property), via: reference.via };
      add(reference.kind, String(value).trim(), origin);
      continue;
    }
    const found = plan.lookups[reference.table];
    if (found) tableReferences(plan, found, reference.kind, reference.via, add);
  }
  for (const [option, kind] of Object.entries(plan.optionReferences ?? {})) {
    const value = plan.options[option];
    if (nonEmpty(value))
      add(kind, String(value), { where: `options.${option}`, file: shown(plan.file), line: optionLine(option), via: `option_references.${option}` });
  }
  return [...byKey.values()].sort((a, b) => a.kind.localeCompare(b.kind) || a.value.localeCompare(b.value));
}

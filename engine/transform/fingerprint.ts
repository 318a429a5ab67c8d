/**
 * The fingerprint of what produces a stream's output: its filter and mapping text, its target, the
 * lookup tables and options those expressions read (found by walking their JSONata AST), the
 * pipeline's timezone, and the sink settings that shape payloads. Computed once per stream per
 * run and recorded with every ledger entry written, so a mapping edit can be told apart from a
 * source change, and `status` / `run` can say which streams were written with another mapping.
 * The fingerprint never decides a write: the content hash of the mapped record does.
 */
import { jsonata } from './jsonata.js';
import type { Plan, StreamPlan } from '../config/plan.js';
import { contentHash } from './hash.js';

/** What a set of expressions reads from the pipeline besides the record. */
export interface ExpressionReads {
  /** Lookup tables named by a literal `$lookup("<table>", …)`. */
  lookups: Set<string>;
  /** Options read as `$options.<name>`. */
  options: Set<string>;
  /** `$lookup` used another way (a computed table name, passed as a function): every table counts. */
  anyLookup: boolean;
  /** `$options` used another way (passed whole, indexed): every option counts. */
  anyOption: boolean;
}

interface AstNode {
  type?: string;
  value?: unknown;
  [key: string]: unknown;
}

const isNode = (value: unknown): value is AstNode => value !== null && typeof value === 'object' && !Array.isArray(value);

function visit(node: unknown, fn: (node: AstNode) => void, seen = new Set<unknown>()): void {
  if (node === null || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  if (Array.isArray(node)) {
    for (const child of node) visit(child, fn, seen);
    return;
  }
  fn(node as AstNode);
  for (const [key, child] of Object.entries(node)) if (key !== 'position' && key !== 'value') visit(child, fn, seen);
}

/** Adds what `source` reads to `reads`. An expression that does not parse reads everything (it cannot run anyway). */
export function addExpressionReads(source: string, reads: ExpressionReads): void {
  let ast: unknown;
  try {
    ast = jsonata(source).ast();
  } catch {
    reads.anyLookup = true;
    reads.anyOption = true;
    return;
  }
  const understood = new Set<AstNode>();
  visit(ast, (node) => {
    if (node.type === 'path' && Array.isArray(node['steps'])) {
      const [first, second] = node['steps'] as unknown[];
      if (isNode(first) && first.type === 'variable' && first.value === 'options' && !first['predicate'] && isNode(second) && second.type === 'name') {
        reads.options.add(String(second.value));
        understood.add(first);
      }
    }
    if ((node.type === 'function' || node.type === 'partial') && isNode(node['procedure']) && node['procedure'].type === 'variable') {
      const procedure = node['procedure'];
      const table = (node['arguments'] as unknown[] | undefined)?.[0];
      if (procedure.value === 'lookup' && isNode(table) && table.type === 'string') {
        reads.lookups.add(String(table.value));
        understood.add(procedure);
      }
    }
  });
  visit(ast, (node) => {
    if (node.type !== 'variable' || understood.has(node)) return;
    if (node.value === 'options') reads.anyOption = true;
    if (node.value === 'lookup') reads.anyLookup = true;
  });
}

/** Every expression of a stream, filter first. */
export function streamExpressions(stream: StreamPlan): Array<{ name: string; source: string }> {
  return [
    ...(stream.filter ? [{ name: 'filter', source: stream.filter.source }] : []),
    ...(stream.mapping.kind === 'expression'
      ? [{ name: 'expression', source: stream.mapping.expression.source }]
      : stream.mapping.fields.map((f) => ({ name: `fields.${f.name}`, source: f.expression.source }))),
  ];
}

export function streamReads(stream: StreamPlan): ExpressionReads {
  const reads: ExpressionReads = { lookups: new Set(), options: new Set(), anyLookup: false, anyOption: false };
  for (const { source } of streamExpressions(stream)) addExpressionReads(source, reads);
  return reads;
}

/**
 * The parts of a fingerprint, each as a short hash, so two fingerprints can be compared part by
 * part ("options.customer_display_name changed").
 */
export interface FingerprintComponents {
  /** Filter, mapping expressions (with field names) and target. */
  mapping: string;
  timezone: string;
  /** Per lookup table read: its values and default. */
  lookups: Record<string, string>;
  /** Per option read: its value. */
  options: Record<string, string>;
  /** The sink connector, its payload-shaping connection settings and the pipeline's connector blocks. */
  sink: string;
}

export interface StreamFingerprint {
  fingerprint: string;
  components: FingerprintComponents;
}

/** Hashes of lookup tables, shared by the streams of one plan: a big table is hashed once a run. */
const tableHashes = new WeakMap<object, string>();

function tableHash(table: Plan['lookups'][string]): string {
  let hash = tableHashes.get(table);
  if (hash === undefined) {
    hash = contentHash({ values: table.values, hasDefault: table.hasDefault, default: table.default ?? null });
    tableHashes.set(table, hash);
  }
  return hash;
}

/** The sink's connection properties the descriptor marks `shapes_payload`, and the pipeline's connector blocks. */
export function payloadSettings(plan: Plan): Record<string, unknown> {
  const properties = plan.sink.descriptor.connection?.properties ?? {};
  const shaping = Object.keys(properties).filter((name) => properties[name]?.shapes_payload === true);
  return {
    connector: plan.sink.config.connector,
    settings: Object.fromEntries(shaping.filter((name) => plan.sink.config[name] !== undefined).map((name) => [name, plan.sink.config[name]])),
    extensions: plan.extensions,
  };
}

export function streamFingerprint(plan: Plan, stream: StreamPlan): StreamFingerprint {
  const reads = streamReads(stream);
  const lookupNames = reads.anyLookup ? Object.keys(plan.lookups) : [...reads.lookups].filter((name) => plan.lookups[name] !== undefined);
  const optionNames = reads.anyOption ? Object.keys(plan.options) : [...reads.options];
  const components: FingerprintComponents = {
    mapping: contentHash({ expressions: streamExpressions(stream), target: stream.target }),
    timezone: plan.timezone,
    lookups: Object.fromEntries(lookupNames.sort().map((name) => [name, tableHash(plan.lookups[name]!)])),
    // An option the pipeline does not set reads as undefined: that too is part of the mapping.
    options: Object.fromEntries(optionNames.sort().map((name) => [name, contentHash({ value: plan.options[name] ?? null })])),
    sink: contentHash(payloadSettings(plan)),
  };
  return { fingerprint: contentHash(components).slice(0, 16), components };
}

/** What differs between two fingerprints' parts, as `options.<name>`, `lookups.<name>`, `mapping`… */
export function changedParts(before: FingerprintComponents, after: FingerprintComponents): string[] {
  const changed: string[] = [];
  if (before.mapping !== after.mapping) changed.push('mapping');
  for (const kind of ['lookups', 'options'] as const) {
    const names = new Set([...Object.keys(before[kind] ?? {}), ...Object.keys(after[kind] ?? {})]);
    for (const name of [...names].sort()) if (before[kind]?.[name] !== after[kind]?.[name]) changed.push(`${kind}.${name}`);
  }
  if (before.timezone !== after.timezone) changed.push('timezone');
  if (before.sink !== after.sink) changed.push('sink settings');
  return changed;
}

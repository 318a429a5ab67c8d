/**
 * The `streams:` of a pipeline: each checked against the connectors and the rest of the file (a
 * unique name, a known endpoint and target object, a batch the sink accepts, field values it
 * accepts, a mapped target key), its JSONata expressions compiled once, and planned when complete.
 */
import type { FieldConstraint } from '../connector/descriptor.js';
import type { ConfigProblem } from '../errors.js';
import type { MappingLimits } from '../transform/budget.js';
import { objectsProperty } from './connection-references.js';
import type { LoadedConnector } from './descriptors.js';
import { compileBounded } from './expression-limits.js';
import { expressionClosures } from './expression-closures.js';
import { checkReferences, type ReferenceContext } from './expressions.js';
import { fieldFeeds, wholeExpressionFeed, type FieldFeed } from './field-values.js';
import type { CompiledExpression, SourcePosition, StreamPlan } from './plan.js';
import { didYouMean } from './suggest.js';
import { mappingFields, missingKeyMessage } from './target-key.js';
import { pointerOf, type YamlTree } from './yaml-tree.js';

/** Seconds re-read before a checkpoint when a stream does not say: same-second arrivals and clock skew. */
export const DEFAULT_LOOKBACK_SECONDS = 120;

type Json = Record<string, unknown>;

/** Reports a problem at a pointer's key or value. */
export type Report = (pointer: string, at: 'key' | 'value', code: string, message: string, severity?: ConfigProblem['severity']) => void;

export interface StreamCheckInput {
  root: Json;
  tree: YamlTree;
  connectors: Partial<Record<'source' | 'sink', LoadedConnector>>;
  problems: ConfigProblem[];
  report: Report;
  /** False under LEDGERSYNC_JSONATA=interpreter: every expression is interpreted. */
  compileMappings: boolean;
  limits: MappingLimits;
}

/** The plans of the streams; undefined when there is no `streams:` list or a stream is incomplete (its problems are reported). */
export function checkStreams(input: StreamCheckInput): StreamPlan[] | undefined {
  if (!Array.isArray(input.root['streams'])) return undefined;
  const streams = input.root['streams'] as unknown[];
  const checker = new StreamChecker(input, streams);
  const plans = streams.map((stream, index) => checker.plan(stream, index));
  return plans.every((plan) => plan !== undefined) ? (plans as StreamPlan[]) : undefined;
}

/** What every stream is checked against: the names of the streams, lookups and options, and the connectors' endpoints and objects. */
class StreamChecker {
  private readonly names: string[];
  private readonly context: Omit<ReferenceContext, 'streamIndex'>;
  private readonly source: LoadedConnector['descriptor'];
  private readonly sink: LoadedConnector['descriptor'];
  private readonly sinkObjects: string[] | undefined;
  /** Said after an unknown object when the pipeline itself declares the sink's objects. */
  private readonly declaredIn: string;

  constructor(
    private readonly input: StreamCheckInput,
    streams: unknown[],
  ) {
    const { root, connectors } = input;
    this.names = streams.map((s) => (isObject(s) && typeof s['name'] === 'string' ? s['name'] : ''));
    this.context = {
      lookups: new Set(isObject(root['lookups']) ? Object.keys(root['lookups']) : []),
      options: new Set(isObject(root['options']) ? Object.keys(root['options']) : []),
      streams: this.names,
    };
    this.source = connectors.source?.descriptor;
    const sink = connectors.sink?.descriptor;
    this.sink = sink;
    // A sink whose objects the pipeline itself declares (SQL tables) names the property holding them.
    const declaredBy = objectsProperty(sink?.settings);
    const declared = declaredBy !== undefined && isObject(root['sink']) ? root['sink'][declaredBy] : undefined;
    this.sinkObjects = sink?.objects ? Object.keys(sink.objects) : isObject(declared) ? Object.keys(declared) : undefined;
    this.declaredIn = declaredBy !== undefined && !sink?.objects ? ` (not declared in sink.${declaredBy})` : '';
  }

  /** One stream checked; its plan when nothing it needs is missing. */
  plan(stream: unknown, index: number): StreamPlan | undefined {
    if (!isObject(stream)) return undefined;
    const { root, tree, report, limits } = this.input;
    const base = `/streams/${index}`;
    const name = this.names[index] ?? '';
    this.checkName(base, name, index);
    const endpoint = stream['endpoint'];
    this.checkEndpoint(base, endpoint);
    const target = isObject(stream['target']) ? stream['target'] : undefined;
    const object = typeof target?.['object'] === 'string' ? target['object'] : undefined;
    this.checkObject(base, object);
    this.checkBatchSize(base, stream['batch_size'], object);

    const filter = this.compile(`${base}/filter`, stream['filter'], index);
    const mapping = isObject(stream['mapping']) ? stream['mapping'] : {};
    const mappingPlan = this.mappingPlan(base, mapping, index);
    const constrained = object !== undefined ? this.sink?.objects?.[object]?.fields : undefined;
    if (constrained) checkConstrainedFields(root, base, mapping, constrained, report);
    if (typeof target?.['key'] === 'string' && mappingPlan) this.checkTargetKey(base, target['key'], mapping, mappingPlan);
    if (!mappingPlan || object === undefined || typeof endpoint !== 'string') return undefined;
    return {
      name,
      endpoint,
      params: Object.fromEntries(Object.entries(isObject(stream['params']) ? stream['params'] : {}).map(([k, v]) => [k, String(v)])),
      lookbackSeconds: typeof stream['lookback_seconds'] === 'number' ? stream['lookback_seconds'] : DEFAULT_LOOKBACK_SECONDS,
      ...(filter ? { filter } : {}),
      mapping: mappingPlan,
      target: { object, ...(typeof target?.['key'] === 'string' ? { key: target['key'] } : {}) },
      ...(typeof stream['batch_size'] === 'number' ? { batchSize: stream['batch_size'] } : {}),
      ...(stream['removed_parts'] === 'void' || stream['removed_parts'] === 'delete' ? { removedParts: stream['removed_parts'] } : {}),
      limits,
      position: position(tree, tree.valuePosition(base)),
    };
  }

  private checkName(base: string, name: string, index: number): void {
    const first = this.names.indexOf(name);
    if (name && first < index) this.input.report(`${base}/name`, 'value', 'duplicate_stream', `duplicate stream name '${name}' (also streams[${first}])`);
  }

  private checkEndpoint(base: string, endpoint: unknown): void {
    const source = this.source;
    if (typeof endpoint !== 'string' || !source?.endpoints || this.input.tree.placeholders.has(`${base}/endpoint`) || endpoint in source.endpoints) return;
    this.input.report(
      `${base}/endpoint`,
      'value',
      'unknown_endpoint',
      `unknown endpoint '${endpoint}' for source connector '${source.name}'${didYouMean(endpoint, Object.keys(source.endpoints))}`,
    );
  }

  private checkObject(base: string, object: string | undefined): void {
    if (object === undefined || !this.sinkObjects || this.sinkObjects.includes(object)) return;
    this.input.report(
      `${base}/target/object`,
      'value',
      'unknown_object',
      `unknown target object '${object}' for sink connector '${this.sink?.name ?? '?'}'${this.declaredIn}${didYouMean(object, this.sinkObjects)}`,
    );
  }

  private checkBatchSize(base: string, batchSize: unknown, object: string | undefined): void {
    const maxBatch = object !== undefined ? this.sink?.objects?.[object]?.max_batch : undefined;
    if (typeof batchSize !== 'number' || maxBatch === undefined || !(batchSize > maxBatch)) return;
    this.input.report(
      `${base}/batch_size`,
      'value',
      'batch_too_large',
      `batch_size ${batchSize} is more than ${this.sink?.name ?? 'the sink'} accepts for ${object ?? '?'} (at most ${maxBatch})`,
    );
  }

  /** `mapping.expression` (the whole record) or `mapping.fields` (one expression per field), compiled. */
  private mappingPlan(base: string, mapping: Json, index: number): StreamPlan['mapping'] | undefined {
    if (typeof mapping['expression'] === 'string') {
      const expression = this.compile(`${base}/mapping/expression`, mapping['expression'], index);
      return expression ? { kind: 'expression', expression } : undefined;
    }
    if (!isObject(mapping['fields'])) return undefined;
    const fields: Array<{ name: string; expression: CompiledExpression }> = [];
    for (const [field, text] of Object.entries(mapping['fields'])) {
      const expression = this.compile(`${base}/mapping/fields${pointerOf([field])}`, text, index);
      if (expression) fields.push({ name: field, expression });
    }
    return { kind: 'fields', fields };
  }

  private checkTargetKey(base: string, key: string, mapping: Json, mappingPlan: StreamPlan['mapping']): void {
    const whole = mappingPlan.kind === 'expression' ? compileBounded(String(mapping['expression'])) : undefined;
    const fields = mappingPlan.kind === 'fields' && isObject(mapping['fields']) ? Object.keys(mapping['fields']) : undefined;
    const missing = missingKeyMessage(key, mappingFields({ fields, expression: whole?.ok ? whole.expression : undefined }));
    if (missing) this.input.report(`${base}/target/key`, 'value', 'target_key_not_mapped', missing);
  }

  /** One JSONata expression compiled, its references checked; undefined when it is absent, unset or does not parse. */
  private compile(pointer: string, text: unknown, streamIndex: number): CompiledExpression | undefined {
    const { tree, problems, compileMappings } = this.input;
    if (typeof text !== 'string' || tree.placeholders.has(pointer)) return undefined;
    const compiled = compileBounded(text);
    const at = (offset: number) => tree.stringPosition(pointer, offset);
    if (!compiled.ok) {
      const { issue } = compiled;
      problems.push({ code: issue.code, file: tree.file, path: pointer, ...at(issue.offset), message: issue.message, severity: 'error' });
      return undefined;
    }
    for (const issue of checkReferences(compiled.expression, text, { ...this.context, streamIndex })) {
      problems.push({ code: issue.code, file: tree.file, path: pointer, ...at(issue.offset), message: issue.message, severity: issue.severity });
    }
    const { evaluate, evaluateSync, declined } = expressionClosures(compiled.expression, compileMappings);
    const offset = declined ? Math.max(0, Math.min(text.length, declined.offset)) : 0;
    const lineStarts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
    return {
      source: text,
      position: position(tree, at(0)),
      lineStarts: lineStarts.map((offset) => at(offset)),
      path: pointer,
      evaluate,
      ...(evaluateSync ? { evaluateSync } : {}),
      engine: declined ? { kind: 'interpreted', reason: declined.reason, offset, at: position(tree, at(offset)) } : { kind: 'compiled' },
    };
  }
}

/**
 * Values a mapping can put in a field whose accepted values the sink declares: string literals in
 * the mapping, and every value (and the default) of a lookup table feeding the field.
 */
function checkConstrainedFields(root: Json, base: string, mapping: Json, constrained: Readonly<Record<string, FieldConstraint>>, report: Report): void {
  const names = new Set(Object.keys(constrained));
  const feeds: Array<{ pointer: string; feed: FieldFeed }> = [];
  const parsed = (text: unknown) => {
    if (typeof text !== 'string') return undefined;
    const compiled = compileBounded(text);
    return compiled.ok ? compiled.expression : undefined;
  };
  const whole = parsed(mapping['expression']);
  if (whole) for (const feed of fieldFeeds(whole, names)) feeds.push({ pointer: `${base}/mapping/expression`, feed });
  if (isObject(mapping['fields'])) {
    for (const [field, text] of Object.entries(mapping['fields'])) {
      const expression = names.has(field) ? parsed(text) : undefined;
      if (expression) feeds.push({ pointer: `${base}/mapping/fields${pointerOf([field])}`, feed: wholeExpressionFeed(expression, field) });
    }
  }
  const lookups = isObject(root['lookups']) ? root['lookups'] : {};
  for (const { pointer, feed } of feeds) {
    const constraint = constrained[feed.field]!;
    const accepted = (value: unknown) => typeof value === 'string' && constraint.enum.includes(constraint.ignore_case ? value.toLowerCase() : value);
    const refuse = (at: string, value: unknown, where: string) =>
      report(
        at,
        'value',
        'field_value_not_accepted',
        `${JSON.stringify(value).replace(/^"|"$/g, "'")} is not ${constraint.accepts}: use one of ${constraint.enum.join(', ')} (${where} feeds ${feed.field})`,
      );
    for (const literal of feed.literals) if (!accepted(literal)) refuse(pointer, literal, 'the mapping');
    for (const table of new Set(feed.tables)) {
      const lookup = lookups[table];
      if (!isObject(lookup)) continue; // an unknown table is reported where it is named
      const values = isObject(lookup['values']) ? lookup['values'] : {};
      for (const [key, value] of Object.entries(values)) {
        if (!accepted(value)) refuse(`/lookups${pointerOf([table, 'values', key])}`, value, `lookup table '${table}'`);
      }
      if ('default' in lookup && lookup['default'] !== null && !accepted(lookup['default'])) {
        refuse(`/lookups${pointerOf([table, 'default'])}`, lookup['default'], `the default of lookup table '${table}'`);
      }
    }
  }
}

function position(tree: YamlTree, at: { line: number; column: number }): SourcePosition {
  return { file: tree.file, line: at.line, column: at.column };
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

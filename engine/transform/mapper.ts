/**
 * Applies a stream's filter and mapping to one source record and returns the sink records it
 * yields (none when filtered out or skipped, several when the mapping returns an array).
 */
import { excerpt } from '../log.js';
import { setOwn, withoutNullProperties } from './normalize.js';
import { LedgersyncError } from '../errors.js';
import { BUDGET_BINDING, MappingBudget, underBudget } from './budget.js';
import type { CompiledExpression, SourcePosition, StreamPlan } from '../config/plan.js';
import type { SourceRecord } from '../connector/types.js';

export type MappedAction = 'upsert' | 'delete' | 'void';

export interface MappedRecord {
  sourceId: string;
  object: string;
  action: MappedAction;
  data: Record<string, unknown>;
  naturalKey?: string;
}

/** `beforeStart`: filtered out for being dated before the pipeline's `start_date`, not by the stream's filter. */
export type MapOutcome = { kind: 'filtered'; beforeStart?: true } | { kind: 'mapped'; records: MappedRecord[]; skipped: string[] };

/**
 * Where in the file an offset of the expression text is: JSONata's errors carry the offset just past
 * the token at fault (an operator, a function call's parenthesis); the expression's start otherwise.
 */
function positionInFile(expression: CompiledExpression, offset: unknown): SourcePosition {
  const starts = expression.lineStarts;
  if (typeof offset !== 'number' || !starts?.length || offset <= 0 || offset > expression.source.length) return expression.position;
  const at = offset - 1;
  const line = expression.source.slice(0, at).split('\n').length - 1;
  const column = at - (expression.source.lastIndexOf('\n', at - 1) + 1);
  const start = starts[Math.min(line, starts.length - 1)]!;
  return { file: expression.position.file, line: start.line, column: start.column + column };
}

const where = (p: SourcePosition) => `${p.file}:${p.line}:${p.column}`;

/** JSONata's code for an error a mapping raises itself with `$error(message)`. */
const RAISED_BY_MAPPING = 'D3137';

/** An error of an expression, as a record-level LedgersyncError naming the record, the expression and where it is. */
function expressionError(expression: CompiledExpression, record: SourceRecord, error: unknown): LedgersyncError {
  const at = positionInFile(expression, (error as { position?: unknown } | null)?.position);
  if (error instanceof LedgersyncError) {
    if (error.kind !== 'record' && error.kind !== 'config') return error;
    return new LedgersyncError(error.code, 'record', `record ${record.id}: ${error.message} (in ${expression.path}, ${where(at)})`, {
      details: { ...error.details, recordId: record.id, expression: expression.path },
      cause: error,
      ...(error.fix ? { fix: error.fix } : {}),
    });
  }
  const e = error as { message?: string; code?: string; position?: number; token?: string };
  return new LedgersyncError(
    'transform_failed',
    'record',
    `record ${record.id}: JSONata ${e.code ?? 'error'} in ${expression.path} (${where(at)}): ${e.message ?? String(error)}`,
    {
      details: { recordId: record.id, expression: expression.path, jsonataCode: e.code, position: e.position },
      fix:
        e.code === RAISED_BY_MAPPING
          ? 'the mapping stopped this record on purpose ($error): do what its message says, then re-run; the record will be retried'
          : 'correct the expression, or the lookup table / option it reads, and re-run: the record will be retried',
      cause: error,
    },
  );
}

async function interpret(expression: CompiledExpression, record: SourceRecord, bindings: Record<string, unknown>): Promise<unknown> {
  try {
    return await expression.evaluate(record.data, bindings);
  } catch (error) {
    throw expressionError(expression, record, error);
  }
}

/** Strips JSONata's internal sequence markers and undefined values so the record is plain JSON. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value)) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) setOwn(out, k, plain(v));
    }
    return out;
  }
  return value;
}

const pathParts = new Map<string, string[]>();

export function getPath(data: Record<string, unknown>, path: string): unknown {
  let parts = pathParts.get(path);
  if (!parts) pathParts.set(path, (parts = path.split('.')));
  let current: unknown = data;
  for (const part of parts) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function toMapped(stream: StreamPlan, record: SourceRecord, output: unknown, index: number | undefined): MappedRecord | { skip: string } {
  if (output === null || typeof output !== 'object' || Array.isArray(output)) {
    throw new LedgersyncError(
      'mapping_not_object',
      'record',
      `record ${record.id}: the mapping of stream '${stream.name}' produced ${excerpt(JSON.stringify(output) ?? 'nothing', 80)}, not an object`,
      {
        fix: 'make the mapping expression return an object (or an array of objects)',
      },
    );
  }
  const { _action, _object, _part, ...data } = plain(output) as Record<string, unknown>;
  const part = _part ?? index;
  const sourceId = part === undefined ? record.id : `${record.id}#${String(part)}`;
  const action = _action ?? 'upsert';
  if (action === 'skip') return { skip: sourceId };
  if (action !== 'upsert' && action !== 'delete' && action !== 'void') {
    throw new LedgersyncError(
      'invalid_action',
      'record',
      `record ${record.id}: _action must be upsert, delete, void or skip, received ${JSON.stringify(action)}`,
    );
  }
  const mapped: MappedRecord = { sourceId, object: typeof _object === 'string' ? _object : stream.target.object, action, data };
  if (stream.target.key) {
    const key = getPath(data, stream.target.key);
    if (key !== undefined && key !== null && key !== '') mapped.naturalKey = String(key);
  }
  return mapped;
}

/** The filter and every mapping expression of the stream compiled: the record can take the synchronous path. */
const compiledStreams = new WeakMap<StreamPlan, boolean>();

export function streamIsCompiled(stream: StreamPlan): boolean {
  let compiled = compiledStreams.get(stream);
  if (compiled === undefined) {
    const expressions = [
      ...(stream.filter ? [stream.filter] : []),
      ...(stream.mapping.kind === 'expression' ? [stream.mapping.expression] : stream.mapping.fields.map((f) => f.expression)),
    ];
    compiled = expressions.every((e) => e.evaluateSync !== undefined);
    compiledStreams.set(stream, compiled);
  }
  return compiled;
}

const isBudgetError = (error: unknown): error is LedgersyncError => error instanceof LedgersyncError && error.code === 'mapping_budget_exceeded';

/** One compiled expression; a budget it breaks is final (the interpreter would only break it again, slower), named with its place. */
function compiledValue(expression: CompiledExpression, record: SourceRecord, bindings: Record<string, unknown>): unknown {
  try {
    return expression.evaluateSync!(record.data, bindings);
  } catch (error) {
    throw isBudgetError(error) ? expressionError(expression, record, error) : error;
  }
}

/** The mapping's output (undefined: filtered out), by the compiled closures. */
function outputByCompiled(stream: StreamPlan, record: SourceRecord, bindings: Record<string, unknown>): unknown {
  if (stream.filter && !compiledValue(stream.filter, record, bindings)) return undefined;
  if (stream.mapping.kind === 'expression') return compiledValue(stream.mapping.expression, record, bindings);
  const fields: Record<string, unknown> = {};
  for (const field of stream.mapping.fields) {
    const value = compiledValue(field.expression, record, bindings);
    if (value !== undefined) setOwn(fields, field.name, value);
  }
  return fields;
}

/** The mapping's output (undefined: filtered out), by the jsonata interpreter. */
async function outputByInterpreter(stream: StreamPlan, record: SourceRecord, bindings: Record<string, unknown>): Promise<unknown> {
  if (stream.filter && !(await interpret(stream.filter, record, bindings))) return undefined;
  if (stream.mapping.kind === 'expression') return interpret(stream.mapping.expression, record, bindings);
  const fields: Record<string, unknown> = {};
  for (const field of stream.mapping.fields) {
    const value = await interpret(field.expression, record, bindings);
    if (value !== undefined) setOwn(fields, field.name, value);
  }
  return fields;
}

const FILTERED: MapOutcome = Object.freeze({ kind: 'filtered' });
const BEFORE_START: MapOutcome = Object.freeze({ kind: 'filtered', beforeStart: true });

/** Dated before the pipeline's start_date: the stream's read would not return it. */
function beforeStart(stream: StreamPlan, record: SourceRecord): boolean {
  const startsAt = stream.startsAt;
  if (!startsAt) return false;
  const value = record.data[startsAt.field];
  if (startsAt.format === 'MM/DD/YYYY') {
    const m = typeof value === 'string' ? /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(value) : null;
    return m !== null && `${m[3]}-${m[1]}-${m[2]}` < (startsAt.day as string);
  }
  return typeof value === 'number' && value < startsAt.seconds;
}

function outcomeOf(stream: StreamPlan, record: SourceRecord, output: unknown): MapOutcome {
  if (output === undefined) return FILTERED;
  if (!Array.isArray(output)) {
    const mapped = toMapped(stream, record, output, undefined);
    return 'skip' in mapped ? { kind: 'mapped', records: [], skipped: [mapped.skip] } : { kind: 'mapped', records: [mapped], skipped: [] };
  }
  const records: MappedRecord[] = [];
  const skipped: string[] = [];
  for (let i = 0; i < output.length; i++) {
    const mapped = toMapped(stream, record, output[i], i);
    if ('skip' in mapped) skipped.push(mapped.skip);
    else records.push(mapped);
  }
  return { kind: 'mapped', records, skipped };
}

/**
 * The run's bindings with `$deleted` set, made once per run and value of `deleted` rather than per
 * record: evaluation only reads them.
 */
const recordBindings = new WeakMap<Record<string, unknown>, { live: Record<string, unknown>; deleted: Record<string, unknown> }>();

function bindingsFor(runBindings: Record<string, unknown>, deleted: boolean): Record<string, unknown> {
  let both = recordBindings.get(runBindings);
  if (!both) recordBindings.set(runBindings, (both = { live: { ...runBindings, deleted: false }, deleted: { ...runBindings, deleted: true } }));
  return deleted ? both.deleted : both.live;
}

/**
 * Maps one record. When every expression of the stream compiled, the compiled closures map it
 * synchronously; a record they fail on (a JSONata error, a missing lookup, a bad `_action`…) is
 * mapped again by the interpreter, so failures and their messages are exactly the interpreter's.
 */
export async function mapRecord(stream: StreamPlan, source: SourceRecord, runBindings: Record<string, unknown>): Promise<MapOutcome> {
  if (beforeStart(stream, source)) return BEFORE_START;
  // A JSON null reads as an absent field in every filter and mapping (see ./normalize.ts).
  const record: SourceRecord = { ...source, data: withoutNullProperties(source.data) };
  // One budget for the record: its filter and every expression, on either engine (./budget.ts).
  const budget = new MappingBudget(stream.limits);
  const bindings = bindingsFor(runBindings, record.deleted);
  if (streamIsCompiled(stream)) {
    try {
      return outcomeOf(
        stream,
        record,
        underBudget(budget, () => outputByCompiled(stream, record, bindings)),
      );
    } catch (error) {
      if (isBudgetError(error)) throw error;
      // Falls through to the interpreter, which is authoritative for failing records.
    }
  }
  // The interpreter reads the budget from its bindings (the compiled closures from underBudget).
  return outcomeOf(stream, record, await outputByInterpreter(stream, record, { ...bindings, [BUDGET_BINDING]: budget }));
}

/** The compiled path alone, with no interpreter behind it: for differential tests and benchmarks. */
export function mapRecordCompiled(stream: StreamPlan, source: SourceRecord, runBindings: Record<string, unknown>): MapOutcome {
  if (!streamIsCompiled(stream)) throw new Error(`stream '${stream.name}' has expressions the compiler does not cover`);
  if (beforeStart(stream, source)) return BEFORE_START;
  const record: SourceRecord = { ...source, data: withoutNullProperties(source.data) };
  return outcomeOf(stream, record, outputByCompiled(stream, record, bindingsFor(runBindings, record.deleted)));
}

/** The stream with its compiled closures taken away: what the interpreter alone makes of it (benchmarks, differential tests). */
export function interpretedOnly(stream: StreamPlan): StreamPlan {
  const strip = ({ evaluateSync: _, ...rest }: CompiledExpression): CompiledExpression => rest;
  const { filter, ...base } = stream;
  return {
    ...base,
    ...(filter ? { filter: strip(filter) } : {}),
    mapping:
      stream.mapping.kind === 'expression'
        ? { kind: 'expression', expression: strip(stream.mapping.expression) }
        : { kind: 'fields', fields: stream.mapping.fields.map((f) => ({ name: f.name, expression: strip(f.expression) })) },
  };
}

/**
 * A plan as it crosses a thread boundary: everything but the closures of its expressions, which
 * cannot be cloned. `run` loads its pipeline in a worker (./load-in-worker.ts) so that parsing a
 * large file never holds the main thread; the expressions are compiled again on this side, each
 * bounded, with the event loop given a turn between them.
 */
import { LedgersyncError } from '../errors.js';
import { pacer } from '../pace.js';
import { expressionClosures } from './expression-closures.js';
import { compileBounded } from './expression-limits.js';
import { deepFreeze } from './freeze.js';
import type { CompiledExpression, Plan, StreamPlan } from './plan.js';

export type PortableExpression = Omit<CompiledExpression, 'evaluate' | 'evaluateSync'>;

type Mapping<E> = { kind: 'expression'; expression: E } | { kind: 'fields'; fields: ReadonlyArray<{ name: string; expression: E }> };

export interface PortableStream extends Omit<StreamPlan, 'filter' | 'mapping'> {
  filter?: PortableExpression;
  mapping: Mapping<PortableExpression>;
}

export interface PortablePlan extends Omit<Plan, 'streams'> {
  streams: PortableStream[];
}

/** A stream's filter and mapping expressions converted one after the other (never all at once: each may yield). */
async function convertStream<A, B>(stream: { filter?: A; mapping: Mapping<A> }, convert: (expression: A) => B | Promise<B>) {
  const filter = stream.filter === undefined ? undefined : await convert(stream.filter);
  let mapping: Mapping<B>;
  if (stream.mapping.kind === 'expression') {
    mapping = { kind: 'expression', expression: await convert(stream.mapping.expression) };
  } else {
    const fields: Array<{ name: string; expression: B }> = [];
    for (const field of stream.mapping.fields) fields.push({ name: field.name, expression: await convert(field.expression) });
    mapping = { kind: 'fields', fields };
  }
  return { ...(filter !== undefined ? { filter } : {}), mapping };
}

export async function portablePlan(plan: Plan): Promise<PortablePlan> {
  const strip = ({ evaluate: _evaluate, evaluateSync: _evaluateSync, ...rest }: CompiledExpression): PortableExpression => rest;
  const streams: PortableStream[] = [];
  for (const stream of plan.streams) {
    const { filter: _filter, mapping: _mapping, ...rest } = stream;
    streams.push({ ...rest, ...(await convertStream(stream, strip)) });
  }
  return { ...plan, streams };
}

/** The plan with its expressions compiled again, as the loader compiled them; stops when `signal` aborts. */
export async function revivePlan(portable: PortablePlan, signal?: AbortSignal): Promise<Plan> {
  const pace = pacer(signal, 20);
  const revive = async (expression: PortableExpression): Promise<CompiledExpression> => {
    await pace();
    const parsed = compileBounded(expression.source);
    if (!parsed.ok) {
      throw new LedgersyncError(
        'unexpected_error',
        'system',
        `${expression.path} compiled in the loading thread but not in the main one: ${parsed.issue.message}`,
      );
    }
    const compiled = expression.engine.kind === 'compiled';
    const closures = expressionClosures(parsed.expression, compiled);
    return { ...expression, evaluate: closures.evaluate, ...(compiled && closures.evaluateSync ? { evaluateSync: closures.evaluateSync } : {}) };
  };
  const streams: StreamPlan[] = [];
  for (const stream of portable.streams) {
    const { filter: _filter, mapping: _mapping, ...rest } = stream;
    streams.push({ ...rest, ...(await convertStream(stream, revive)) });
  }
  return deepFreeze({ ...portable, streams });
}

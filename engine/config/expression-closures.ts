/**
 * How a parsed JSONata expression is run: by the interpreter (with the mapping budget's hooks) and,
 * when the compiler covers it, by compiled closures (with the budget's guard). One place, used when
 * a pipeline is loaded and when a plan loaded in a worker thread is brought back to life.
 */
import type jsonata from 'jsonata';
import { BINDING_NAMES } from '../transform/bindings.js';
import { budgetGuard, budgetInterpreter } from '../transform/budget.js';
import { type AstNode, compileJsonata, type SyncEvaluator } from '../transform/compiler/index.js';

/** Names the engine binds for every expression: calls to them compile whatever the name. */
const BOUND_NAMES: ReadonlySet<string> = new Set(BINDING_NAMES);

export interface ExpressionClosures {
  evaluate(input: unknown, bindings: Record<string, unknown>): Promise<unknown>;
  evaluateSync?: SyncEvaluator;
  /** Why the compiler declined, and where in the expression; absent when it compiled. */
  declined?: { reason: string; offset: number };
}

export function expressionClosures(expression: jsonata.Expression, compile: boolean): ExpressionClosures {
  budgetInterpreter(expression);
  const evaluate = (input: unknown, bindings: Record<string, unknown>) => expression.evaluate(input, bindings) as Promise<unknown>;
  if (!compile) return { evaluate, declined: { reason: 'compiler turned off (LEDGERSYNC_JSONATA=interpreter)', offset: 0 } };
  const fast = compileJsonata(expression.ast() as unknown as AstNode, { bindingNames: BOUND_NAMES, guard: budgetGuard });
  return fast.ok ? { evaluate, evaluateSync: fast.evaluate } : { evaluate, declined: { reason: fast.reason, offset: fast.offset } };
}

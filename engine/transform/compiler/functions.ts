/**
 * Function values in compiled expressions: lambdas (`function($x) {…}`), the thunks jsonata's
 * parser puts in tail position (so tail recursion runs in a loop, not on the stack), `apply` with
 * its trampoline, and synchronous versions of jsonata's higher-order built-ins ($map, $filter,
 * $single, $reduce, $each, $sift, $sort), which jsonata implements as async functions.
 */
import {
  createSequence,
  Frame,
  isArrayOfNumbers,
  isNativeDefinition,
  isPromise,
  jsonataError,
  type NativeDefinition,
  NeedsInterpreter,
  type Scope,
  toBoolean,
} from './runtime.js';

export interface Signature {
  validate(args: unknown[], context: unknown): unknown[];
}

/** A lambda value: `_jsonata_lambda` so that `$type`, `$string` and signatures see a function. */
export class CompiledLambda {
  readonly _jsonata_lambda = true;
  constructor(
    /** Declared parameters: what `$map` & co. pass it (value, index, array). */
    readonly arity: number,
    readonly signature: Signature | undefined,
    /** Runs the body with the (validated) arguments bound; may return a Thunk. */
    readonly body: (args: unknown[]) => unknown,
    /** `$f(?, x)`: the lambda with the arguments that are not placeholders bound (no signature, as in jsonata). */
    readonly partial: (args: unknown[]) => CompiledLambda,
  ) {}
}

/** The `?` of a partial application, among its evaluated arguments. */
export const PLACEHOLDER: unique symbol = Symbol('jsonata ? placeholder');

/** A lambda over `params`, closing over `closure` and the context value it was defined in. */
export function makeLambda(
  params: readonly string[],
  signature: Signature | undefined,
  closure: Frame,
  input: unknown,
  evaluate: (input: unknown, frame: Frame) => unknown,
): CompiledLambda {
  return new CompiledLambda(
    params.length,
    signature,
    (args) => {
      const scope = new Frame(closure, closure.scope);
      for (let i = 0; i < params.length; i++) scope.bind(params[i]!, args[i]);
      return evaluate(input, scope);
    },
    (args) => {
      const bound = new Frame(closure, closure.scope);
      const unbound: string[] = [];
      params.forEach((param, i) => {
        if (args[i] === PLACEHOLDER) unbound.push(param);
        else bound.bind(param, args[i]);
      });
      return makeLambda(unbound, undefined, bound, input, evaluate);
    },
  );
}

/**
 * `$substring(?, 0, 2)` on a native function: jsonata reads the parameter list from the
 * function's source and calls it with every parameter, unvalidated; so does this.
 */
export function partialNative(implementation: (...args: unknown[]) => unknown, args: unknown[], scope: Scope): CompiledLambda {
  const declared = /\(([^)]*)\)/.exec(implementation.toString())?.[1]?.split(',') ?? [];
  const slots = declared.map((_, i) => args[i]);
  const open = slots.flatMap((slot, i) => (slot === PLACEHOLDER ? [i] : []));
  const call = (given: unknown[]): unknown => {
    if (implementation.constructor.name === 'AsyncFunction') throw new NeedsInterpreter('a partially applied asynchronous built-in');
    const full = slots.slice();
    open.forEach((slot, i) => {
      full[slot] = given[i];
    });
    const result = implementation.apply(scope.focus(), full);
    if (isPromise(result)) throw new NeedsInterpreter('a partially applied function returned a promise');
    return result;
  };
  const lambda: CompiledLambda = new CompiledLambda(open.length, undefined, call, () => {
    throw new NeedsInterpreter('partial application of a partial native function');
  });
  return lambda;
}

/** A call in tail position, left for the nearest `apply` to make. */
export class Thunk {
  constructor(readonly call: (context: unknown) => unknown) {}
}

/** Calls one function value, without running a returned thunk. */
export type Invoke = (proc: unknown, args: unknown[], context: unknown, scope: Scope) => unknown;

/** jsonata's `apply`: the call, then any tail calls it returns, in a loop. */
export function applyFunction(invoke: Invoke, proc: unknown, args: unknown[], context: unknown, scope: Scope): unknown {
  let result = invoke(proc, args, context, scope);
  while (result instanceof Thunk) result = result.call(context);
  return result;
}

function arity(func: unknown): number {
  if (func instanceof CompiledLambda) return func.arity;
  if (isNativeDefinition(func)) return func.implementation.length;
  return typeof func === 'function' ? func.length : 0;
}

/** The arguments a higher-order function passes: the value, and the index and whole only if the function takes them. */
function hofArgs(func: unknown, value: unknown, index: unknown, whole: unknown): unknown[] {
  const n = arity(func);
  const args = [value];
  if (n >= 2) args.push(index);
  if (n >= 3) args.push(whole);
  return args;
}

type HigherOrder = (args: unknown[], call: (func: unknown, args: unknown[]) => unknown) => unknown;

const map: HigherOrder = ([arr, func], call) => {
  if (arr === undefined) return undefined;
  const list = arr as unknown[];
  const result = createSequence();
  for (let i = 0; i < list.length; i++) {
    const res = call(func, hofArgs(func, list[i], i, list));
    if (res !== undefined) result.push(res);
  }
  return result;
};

const filter: HigherOrder = ([arr, func], call) => {
  if (arr === undefined) return undefined;
  const list = arr as unknown[];
  const result = createSequence();
  for (let i = 0; i < list.length; i++) if (toBoolean(call(func, hofArgs(func, list[i], i, list)))) result.push(list[i]);
  return result;
};

const single: HigherOrder = ([arr, func], call) => {
  if (arr === undefined) return undefined;
  const list = arr as unknown[];
  let found = false;
  let result: unknown;
  for (let i = 0; i < list.length; i++) {
    const positive = func === undefined ? true : toBoolean(call(func, hofArgs(func, list[i], i, list)));
    if (!positive) continue;
    if (found) throw jsonataError('D3138', { index: i });
    result = list[i];
    found = true;
  }
  if (!found) throw jsonataError('D3139');
  return result;
};

const reduce: HigherOrder = ([sequence, func, init], call) => {
  if (sequence === undefined) return undefined;
  const list = sequence as unknown[];
  const n = arity(func);
  if (n < 2) throw jsonataError('D3050', { index: 1 });
  let result: unknown;
  let index: number;
  if (init === undefined && list.length > 0) {
    result = list[0];
    index = 1;
  } else {
    result = init;
    index = 0;
  }
  for (; index < list.length; index++) {
    const args = [result, list[index]];
    if (n >= 3) args.push(index);
    if (n >= 4) args.push(list);
    result = call(func, args);
  }
  return result;
};

const objectKeys = (value: unknown): string[] => (typeof value === 'object' && value !== null ? Object.keys(value) : []);

const each: HigherOrder = ([obj, func], call) => {
  const result = createSequence();
  for (const key of objectKeys(obj)) {
    const value = call(func, hofArgs(func, (obj as Record<string, unknown>)[key], key, obj));
    if (value !== undefined) result.push(value);
  }
  return result;
};

const sift: HigherOrder = ([obj, func], call) => {
  const result: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of objectKeys(obj)) {
    const entry = (obj as Record<string, unknown>)[key];
    if (toBoolean(call(func, hofArgs(func, entry, key, obj)))) result[key] = entry;
  }
  return Object.keys(result).length === 0 ? undefined : result;
};

const sort: HigherOrder = ([arr, comparator], call) => {
  if (arr === undefined) return undefined;
  const list = arr as unknown[];
  if (list.length <= 1) return list;
  let swap: (a: unknown, b: unknown) => boolean;
  if (comparator === undefined) {
    const strings = Array.isArray(list) && list.every((item) => typeof item === 'string');
    if (!isArrayOfNumbers(list) && !strings) throw jsonataError('D3070', { index: 1 });
    swap = (a, b) => (a as number) > (b as number);
  } else {
    // The comparator's result is tested as JavaScript truthiness, as jsonata's merge sort does.
    swap = (a, b) => Boolean(call(comparator, [a, b]));
  }
  return mergeSort(list, swap);
};

/** jsonata's stable merge sort (same comparisons in the same order), without its recursion per element. */
export function mergeSort(list: unknown[], swap: (a: unknown, b: unknown) => boolean): unknown[] {
  if (list.length <= 1) return list;
  const middle = Math.floor(list.length / 2);
  const left = mergeSort(list.slice(0, middle), swap);
  const right = mergeSort(list.slice(middle), swap);
  const merged: unknown[] = [];
  let l = 0;
  let r = 0;
  while (l < left.length && r < right.length) {
    if (swap(left[l], right[r])) merged.push(right[r++]);
    else merged.push(left[l++]);
  }
  while (l < left.length) merged.push(left[l++]);
  while (r < right.length) merged.push(right[r++]);
  return merged;
}

export const HIGHER_ORDER_NAMES = ['map', 'filter', 'single', 'reduce', 'each', 'sift', 'sort'] as const;

const IMPLEMENTATIONS: Record<(typeof HIGHER_ORDER_NAMES)[number], HigherOrder> = { map, filter, single, reduce, each, sift, sort };

/** Pairs jsonata's definition objects with their synchronous versions. */
export function higherOrderTable(definition: (name: string) => NativeDefinition): Map<NativeDefinition, HigherOrder> {
  return new Map(HIGHER_ORDER_NAMES.map((name) => [definition(name), IMPLEMENTATIONS[name]]));
}

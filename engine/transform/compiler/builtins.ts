/**
 * JSONata's built-in functions for compiled expressions. The synchronous ones are jsonata's own
 * implementations with jsonata's own signature checks (taken from the library once, at load), so a
 * compiled `$substring` is the interpreter's `$substring`. The few jsonata implements as async only
 * because they also accept a regex or a function get synchronous twins (regex.ts, functions.ts).
 */
import { jsonata } from '../jsonata.js';
import { applyFunction, CompiledLambda, higherOrderTable } from './functions.js';
import { containsSync, isCompiledMatcher, matchSync, replaceSync, splitSync } from './regex.js';
import { createSequence, type Scope, isFunction, isNativeDefinition, isPromise, jsonataError, type NativeDefinition, NeedsInterpreter } from './runtime.js';

/** Bound once per jsonata environment (not per expression), so one definition object serves all. */
const STATIC_NAMES = [
  'sum',
  'count',
  'max',
  'min',
  'average',
  'string',
  'substring',
  'substringBefore',
  'substringAfter',
  'lowercase',
  'uppercase',
  'length',
  'trim',
  'pad',
  'match',
  'contains',
  'replace',
  'split',
  'join',
  'formatNumber',
  'formatBase',
  'formatInteger',
  'parseInteger',
  'number',
  'floor',
  'ceil',
  'round',
  'abs',
  'sqrt',
  'power',
  'random',
  'boolean',
  'not',
  'map',
  'zip',
  'filter',
  'single',
  'reduce',
  'sift',
  'keys',
  'lookup',
  'append',
  'exists',
  'spread',
  'merge',
  'reverse',
  'each',
  'error',
  'assert',
  'type',
  'sort',
  'shuffle',
  'distinct',
  'base64encode',
  'base64decode',
  'encodeUrlComponent',
  'encodeUrl',
  'decodeUrlComponent',
  'decodeUrl',
  'eval',
  'toMillis',
  'fromMillis',
  'clone',
] as const;

/** Built-ins the compiler does not call, and why (the expression falls back to the interpreter). */
export const UNCOMPILED_BUILTINS: Readonly<Record<string, string>> = {
  eval: '$eval (parses at run time)',
  random: '$random (nondeterministic)',
  shuffle: '$shuffle (nondeterministic)',
};

async function loadDefinitions(): Promise<Map<string, NativeDefinition>> {
  const names = [...STATIC_NAMES, 'now', 'millis'];
  const values = await Promise.all(names.map((name) => jsonata(`$${name}`).evaluate(undefined)));
  const map = new Map<string, NativeDefinition>();
  values.forEach((value, i) => {
    if (!isNativeDefinition(value)) throw new Error(`jsonata's $${names[i]} is not a native function: the compiler needs updating`);
    map.set(names[i]!, value);
  });
  return map;
}

const definitions = await loadDefinitions();

/** A transform `|…|…|` evaluates to a native function with this signature (taken from jsonata, like the built-ins). */
const transformSignature = ((await jsonata('|a|{}|').evaluate(undefined)) as NativeDefinition).signature;

export function transformerFunction(implementation: (obj: unknown) => unknown): NativeDefinition {
  return {
    _jsonata_function: true,
    implementation: implementation as (...args: unknown[]) => unknown,
    ...(transformSignature ? { signature: transformSignature } : {}),
  };
}

function definition(name: string): NativeDefinition {
  const found = definitions.get(name);
  if (!found) throw new Error(`no jsonata built-in $${name}`);
  return found;
}

/** The static built-in bound to `name`, as the interpreter's root frame holds it. */
export function staticBuiltin(name: string): NativeDefinition | undefined {
  return name === 'now' || name === 'millis' ? undefined : definitions.get(name);
}

export const isStaticBuiltin = (name: string): boolean => staticBuiltin(name) !== undefined;

/**
 * `this` for jsonata's implementations: `createSequence` (no options: no limits) and, for
 * `$toMillis` with a picture, the evaluation's timestamp.
 */
export interface Focus {
  createSequence: typeof createSequence;
  options: undefined;
  input: undefined;
  environment: { readonly timestamp: Date } | undefined;
}

const FOCUS: Focus = { createSequence, options: undefined, input: undefined, environment: undefined };

export function focusAt(timestamp: () => Date): Focus {
  return {
    createSequence,
    options: undefined,
    input: undefined,
    environment: {
      get timestamp() {
        return timestamp();
      },
    },
  };
}

const stringImpl = definition('string').implementation;
const appendImpl = definition('append').implementation;
const lookupImpl = definition('lookup').implementation;
const fromMillisImpl = definition('fromMillis').implementation;

export const toJsonataString = (value: unknown): string | undefined => stringImpl.call(FOCUS, value) as string | undefined;
export const append = (a: unknown, b: unknown): unknown => appendImpl.call(FOCUS, a, b);
export const lookupInArray = (input: unknown[], key: string): unknown => lookupImpl.call(FOCUS, input, key);

const syncTwins = new Map<NativeDefinition, (...args: unknown[]) => unknown>([
  [definition('contains'), containsSync as (...args: unknown[]) => unknown],
  [definition('split'), splitSync as (...args: unknown[]) => unknown],
  [definition('replace'), replaceSync as (...args: unknown[]) => unknown],
  [definition('match'), matchSync as (...args: unknown[]) => unknown],
]);

const isAsyncFunction = (f: unknown): boolean => typeof f === 'function' && f.constructor.name === 'AsyncFunction';

/** `$now()` and `$millis()`: one timestamp per evaluation, as the interpreter takes one per `evaluate`. */
export function clockFunctions(timestamp: () => number): { now: NativeDefinition; millis: NativeDefinition } {
  const now = definition('now');
  const millis = definition('millis');
  return {
    now: {
      _jsonata_function: true,
      implementation: (picture: unknown, timezone: unknown) => fromMillisImpl.call(FOCUS, timestamp(), picture, timezone),
      ...(now.signature ? { signature: now.signature } : {}),
    },
    millis: { _jsonata_function: true, implementation: () => timestamp(), ...(millis.signature ? { signature: millis.signature } : {}) },
  };
}

const higherOrder = higherOrderTable(definition);

/** jsonata's `apply` for compiled code: the call, then the tail calls it returns, in a loop. */
export function apply(proc: unknown, args: unknown[], context: unknown, scope: Scope): unknown {
  return applyFunction(invoke, proc, args, context, scope);
}

/**
 * Calls a function value the way jsonata's `applyInner` does: signature check (with the context
 * value for a missing first argument), then the call. A function passed to a built-in other than
 * the higher-order ones, a foreign lambda and a promise are left to the interpreter.
 */
export function invoke(proc: unknown, args: unknown[], context: unknown, scope: Scope): unknown {
  if (proc instanceof CompiledLambda) return proc.body(proc.signature ? proc.signature.validate(args, context) : args);
  const hof = isNativeDefinition(proc) ? higherOrder.get(proc) : undefined;
  if (hof) {
    const signature = (proc as NativeDefinition).signature;
    const validated = signature ? signature.validate(args, context) : args;
    return hof(validated, (func, funcArgs) => apply(func, funcArgs, null, scope));
  }
  const takesMatchers = isNativeDefinition(proc) && syncTwins.has(proc);
  for (const arg of args) {
    if (isFunction(arg) && !(takesMatchers && isCompiledMatcher(arg))) throw new NeedsInterpreter('a function passed to a built-in or a bound function');
  }
  if (isNativeDefinition(proc)) {
    let implementation = proc.implementation;
    if (isAsyncFunction(implementation)) {
      const twin = syncTwins.get(proc);
      if (!twin) throw new NeedsInterpreter('an asynchronous built-in');
      implementation = twin;
    }
    const validated = proc.signature ? proc.signature.validate(args, context) : args;
    const result = implementation.apply(scope.focus(), validated);
    if (isPromise(result)) throw new NeedsInterpreter('a built-in returned a promise');
    return result;
  }
  if (typeof proc === 'function') {
    const result: unknown = proc.apply(context, args);
    if (isPromise(result)) throw new NeedsInterpreter('a bound function returned a promise');
    return result;
  }
  if (proc !== undefined && proc !== null && (proc as { _jsonata_lambda?: unknown })._jsonata_lambda === true) {
    throw new NeedsInterpreter('a lambda value');
  }
  throw jsonataError('T1006');
}

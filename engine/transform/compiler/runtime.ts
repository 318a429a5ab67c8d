/**
 * The values compiled JSONata works on, represented exactly as the jsonata interpreter represents
 * them (sequences are arrays flagged `sequence`, objects built by constructors have no prototype),
 * so that jsonata's own built-in functions can be called on them and results compare equal.
 */

/** An array as JSONata's evaluator marks it. The flags are plain properties, as jsonata sets them. */
export type Sequence = unknown[] & {
  sequence?: boolean;
  keepSingleton?: boolean;
  outerWrapper?: boolean;
  tupleStream?: boolean;
  cons?: boolean;
};

/** A JSONata error as the interpreter throws it: a plain object with a code (T2001, D3001…). */
export interface JsonataError {
  code: string;
  position?: number | undefined;
  token?: unknown;
  value?: unknown;
  value2?: unknown;
  index?: number;
}

export function jsonataError(code: string, details: Omit<JsonataError, 'code'> = {}): JsonataError {
  return { code, ...details };
}

/**
 * Thrown when a compiled expression meets, at run time, something only the interpreter handles
 * exactly (a function passed as a value, a helper that returns a promise). The caller re-runs the
 * expression through the interpreter.
 */
export class NeedsInterpreter extends Error {
  constructor(readonly reason: string) {
    super(`compiled JSONata deferred to the interpreter: ${reason}`);
  }
}

export function createSequence(...items: unknown[]): Sequence {
  const sequence: Sequence = [];
  sequence.sequence = true;
  if (items.length === 1) sequence.push(items[0]);
  return sequence;
}

export function isSequence(value: unknown): value is Sequence {
  return Array.isArray(value) && (value as Sequence).sequence === true;
}

/** A built-in function object as jsonata binds it (`$string` evaluates to one of these). */
export interface NativeDefinition {
  _jsonata_function: true;
  implementation: (...args: unknown[]) => unknown;
  signature?: { validate(args: unknown[], context: unknown): unknown[] };
}

export function isNativeDefinition(value: unknown): value is NativeDefinition {
  return typeof value === 'object' && value !== null && (value as { _jsonata_function?: unknown })._jsonata_function === true;
}

export function isFunction(value: unknown): boolean {
  if (typeof value === 'function') return true;
  if (typeof value !== 'object' || value === null) return false;
  const flags = value as { _jsonata_function?: unknown; _jsonata_lambda?: unknown };
  return flags._jsonata_function === true || flags._jsonata_lambda === true;
}

export function isLambda(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as { _jsonata_lambda?: unknown })._jsonata_lambda === true;
}

export function isPromise(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'then' in value && typeof (value as { then: unknown }).then === 'function';
}

/** A number JSONata accepts; infinities are an error (D1001) wherever numbers are checked. */
export function isNumeric(value: unknown): value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) return false;
  if (!Number.isFinite(value)) throw jsonataError('D1001', { value });
  return true;
}

export function isArrayOfNumbers(value: unknown): boolean {
  // Every item is checked (no short cut), as jsonata does: an infinity anywhere is D1001.
  return Array.isArray(value) && value.filter((item) => !isNumeric(item)).length === 0;
}

/** JSONata's effective boolean value; `undefined` stays undefined. */
export function toBoolean(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    if (value.length === 1) return toBoolean(value[0]);
    return value.length > 1 && value.filter((item) => toBoolean(item)).length > 0;
  }
  if (typeof value === 'string') return value.length > 0;
  if (isNumeric(value)) return value !== 0;
  if (value !== null && typeof value === 'object' && !isFunction(value)) return Object.keys(value).length > 0;
  return value === true;
}

export function isDeepEqual(lhs: unknown, rhs: unknown): boolean {
  if (lhs === rhs) return true;
  if (typeof lhs !== 'object' || typeof rhs !== 'object' || lhs === null || rhs === null) return false;
  if (Array.isArray(lhs) && Array.isArray(rhs)) {
    if (lhs.length !== rhs.length) return false;
    for (let i = 0; i < lhs.length; i++) if (!isDeepEqual(lhs[i], rhs[i])) return false;
    return true;
  }
  // Mixed array/object pairs fall through to the key comparison, as in jsonata.
  const lkeys = Object.getOwnPropertyNames(lhs).sort();
  const rkeys = Object.getOwnPropertyNames(rhs).sort();
  if (lkeys.length !== rkeys.length) return false;
  for (let i = 0; i < lkeys.length; i++) if (lkeys[i] !== rkeys[i]) return false;
  for (const key of lkeys) if (!isDeepEqual((lhs as Record<string, unknown>)[key], (rhs as Record<string, unknown>)[key])) return false;
  return true;
}

/** Applied to every evaluated node: an empty sequence is nothing, a singleton is its item. */
export function normalize(result: unknown, keepArray: boolean): unknown {
  if (!Array.isArray(result)) return result;
  const sequence = result as Sequence;
  if (sequence.sequence !== true || sequence.tupleStream) return result;
  if (keepArray) sequence.keepSingleton = true;
  if (sequence.length === 0) return undefined;
  if (sequence.length === 1) return sequence.keepSingleton ? sequence : sequence[0];
  return sequence;
}

/** Variables of one evaluation, scoped like the interpreter's frames (a block or a lambda call opens one). */
export class Frame {
  // A Map, made on the first assignment: most frames bind nothing, and null-prototype objects are slow.
  private vars: Map<string, unknown> | undefined;
  constructor(
    readonly parent: Frame | undefined,
    readonly scope: Scope,
  ) {}

  bind(name: string, value: unknown): void {
    (this.vars ??= new Map()).set(name, value);
  }

  lookup(name: string): unknown {
    for (let frame: Frame | undefined = this; frame; frame = frame.parent) if (frame.vars?.has(name)) return frame.vars.get(name);
    return this.scope.global(name);
  }
}

/** What an evaluation sees beyond its own variables: the caller's bindings, then the built-ins. */
export interface Scope {
  global(name: string): unknown;
  /** `this` for built-in implementations (carries the evaluation's timestamp). */
  focus(): unknown;
}

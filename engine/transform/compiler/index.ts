/**
 * Compiled JSONata: an expression's syntax tree turned once into synchronous JavaScript closures,
 * with the pipeline's helpers (`$money`, `$lookup`, `$ref`…) called directly. Where the compiler
 * does not cover a construct, `compileJsonata` says why and the caller keeps the interpreter.
 */
import { clockFunctions, type Focus, focusAt, staticBuiltin } from './builtins.js';
import { type AstNode, compileNode, type CompileOptions, Unsupported } from './compile.js';
import { createSequence, Frame, isSequence, NeedsInterpreter, type Scope } from './runtime.js';

export { NeedsInterpreter } from './runtime.js';
export type { AstNode } from './compile.js';

/** Evaluates the expression against `input` with the caller's bindings (names without `$`). */
export type SyncEvaluator = (input: unknown, bindings: Readonly<Record<string, unknown>>) => unknown;

export type CompileResult = { ok: true; evaluate: SyncEvaluator } | { ok: false; reason: string; offset: number };

const isEnumerable = (object: object, key: string): boolean => Object.prototype.propertyIsEnumerable.call(object, key);

class EvaluationScope implements Scope {
  // One timestamp per evaluation, taken when first needed, as the interpreter takes one per evaluate().
  private timestamp: Date | undefined;
  private clock: ReturnType<typeof clockFunctions> | undefined;
  private builtinFocus: Focus | undefined;
  constructor(
    private readonly bindings: Readonly<Record<string, unknown>>,
    private readonly root: unknown,
  ) {}

  private now = (): Date => (this.timestamp ??= new Date());

  focus(): Focus {
    this.builtinFocus ??= focusAt(this.now);
    return this.builtinFocus;
  }

  global(name: string): unknown {
    // The interpreter's order: $$ (the input, bound over any binding of that name), the caller's
    // bindings, then $now/$millis, then the built-ins.
    if (name === '$') return this.root;
    if (isEnumerable(this.bindings, name)) return this.bindings[name];
    if (name === 'now' || name === 'millis') {
      this.clock ??= clockFunctions(() => this.now().getTime());
      return this.clock[name];
    }
    return staticBuiltin(name);
  }
}

export function compileJsonata(ast: AstNode, options: Partial<CompileOptions> = {}): CompileResult {
  let root: ReturnType<typeof compileNode>;
  try {
    root = compileNode(ast, { bindingNames: options.bindingNames ?? new Set(), ...(options.guard ? { guard: options.guard } : {}) });
  } catch (error) {
    if (error instanceof Unsupported) return { ok: false, reason: error.reason, offset: error.offset };
    throw error;
  }
  const evaluate: SyncEvaluator = (input, bindings) => {
    const top = new Frame(undefined, new EvaluationScope(bindings, input));
    let context: unknown = input;
    // A JSON array input is one value, not a sequence of inputs, as in the interpreter.
    if (Array.isArray(input) && !isSequence(input)) {
      const wrapped = createSequence(input);
      wrapped.outerWrapper = true;
      context = wrapped;
    }
    try {
      return root(context, top);
    } catch (error) {
      // Deep non-tail recursion outgrows the JavaScript stack; the interpreter's async frames live on the heap.
      if (error instanceof RangeError && /call stack/i.test(error.message)) throw new NeedsInterpreter('recursion deeper than the JavaScript stack');
      throw error;
    }
  };
  return { ok: true, evaluate };
}

/**
 * The AST walk: one closure per node of jsonata's parsed tree, following the interpreter's
 * evaluator node for node (paths and their flattening, predicates, constructors, grouping,
 * blocks and variables, operators, function calls), synchronously. A construct it does not cover
 * throws `Unsupported` at compile time, with the reason and the node's offset.
 */
import { append, apply, invoke, isStaticBuiltin, lookupInArray, transformerFunction, UNCOMPILED_BUILTINS } from './builtins.js';
import { CompiledLambda, HIGHER_ORDER_NAMES, makeLambda, mergeSort, PLACEHOLDER, partialNative, type Signature, Thunk } from './functions.js';
import { BINARY_OPERATORS } from './operators.js';
import { regexMatcher } from './regex.js';
import {
  createSequence,
  Frame,
  isArrayOfNumbers,
  isFunction,
  isNativeDefinition,
  isNumeric,
  isSequence,
  type JsonataError,
  jsonataError,
  NeedsInterpreter,
  normalize,
  type Sequence,
  toBoolean,
} from './runtime.js';

/** A node of jsonata's processed AST (`jsonata(expr).ast()`), as far as the compiler reads it. */
export interface AstNode {
  type: string;
  value?: unknown;
  position?: number;
  steps?: AstNode[];
  stages?: Array<{ type: string; expr?: AstNode }>;
  predicate?: Array<{ type: string; expr?: AstNode }>;
  group?: { lhs: Array<[AstNode, AstNode]>; position?: number };
  lhs?: AstNode | Array<[AstNode, AstNode]>;
  rhs?: AstNode;
  expression?: AstNode;
  expressions?: AstNode[];
  condition?: AstNode;
  then?: AstNode;
  else?: AstNode;
  procedure?: AstNode;
  arguments?: AstNode[];
  keepArray?: boolean;
  keepSingletonArray?: boolean;
  consarray?: boolean;
  tuple?: boolean;
  focus?: string;
  index?: string;
  ancestor?: unknown;
  body?: AstNode;
  thunk?: boolean;
  terms?: Array<{ descending?: boolean; expression: AstNode }>;
  pattern?: AstNode;
  update?: AstNode;
  delete?: AstNode;
  signature?: Signature;
}

/** Evaluates one node: the context value and the frame of variables in scope. */
export type Closure = (input: unknown, frame: Frame) => unknown;

export class Unsupported extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(reason);
  }
}

export interface CompileOptions {
  /** Names the caller binds at evaluation (without `$`): calls to them are allowed whatever the name. */
  bindingNames: ReadonlySet<string>;
  /**
   * The hooks of an evaluation budget (time, memory, recursion, value sizes); each throws to stop
   * the evaluation. Default: none, like the interpreter without hooks.
   */
  guard?: EvaluationGuard;
}

/** What a budget watches in a compiled evaluation. */
export interface EvaluationGuard {
  /** The value of every node that does work (not literals, names and variables): the budget's clock and its size limit. */
  value(value: unknown): void;
  /** A user-defined function's body starts (recursion deepens)… */
  enterFunction(): void;
  /** …and ends, however it ends. */
  exitFunction(): void;
  /** Before the range operator allocates `items` values at once. */
  allocate(items: number): void;
}

const UNWATCHED_LEAVES: ReadonlySet<string> = new Set(['string', 'number', 'value', 'name', 'variable', 'regex']);

/** The built-ins whose compiled versions call a function argument (functions.ts); no other built-in or helper takes one compiled. */
const CALLS_FUNCTIONS: ReadonlySet<string> = new Set(HIGHER_ORDER_NAMES);

/** Nodes that evaluate to a function value: `function(…){…}`, `$f(?, x)`, `|…|…|`. */
const FUNCTION_LITERALS: ReadonlySet<string> = new Set(['lambda', 'partial', 'transform']);

const NOT_COMPILED: Readonly<Record<string, string>> = {
  sort: 'order-by ^(…) outside a path',
  parent: 'parent operator %',
};

function unsupported(reason: string, node: AstNode): never {
  throw new Unsupported(reason, node.position ?? 0);
}

export function compileNode(node: AstNode, options: CompileOptions): Closure {
  return new Compiler(options).node(node);
}

class Compiler {
  constructor(private readonly options: CompileOptions) {}

  /** One node with the wrapping every evaluation gets: predicates, grouping, sequence normalisation. */
  node(node: AstNode): Closure {
    let run = this.core(node);
    for (const predicate of node.predicate ?? []) {
      if (predicate.type !== 'filter' || !predicate.expr) unsupported('positional variable binding #', node);
      const filter = this.filter(predicate.expr);
      const inner = run;
      run = (input, frame) => filter(inner(input, frame), frame);
    }
    if (node.type !== 'path' && node.group) {
      const group = this.group(node.group.lhs, node.group.position ?? node.position ?? 0);
      const inner = run;
      run = (input, frame) => group(inner(input, frame), frame);
    }
    const guard = this.options.guard;
    // A leaf does no work of its own: a loop or an allocation always goes through a node that is watched.
    if (guard && !UNWATCHED_LEAVES.has(node.type)) {
      const inner = run;
      run = (input, frame) => {
        const value = inner(input, frame);
        guard.value(value);
        return value;
      };
    }
    if (node.type === 'string' || node.type === 'number' || node.type === 'value') return run;
    const keepArray = node.keepArray === true;
    return (input, frame) => normalize(run(input, frame), keepArray);
  }

  private core(node: AstNode): Closure {
    const reason = NOT_COMPILED[node.type];
    if (reason) unsupported(reason, node);
    if (node.ancestor !== undefined) unsupported(NOT_COMPILED['parent']!, node);
    if (node.focus !== undefined) unsupported('context variable binding @', node);
    if (node.index !== undefined) unsupported('positional variable binding #', node);
    if (node.tuple) unsupported('tuple stream (@, # or %)', node);
    switch (node.type) {
      case 'path':
        return this.path(node);
      case 'binary':
        return this.binary(node);
      case 'unary':
        return this.unary(node);
      case 'name':
        return this.name(String(node.value));
      case 'string':
      case 'number':
      case 'value': {
        const value = node.value;
        return () => value;
      }
      case 'wildcard':
        return wildcard;
      case 'descendant':
        return descendants;
      case 'condition':
        return this.condition(node);
      case 'block':
        return this.block(node);
      case 'bind':
        return this.bind(node);
      case 'function': {
        const call = this.call(node);
        return (input, frame) => call(input, frame);
      }
      case 'lambda':
        return this.lambda(node);
      case 'partial':
        return this.partial(node);
      case 'transform':
        return this.transform(node);
      case 'regex': {
        const literal = node.value as RegExp;
        const position = node.position;
        return () => regexMatcher(literal, position);
      }
      case 'variable':
        return this.variable(String(node.value));
      case 'apply':
        return this.apply(node);
      default:
        return unsupported(`${node.type} expression`, node);
    }
  }

  private path(node: AstNode): Closure {
    const general = this.generalPath(node);
    const names = plainNames(node);
    if (!names) return general;
    // `a.b.c` over objects: a walk, with the general path whenever an array or a sequence turns up.
    return (input, frame) => {
      if (Array.isArray(input)) return general(input, frame);
      let value = input;
      for (const key of names) {
        if (value === null || typeof value !== 'object') return undefined;
        if (Array.isArray(value) || isFunction(value)) return general(input, frame);
        if (!Object.hasOwn(value, key)) return undefined;
        value = (value as Record<string, unknown>)[key];
      }
      return value !== undefined && isSequence(value) ? general(input, frame) : value;
    };
  }

  private generalPath(node: AstNode): Closure {
    if (node.tuple) unsupported('tuple stream', node);
    const steps = node.steps ?? [];
    if (steps.length === 0) unsupported('empty path', node);
    const firstIsVariable = steps[0]!.type === 'variable';
    const compiled = steps.map((step, i) => {
      if (step.type === 'sort') return this.sortStep(step);
      const evaluate = this.node(step);
      if (i === 0 && step.consarray) return evaluate;
      return this.step(step, evaluate, i === steps.length - 1);
    });
    const keepSingletonArray = node.keepSingletonArray === true;
    const group = node.group ? this.group(node.group.lhs, node.group.position ?? node.position ?? 0) : undefined;
    return (input, frame) => {
      let sequence: unknown = Array.isArray(input) && !firstIsVariable ? input : createSequence(input);
      let result: unknown;
      for (const step of compiled) {
        result = step(sequence, frame);
        if (result === undefined || (result as unknown[]).length === 0) break;
        sequence = result;
      }
      if (keepSingletonArray) {
        if (Array.isArray(result) && (result as Sequence).cons && !(result as Sequence).sequence) result = createSequence(result);
        (result as Sequence).keepSingleton = true;
      }
      return group ? group(result, frame) : result;
    };
  }

  /** A step after the first: evaluated for each item of the input sequence, results flattened. */
  private step(step: AstNode, evaluate: Closure, lastStep: boolean): Closure {
    const stages = (step.stages ?? []).map((stage) => {
      if (stage.type !== 'filter' || !stage.expr) unsupported('positional variable binding #', step);
      return this.filter(stage.expr);
    });
    return (input, frame) => {
      const items = input as unknown[];
      // One pass: the results, flattened as they come; a last step with one plain array result returns that array.
      const flattened = createSequence();
      let count = 0;
      let first: unknown;
      for (let i = 0; i < items.length; i++) {
        let res = evaluate(items[i], frame);
        for (const stage of stages) res = stage(res, frame);
        if (res === undefined) continue;
        if (count++ === 0) first = res;
        if (!Array.isArray(res) || (res as Sequence).cons) flattened.push(res);
        else for (const value of res) flattened.push(value);
      }
      if (lastStep && count === 1 && Array.isArray(first) && !isSequence(first)) return first;
      return flattened;
    };
  }

  /** `^(>price, name)` on the sequence so far: jsonata's merge sort with its comparator (T2007, T2008), then the step's filters. */
  private sortStep(step: AstNode): Closure {
    if (step.tuple || step.index !== undefined || step.focus !== undefined) unsupported('order-by ^(…) over a tuple stream (@, #, %)', step);
    const terms = (step.terms ?? []).map((term) => ({ descending: term.descending === true, evaluate: this.node(term.expression) }));
    const stages = (step.stages ?? []).map((stage) => {
      if (stage.type !== 'filter' || !stage.expr) unsupported('positional variable binding #', step);
      return this.filter(stage.expr);
    });
    const position = step.position;
    return (input, frame) => {
      const items = input as unknown[];
      const swap = (a: unknown, b: unknown): boolean => {
        let comp = 0;
        for (let index = 0; comp === 0 && index < terms.length; index++) {
          const term = terms[index]!;
          const aa = term.evaluate(a, frame);
          const bb = term.evaluate(b, frame);
          const atype = typeof aa;
          const btype = typeof bb;
          // undefined sorts last
          if (atype === 'undefined') {
            comp = btype === 'undefined' ? 0 : 1;
            continue;
          }
          if (btype === 'undefined') {
            comp = -1;
            continue;
          }
          if (!(atype === 'string' || atype === 'number') || !(btype === 'string' || btype === 'number')) {
            throw jsonataError('T2008', { position, value: !(atype === 'string' || atype === 'number') ? aa : bb });
          }
          if (atype !== btype) throw jsonataError('T2007', { position, value: aa, value2: bb });
          if (aa === bb) continue;
          comp = (aa as string | number) < (bb as string | number) ? -1 : 1;
          if (term.descending) comp = -comp;
        }
        return comp === 1;
      };
      let result: unknown = items.length <= 1 ? items : mergeSort(items, swap);
      for (const stage of stages) result = stage(result, frame);
      return result;
    };
  }

  /** A predicate `[…]`: an index (number) or a condition per item. */
  private filter(predicate: AstNode): (input: unknown, frame: Frame) => Sequence {
    if (predicate.type === 'number') {
      const literal = Math.floor(predicate.value as number);
      return (input) => {
        const items: Sequence = Array.isArray(input) ? input : createSequence(input);
        let results = createSequence();
        const index = literal < 0 ? items.length + literal : literal;
        const item = items[index];
        if (item !== undefined) {
          if (Array.isArray(item)) results = item;
          else results.push(item);
        }
        return results;
      };
    }
    const evaluate = this.node(predicate);
    return (input, frame) => {
      const items: Sequence = Array.isArray(input) ? input : createSequence(input);
      const results = createSequence();
      for (let index = 0; index < items.length; index++) {
        const item = items[index];
        let res = evaluate(item, frame);
        if (isNumeric(res)) res = [res];
        if (isArrayOfNumbers(res)) {
          for (const n of res as number[]) {
            let ii = Math.floor(n);
            if (ii < 0) ii = items.length + ii;
            if (ii === index) results.push(item);
          }
        } else if (toBoolean(res)) {
          results.push(item);
        }
      }
      return results;
    };
  }

  /** Object constructor and grouping `{key: value}`: group the input by key, then evaluate each value over its group. */
  private group(pairs: Array<[AstNode, AstNode]>, position: number): (input: unknown, frame: Frame) => unknown {
    const compiled = pairs.map(([key, value]) => {
      this.refuseUnscopedBind(value, 'an assignment inside an object constructor value (the interpreter evaluates the values concurrently)');
      return [this.node(key), this.node(value)] as const;
    });
    return (input, frame) => {
      if (input !== null && typeof input === 'object' && (input as Sequence).tupleStream) throw new NeedsInterpreter('tuple stream');
      const items: Sequence = Array.isArray(input) ? input : createSequence(input);
      if (items.length === 0) items.push(undefined);
      const groups: Record<string, { data: unknown; exprIndex: number }> = Object.create(null) as Record<string, { data: unknown; exprIndex: number }>;
      for (const item of items) {
        for (let pairIndex = 0; pairIndex < compiled.length; pairIndex++) {
          const key = compiled[pairIndex]![0](item, frame);
          if (key === undefined) continue;
          if (typeof key !== 'string') throw jsonataError('T1003', { position, value: key });
          if (key === '_jsonata_lambda' || key === '_jsonata_function') throw jsonataError('D1013', { position, value: key });
          const existing = groups[key];
          if (existing) {
            if (existing.exprIndex !== pairIndex) throw jsonataError('D1009', { position, value: key });
            existing.data = append(existing.data, item);
          } else {
            groups[key] = { data: item, exprIndex: pairIndex };
          }
        }
      }
      const result: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const key of Object.keys(groups)) {
        const entry = groups[key]!;
        const value = compiled[entry.exprIndex]![1](entry.data, frame);
        if (value !== undefined) result[key] = value;
      }
      return result;
    };
  }

  /**
   * `{"k": v, …}` with distinct literal keys over one value (not an array) makes one group per
   * key: the values are evaluated in key order into a plain object. Anything else groups.
   */
  private objectConstructor(pairs: Array<[AstNode, AstNode]>, position: number): (input: unknown, frame: Frame) => unknown {
    const general = this.group(pairs, position);
    const keys = pairs.map(([key]) => (key.type === 'string' && !key.predicate && !key.group ? String(key.value) : undefined));
    const literal = keys.every((k) => k !== undefined) && new Set(keys).size === keys.length && !keys.includes('__proto__');
    if (!literal || keys.includes('_jsonata_lambda') || keys.includes('_jsonata_function')) return general;
    const values = pairs.map(([, value]) => this.node(value));
    return (input, frame) => {
      if (Array.isArray(input)) return general(input, frame);
      const result: Record<string, unknown> = {};
      for (let i = 0; i < values.length; i++) {
        const value = values[i]!(input, frame);
        if (value !== undefined) result[keys[i]!] = value;
      }
      return result;
    };
  }

  /**
   * The interpreter evaluates array items and object values with Promise.all, so an assignment
   * in one races with reads in another; only a block (its own frame) makes that deterministic.
   */
  private refuseUnscopedBind(node: AstNode, reason: string): void {
    const visit = (n: unknown): void => {
      if (n === null || typeof n !== 'object') return;
      if (Array.isArray(n)) {
        for (const child of n) visit(child);
        return;
      }
      const ast = n as AstNode;
      if (ast.type === 'bind') unsupported(reason, ast);
      if (ast.type === 'block' || ast.type === 'lambda') return;
      for (const [key, child] of Object.entries(ast)) if (key !== 'value' && key !== 'position') visit(child);
    };
    visit(node);
  }

  private binary(node: AstNode): Closure {
    const op = String(node.value);
    const lhs = this.node(node.lhs as AstNode);
    const rhs = this.node(node.rhs as AstNode);
    const position = node.position;
    if (op === 'and' || op === 'or') {
      const isAnd = op === 'and';
      return (input, frame) => {
        const left = lhs(input, frame);
        try {
          const l = toBoolean(left) ?? false;
          if (isAnd ? !l : l) return l;
          return toBoolean(rhs(input, frame)) ?? false;
        } catch (error) {
          throw located(error, position, op);
        }
      };
    }
    const operator = BINARY_OPERATORS[op];
    if (!operator) unsupported(`operator ${op}`, node);
    const guard = this.options.guard;
    if (op === '..' && guard) {
      // The range is allocated at once: its size is checked before, not after.
      return (input, frame) => {
        const left = lhs(input, frame);
        const right = rhs(input, frame);
        if (Number.isInteger(left) && Number.isInteger(right) && (right as number) >= (left as number))
          guard.allocate((right as number) - (left as number) + 1);
        try {
          return operator(left, right);
        } catch (error) {
          throw located(error, position, op);
        }
      };
    }
    return (input, frame) => {
      const left = lhs(input, frame);
      const right = rhs(input, frame);
      try {
        return operator(left, right);
      } catch (error) {
        throw located(error, position, op);
      }
    };
  }

  private unary(node: AstNode): Closure {
    if (node.value === '-') {
      const operand = this.node(node.expression as AstNode);
      const position = node.position;
      return (input, frame) => {
        const value = operand(input, frame);
        if (value === undefined) return undefined;
        if (isNumeric(value)) return -value;
        throw jsonataError('D1002', { position, token: '-', value });
      };
    }
    if (node.value === '[') {
      const items = node.expressions ?? [];
      if (items.length > 1)
        for (const item of items) this.refuseUnscopedBind(item, 'an assignment inside an array constructor (the interpreter evaluates the items concurrently)');
      const compiled = items.map((item) => ({ evaluate: this.node(item), nested: item.value === '[' }));
      const consarray = node.consarray === true;
      return (input, frame) => {
        // jsonata appends each item (concat: an array's items, else the value) to a fresh array; pushing into it is the same.
        const result: unknown[] = [];
        for (const item of compiled) {
          const value = item.evaluate(input, frame);
          if (value === undefined) continue;
          if (item.nested || !Array.isArray(value)) result.push(value);
          else for (const v of value) result.push(v);
        }
        if (consarray) Object.defineProperty(result, 'cons', { enumerable: false, configurable: false, value: true });
        return result;
      };
    }
    if (node.value === '{') return this.objectConstructor(node.lhs as Array<[AstNode, AstNode]>, node.position ?? 0);
    return unsupported(`unary ${String(node.value)}`, node);
  }

  private name(key: string): Closure {
    return (input) => {
      if (Array.isArray(input)) return lookupInArray(input, key);
      if (input !== null && typeof input === 'object' && Object.hasOwn(input, key) && !isFunction(input)) return (input as Record<string, unknown>)[key];
      return undefined;
    };
  }

  private condition(node: AstNode): Closure {
    const condition = this.node(node.condition as AstNode);
    const then = this.node(node.then as AstNode);
    const otherwise = node.else ? this.node(node.else) : undefined;
    return (input, frame) => {
      if (toBoolean(condition(input, frame))) return then(input, frame);
      return otherwise ? otherwise(input, frame) : undefined;
    };
  }

  private block(node: AstNode): Closure {
    const expressions = (node.expressions ?? []).map((e) => this.node(e));
    return (input, frame) => {
      const inner = new Frame(frame, frame.scope);
      let result: unknown;
      for (const expression of expressions) result = expression(input, inner);
      return result;
    };
  }

  private bind(node: AstNode): Closure {
    const name = String((node.lhs as AstNode).value);
    const rhs = this.node(node.rhs as AstNode);
    return (input, frame) => {
      const value = rhs(input, frame);
      frame.bind(name, value);
      return value;
    };
  }

  private variable(name: string): Closure {
    if (name === '') return (input) => (input && (input as Sequence).outerWrapper ? (input as unknown[])[0] : input);
    return (_input, frame) => frame.lookup(name);
  }

  /** `$f(args)`; with `applyTo`, the right side of `lhs ~> $f(args)`, whose lhs becomes the first argument. */
  private call(node: AstNode): (input: unknown, frame: Frame, applyTo?: { value: unknown }) => unknown {
    const inner = this.callInner(node);
    return (input, frame, applyTo) => {
      const result = inner(input, frame, input, applyTo);
      return result instanceof Thunk ? trampoline(result, input) : result;
    };
  }

  /** The call without running a tail call it returns (the trampoline of the enclosing apply does). */
  private callInner(node: AstNode): (input: unknown, frame: Frame, context: unknown, applyTo?: { value: unknown }) => unknown {
    const procedure = node.procedure as AstNode;
    const name = procedure.type === 'path' ? String(procedure.steps?.[0]?.value) : String(procedure.value);
    const notCompiled = procedure.type === 'variable' ? UNCOMPILED_BUILTINS[name] : undefined;
    if (notCompiled && !this.options.bindingNames.has(name) && isStaticBuiltin(name)) unsupported(notCompiled, procedure);
    if (procedure.type === 'variable') this.refuseFunctionArgument(name, node.arguments ?? []);
    const proc = this.node(procedure);
    const forgotDollar = procedure.type === 'path' ? String(procedure.steps?.[0]?.value) : undefined;
    const args = (node.arguments ?? []).map((a) => this.node(a));
    const position = node.position;
    return (input, frame, context, applyTo) => {
      const fn = proc(input, frame);
      if (fn === undefined && forgotDollar !== undefined && frame.lookup(forgotDollar)) throw jsonataError('T1005', { position, token: forgotDollar });
      const values: unknown[] = applyTo ? [applyTo.value] : [];
      for (const arg of args) values.push(arg(input, frame));
      try {
        return invoke(fn, values, context, frame.scope);
      } catch (error) {
        throw located(error, position, name);
      }
    };
  }

  /**
   * A function literal handed to a built-in (`$replace(s, /re/, function($m) {…})`, `$string(function…)`)
   * or a pipeline helper: the compiled call would hand every record to the interpreter
   * (NeedsInterpreter in `invoke`), so the expression is left to it at load time, where
   * `validate --explain` shows it. Calls of the expression's own functions are not concerned.
   */
  private refuseFunctionArgument(name: string, args: readonly AstNode[]): void {
    if (CALLS_FUNCTIONS.has(name)) return;
    if (!this.options.bindingNames.has(name) && !isStaticBuiltin(name)) return;
    const literal = args.find((a) => FUNCTION_LITERALS.has(a.type));
    if (literal) unsupported(`a function passed to $${name} (compiled, only $map, $filter, $reduce, $single, $each, $sift and $sort call one)`, literal);
  }

  /** `function($a, $b)<sig> { body }`; a parser-made thunk (tail call) becomes a deferred call. */
  private lambda(node: AstNode): Closure {
    const body = node.body as AstNode;
    if (node.thunk) {
      const call = this.callInner(body);
      return (input, frame) => new Thunk((context) => call(input, frame, context));
    }
    const params = (node.arguments ?? []).map((p) => String(p.value));
    const evaluateBody = this.node(body);
    const guard = this.options.guard;
    const evaluate: Closure = guard
      ? (input, frame) => {
          guard.enterFunction();
          try {
            return evaluateBody(input, frame);
          } finally {
            guard.exitFunction();
          }
        }
      : evaluateBody;
    const signature = node.signature;
    return (input, frame) => makeLambda(params, signature, frame, input, evaluate);
  }

  /** `$f(?, x)`: a function of the `?` arguments (T1007 for a forgotten `$`, T1008 for a non-function). */
  private partial(node: AstNode): Closure {
    const procedure = node.procedure as AstNode;
    const proc = this.node(procedure);
    const forgotDollar = procedure.type === 'path' ? String(procedure.steps?.[0]?.value) : undefined;
    const name = procedure.type === 'path' ? forgotDollar : String(procedure.value);
    const args = (node.arguments ?? []).map((a) => (a.type === 'operator' && a.value === '?' ? undefined : this.node(a)));
    const position = node.position;
    return (input, frame) => {
      const values = args.map((arg) => (arg ? arg(input, frame) : PLACEHOLDER));
      const fn = proc(input, frame);
      if (fn === undefined && forgotDollar !== undefined && frame.lookup(forgotDollar)) throw jsonataError('T1007', { position, token: forgotDollar });
      if (fn instanceof CompiledLambda) return fn.partial(values);
      if (isNativeDefinition(fn)) return partialNative(fn.implementation, values, frame.scope);
      if (typeof fn === 'function') return partialNative(fn as (...a: unknown[]) => unknown, values, frame.scope);
      if (isFunction(fn)) throw new NeedsInterpreter('partial application of a foreign lambda');
      throw jsonataError('T1008', { position, token: name });
    };
  }

  /** `|pattern|update, delete|`: a function that copies its argument (with `$clone`) and changes the matches. */
  private transform(node: AstNode): Closure {
    const pattern = this.node(node.pattern as AstNode);
    const update = this.node(node.update as AstNode);
    const remove = node.delete ? this.node(node.delete) : undefined;
    const position = node.position;
    const updatePosition = node.update?.position;
    const deletePosition = node.delete?.position;
    return (_input, frame) =>
      transformerFunction((obj) => {
        if (obj === undefined) return undefined;
        const clone = frame.lookup('clone');
        if (!isFunction(clone)) throw jsonataError('T2013', { position });
        const result = apply(clone, [obj], null, frame.scope);
        const found = pattern(result, frame);
        if (found === undefined) return result;
        for (const match of Array.isArray(found) ? found : [found]) {
          const changes = update(match, frame);
          if (changes !== undefined) {
            if (typeof changes !== 'object' || changes === null || Array.isArray(changes))
              throw jsonataError('T2011', { position: updatePosition, value: changes });
            // As in jsonata's sloppy-mode assignment: ignored on a primitive, a TypeError on null.
            for (const key of Object.keys(changes)) {
              if (match === null || match === undefined) throw new TypeError(`cannot set property '${key}' of ${String(match)}`);
              if (typeof match === 'object') (match as Record<string, unknown>)[key] = (changes as Record<string, unknown>)[key];
            }
          }
          if (!remove) continue;
          const deletions = remove(match, frame);
          if (deletions === undefined) continue;
          const list = Array.isArray(deletions) ? deletions : [deletions];
          if (!list.every((d) => typeof d === 'string')) throw jsonataError('T2012', { position: deletePosition, value: deletions });
          if (typeof match === 'object' && match !== null) for (const key of list as string[]) delete (match as Record<string, unknown>)[key];
        }
        return result;
      });
  }

  private apply(node: AstNode): Closure {
    const lhs = this.node(node.lhs as AstNode);
    const rhsNode = node.rhs as AstNode;
    if (rhsNode.type === 'function') {
      const call = this.call(rhsNode);
      return (input, frame) => call(input, frame, { value: lhs(input, frame) });
    }
    const rhs = this.node(rhsNode);
    const position = node.position;
    return (input, frame) => {
      const value = lhs(input, frame);
      const fn = rhs(input, frame);
      if (!isFunction(fn)) throw jsonataError('T2006', { position, value: fn });
      if (isFunction(value)) throw new NeedsInterpreter('function composition with ~>');
      return apply(fn, [value], null, frame.scope);
    };
  }
}

/** The keys of a path made only of plain field names (`a.b.c`, no predicate, grouping or array flag), else undefined. */
function plainNames(node: AstNode): string[] | undefined {
  if (node.keepSingletonArray || node.keepArray || node.group || node.tuple || node.predicate) return undefined;
  const steps = node.steps ?? [];
  const plain = (s: AstNode) =>
    s.type === 'name' && !s.stages && !s.predicate && !s.group && !s.keepArray && !s.tuple && s.focus === undefined && s.index === undefined && !s.ancestor;
  return steps.length > 0 && steps.every(plain) ? steps.map((s) => String(s.value)) : undefined;
}

function trampoline(thunk: Thunk, context: unknown): unknown {
  let result: unknown = thunk;
  while (result instanceof Thunk) result = result.call(context);
  return result;
}

/** The interpreter stamps errors with the operator's or function's position and token. */
function located(error: unknown, position: number | undefined, token: string): unknown {
  if (error !== null && typeof error === 'object' && !(error instanceof NeedsInterpreter)) {
    const e = error as Partial<JsonataError>;
    if (e.position === undefined && position !== undefined) e.position = position;
    if (e.token === undefined) e.token = token;
  }
  return error;
}

function wildcard(input: unknown): unknown {
  let results: unknown = createSequence();
  let value = input;
  if (Array.isArray(value) && (value as Sequence).outerWrapper && value.length > 0) value = value[0];
  if (value !== null && typeof value === 'object' && !isFunction(value)) {
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      if (Array.isArray(item)) results = append(results, flatten(item, []));
      else (results as unknown[]).push(item);
    }
  }
  return results;
}

function flatten(value: unknown, into: unknown[]): unknown[] {
  if (Array.isArray(value)) for (const item of value) flatten(item, into);
  else into.push(value);
  return into;
}

function descendants(input: unknown): unknown {
  if (input === undefined) return undefined;
  const results = createSequence();
  collectDescendants(input, results);
  return results.length === 1 ? results[0] : results;
}

function collectDescendants(input: unknown, results: unknown[]): void {
  if (!Array.isArray(input)) results.push(input);
  if (Array.isArray(input)) {
    for (const member of input) collectDescendants(member, results);
  } else if (input !== null && typeof input === 'object' && !isFunction(input)) {
    for (const key of Object.keys(input)) collectDescendants((input as Record<string, unknown>)[key], results);
  }
}

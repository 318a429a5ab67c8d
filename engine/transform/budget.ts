/**
 * What one record's mapping may spend: time, nesting of function calls, the size of any one value
 * it builds, and heap. JSONata is a full language (recursion, `[1..10000000]`, string doubling), and
 * a pipeline is written by many hands: a runaway expression must cost one dead letter, never the run
 * (a V8 out-of-memory crash) nor the scheduler's SIGTERM (a thread blocked for minutes).
 *
 * Both engines report to the same budget: the compiled closures through their guard (at every node,
 * with every value, around every function body, before the range operator allocates), the jsonata
 * interpreter through its evaluate entry and exit hooks, installed per expression.
 */
import { getHeapStatistics } from 'node:v8';
import type jsonata from 'jsonata';
import { LedgersyncError } from '../errors.js';
import type { EvaluationGuard } from './compiler/compile.js';

/** Per record, filter and every mapping expression together. */
export interface MappingLimits {
  /** Wall time, in ms. Default 500: well inside the 2 s a scheduler's SIGTERM is given, well above a GC pause. */
  timeMs: number;
  /** User-defined functions nested in one another (recursion). Default 1000. */
  depth: number;
  /** Items of one array or sequence, characters of one string. Default 1 000 000. */
  size: number;
  /** Heap the mapping may add, in MiB. Default 256. */
  memoryMb: number;
}

export const DEFAULT_MAPPING_LIMITS: Readonly<MappingLimits> = Object.freeze({ timeMs: 500, depth: 1000, size: 1_000_000, memoryMb: 256 });

/** Where each limit is set in a pipeline (`limits:`). */
export const LIMIT_SETTINGS: Readonly<Record<keyof MappingLimits, string>> = {
  timeMs: 'limits.mapping_ms',
  depth: 'limits.mapping_depth',
  size: 'limits.mapping_size',
  memoryMb: 'limits.mapping_memory_mb',
};

/** Units of work between two looks at the clock and the heap: a node counts 1, a value 1 per 64 items or characters. */
const CHECK_EVERY = 1024;
/** Never let the heap go past this share of V8's limit, whatever `memoryMb` allows: beyond it V8 aborts the process. */
const HEAP_CEILING = 0.85;
const MiB = 1024 * 1024;

/** A mapping stopped by its budget: a record error, dead-lettered naming the expression and the limit. */
export class MappingBudgetExceeded extends LedgersyncError {
  constructor(
    readonly limit: keyof MappingLimits,
    message: string,
    value: number,
  ) {
    super('mapping_budget_exceeded', 'record', message, {
      details: { limit: LIMIT_SETTINGS[limit], value },
      fix: `make the expression do less for one record (a runaway recursion or a range that grows too large?), or raise ${LIMIT_SETTINGS[limit]} in the pipeline if this record really needs more; the record is retried on the next run`,
    });
  }
}

export class MappingBudget {
  private readonly deadline: number;
  /** Set at the first look at the heap: most records never do enough work to need one (it costs microseconds). */
  private heapCeiling = 0;
  private heapLimit = 0;
  private depth = 0;
  private work = 0;

  constructor(readonly limits: Readonly<MappingLimits> = DEFAULT_MAPPING_LIMITS) {
    this.deadline = Date.now() + limits.timeMs;
  }

  /** Before each node: every CHECK_EVERY units of work, the clock and the heap. */
  tick(weight = 1): void {
    this.work += weight;
    if (this.work >= CHECK_EVERY) {
      this.work = 0;
      this.check();
    }
  }

  /** The clock and the heap, now. */
  check(): void {
    if (Date.now() > this.deadline) {
      throw new MappingBudgetExceeded('timeMs', `the mapping ran longer than ${this.limits.timeMs} ms (${LIMIT_SETTINGS.timeMs})`, this.limits.timeMs);
    }
    const heap = getHeapStatistics();
    const used = heap.used_heap_size;
    if (this.heapCeiling === 0) {
      this.heapLimit = heap.heap_size_limit;
      this.heapCeiling = Math.min(used + this.limits.memoryMb * MiB, heap.heap_size_limit * HEAP_CEILING);
    }
    if (used > this.heapCeiling) {
      throw new MappingBudgetExceeded(
        'memoryMb',
        `the mapping needed more memory than it may use (${LIMIT_SETTINGS.memoryMb}: ${this.limits.memoryMb} MiB; the heap was at ${Math.round(used / MiB)} of ${Math.round(this.heapLimit / MiB)} MiB)`,
        this.limits.memoryMb,
      );
    }
  }

  /** A value an expression produced: one unit of work, more for a long one, refused past `size`. */
  value(value: unknown): void {
    const length = typeof value === 'string' ? value.length : Array.isArray(value) ? value.length : 0;
    if (length > this.limits.size)
      this.refuseSize(length, typeof value === 'string' ? 'a string of' : 'a list of', typeof value === 'string' ? 'characters' : 'items');
    this.tick(1 + (length >> 6));
  }

  /** Before `items` values are allocated at once (the range operator `[1..n]`). */
  allocate(items: number): void {
    if (items > this.limits.size) this.refuseSize(items, 'a range of', 'items');
    this.tick(items >> 6);
  }

  enterFunction(): void {
    if (++this.depth > this.limits.depth) {
      throw new MappingBudgetExceeded(
        'depth',
        `functions of the mapping called one another more than ${this.limits.depth} deep (${LIMIT_SETTINGS.depth}): a recursion that does not end, or that should be tail-recursive`,
        this.limits.depth,
      );
    }
  }

  exitFunction(): void {
    if (this.depth > 0) this.depth--;
  }

  private refuseSize(length: number, what: string, unit: string): never {
    throw new MappingBudgetExceeded(
      'size',
      `the mapping built ${what} ${length.toLocaleString('en-US')} ${unit}, more than ${this.limits.size.toLocaleString('en-US')} (${LIMIT_SETTINGS.size})`,
      this.limits.size,
    );
  }
}

// ---- the compiled closures: synchronous, so the record being mapped has the budget to itself ----

let active: MappingBudget | undefined;

/** Runs a synchronous evaluation of the compiled closures against `budget`. */
export function underBudget<T>(budget: MappingBudget, evaluate: () => T): T {
  const previous = active;
  active = budget;
  try {
    return evaluate();
  } finally {
    active = previous;
  }
}

/** The guard every compiled expression of a pipeline is built with; it does nothing outside `underBudget`. */
export const budgetGuard: EvaluationGuard = {
  value: (value) => active?.value(value),
  enterFunction: () => active?.enterFunction(),
  exitFunction: () => active?.exitFunction(),
  allocate: (items) => active?.allocate(items),
};

// ---- the interpreter: asynchronous, so the budget travels with the evaluation's bindings ----

/**
 * The binding that carries an evaluation's budget. Its name has a space, which a JSONata variable
 * cannot: no expression can read or shadow it.
 */
export const BUDGET_BINDING = 'ledgersync budget';

interface InterpreterEnvironment {
  lookup(name: string): unknown;
}

interface InterpreterNode {
  type?: string;
  body?: unknown;
  thunk?: boolean;
}

/** The body of every lambda (not the thunks jsonata makes of tail calls): entering one is a function call. */
function functionBodies(ast: unknown): WeakSet<object> {
  const bodies = new WeakSet<object>();
  const seen = new Set<unknown>();
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object' || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    const n = node as InterpreterNode;
    if (n.type === 'lambda' && !n.thunk && n.body !== null && typeof n.body === 'object') bodies.add(n.body);
    for (const [key, child] of Object.entries(node)) if (key !== 'value' && key !== 'position') visit(child);
  };
  visit(ast);
  return bodies;
}

/** Installs the budget hooks on an interpreted expression: each evaluation checks the budget in its bindings, if any. */
export function budgetInterpreter(expression: jsonata.Expression): void {
  const bodies = functionBodies(expression.ast());
  const budgetOf = (environment: InterpreterEnvironment) => environment.lookup(BUDGET_BINDING) as MappingBudget | undefined;
  const hooks = expression as unknown as { assign(name: symbol, value: unknown): void };
  hooks.assign(Symbol.for('jsonata.__evaluate_entry'), (node: object, _input: unknown, environment: InterpreterEnvironment) => {
    const budget = budgetOf(environment);
    if (!budget) return;
    // An interpreted node costs microseconds: with the exit's unit, a look at the clock and the heap every 64 of them.
    budget.tick(15);
    if (bodies.has(node)) budget.enterFunction();
  });
  hooks.assign(Symbol.for('jsonata.__evaluate_exit'), (node: object, _input: unknown, environment: InterpreterEnvironment, result: unknown) => {
    const budget = budgetOf(environment);
    if (!budget) return;
    if (bodies.has(node)) budget.exitFunction();
    budget.value(result);
  });
}

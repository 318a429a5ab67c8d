/**
 * JSONata expressions of a pipeline: compiled once, and their AST walked for names that cannot
 * work (a `$lookup` table, an option, a `$ref` stream, a function that does not exist), each
 * reported at its offset inside the expression text.
 */
import type { Expression } from 'jsonata';
import { jsonata } from '../transform/jsonata.js';
import { BINDING_NAMES } from '../transform/bindings.js';
import { didYouMean } from './suggest.js';

/** JSONata 2.x built-in functions (a test checks each still is one). */
export const JSONATA_BUILTINS: readonly string[] = [
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
  'exists',
  'append',
  'now',
  'millis',
];

/** Names the engine binds for every expression (without `$`). */
export const PIPELINE_BINDINGS: readonly string[] = [...new Set<string>([...BINDING_NAMES, 'now'])];

const knownNames = new Set<string>([...JSONATA_BUILTINS, ...PIPELINE_BINDINGS]);

/** The parameters of the engine's own functions: a call with another count cannot do what was meant. */
const BINDING_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  lookup: ['table', 'key'],
  ref: ['stream', 'id'],
  refOrNull: ['stream', 'id'],
  money: ['amount', 'currency'],
  truncate: ['text', 'length'],
  digest: ['text', 'length'],
  date: ['seconds'],
  datetime: ['seconds'],
};

export interface ExpressionIssue {
  /** Offset inside the expression text. */
  offset: number;
  code: string;
  message: string;
  severity: 'error' | 'warning';
}

export type Compiled = { ok: true; expression: Expression } | { ok: false; issue: ExpressionIssue };

interface JsonataError {
  code?: string;
  position?: number;
  token?: unknown;
  message?: string;
}

export function compileExpression(source: string): Compiled {
  try {
    return { ok: true, expression: jsonata(source) };
  } catch (error) {
    const e = error as JsonataError;
    const token = typeof e.token === 'string' && e.token !== '(end)' ? e.token : '';
    // jsonata reports the offset just past the offending token; point at its start.
    const offset = Math.max(0, Math.min(source.length, (e.position ?? source.length) - token.length));
    return {
      ok: false,
      issue: { offset, code: 'jsonata_syntax', message: `JSONata syntax error${e.code ? ` ${e.code}` : ''}: ${e.message ?? String(error)}`, severity: 'error' },
    };
  }
}

export interface ReferenceContext {
  lookups: ReadonlySet<string>;
  options: ReadonlySet<string>;
  /** Stream names in run order. */
  streams: readonly string[];
  /** Index of the stream owning the expression. */
  streamIndex: number;
}

interface AstNode {
  type?: string;
  value?: unknown;
  position?: number;
  [key: string]: unknown;
}

/** Names that cannot work in this pipeline, found by walking the expression's AST. */
export function checkReferences(expression: Expression, source: string, ctx: ReferenceContext): ExpressionIssue[] {
  const ast = expression.ast() as unknown as AstNode;
  const checker = new ReferenceChecker(source, ctx, localNames(ast), pipedCalls(ast));
  walk(ast, (node) => {
    if ((node.type === 'function' || node.type === 'partial') && isNode(node['procedure']) && node['procedure'].type === 'variable')
      checker.call(node, node['procedure']);
    if (node.type === 'path' && Array.isArray(node['steps'])) checker.optionPath(node['steps'] as AstNode[]);
    if (node.type === 'binary') checker.fixedMoneyDivisor(node);
  });
  // After the calls: a variable that names a called function is not reported again.
  walk(ast, (node) => {
    if (node.type === 'variable') checker.variable(node);
  });
  return checker.issues.sort((a, b) => a.offset - b.offset);
}

/** The names the expression binds itself: `:=` variables, lambda parameters, `@` and `#` bindings. */
function localNames(ast: AstNode): Set<string> {
  const local = new Set<string>(['', '$']);
  walk(ast, (node) => {
    if (node.type === 'bind' && isNode(node['lhs']) && node['lhs'].type === 'variable') local.add(String(node['lhs'].value));
    if (node.type === 'lambda' && Array.isArray(node['arguments'])) for (const a of node['arguments'] as AstNode[]) local.add(String(a.value));
    if (typeof node['focus'] === 'string') local.add(node['focus']);
    if (typeof node['index'] === 'string') local.add(node['index']);
  });
  return local;
}

/** `x ~> $f(a)` calls $f(x, a): the right-hand call has one argument more than it shows. */
function pipedCalls(ast: AstNode): Set<AstNode> {
  const piped = new Set<AstNode>();
  walk(ast, (node) => {
    if (node.type === 'apply' && isNode(node['rhs'])) piped.add(node['rhs']);
  });
  return piped;
}

class ReferenceChecker {
  readonly issues: ExpressionIssue[] = [];
  /** The variable nodes that name a called function. */
  private readonly calls = new Set<AstNode>();

  constructor(
    private readonly source: string,
    private readonly ctx: ReferenceContext,
    private readonly local: ReadonlySet<string>,
    private readonly piped: ReadonlySet<AstNode>,
  ) {}

  private issue(offset: number, code: string, message: string, severity: 'error' | 'warning' = 'error'): void {
    this.issues.push({ offset: Math.max(0, Math.min(this.source.length, offset)), code, message, severity });
  }

  /** A call of `$name(…)`: a function that exists, with as many arguments as it takes, naming tables and streams that exist. */
  call(node: AstNode, procedure: AstNode): void {
    this.calls.add(procedure);
    const name = String(procedure.value);
    const at = (procedure.position ?? 0) - name.length - 1;
    if (this.local.has(name)) return;
    if (!knownNames.has(name)) {
      this.issue(at, 'unknown_function', `unknown function $${name}${didYouMean(name, knownNames, '$')}`);
      return;
    }
    const parameters = BINDING_PARAMETERS[name];
    const given = ((node['arguments'] as AstNode[] | undefined)?.length ?? 0) + (this.piped.has(node) ? 1 : 0);
    if (node.type === 'function' && parameters && given !== parameters.length) {
      const example = name === 'lookup' && this.ctx.lookups.size ? `; e.g. $lookup("${[...this.ctx.lookups][0]}", ${given === 1 ? 'key' : '…'})` : '';
      this.issue(
        at,
        'wrong_argument_count',
        `$${name}() takes ${parameters.length} argument${parameters.length === 1 ? '' : 's'} (${parameters.join(', ')}), not ${given}${example}`,
      );
      return;
    }
    const first = (node['arguments'] as AstNode[] | undefined)?.[0];
    if (first?.type !== 'string') return;
    this.literalArgument(name, String(first.value), stringLiteralStart(this.source, first.position ?? 0, String(first.value)));
  }

  /** The literal first argument of `$lookup` (a table) or `$ref` / `$refOrNull` (a stream that runs before this one). */
  private literalArgument(name: string, literal: string, at: number): void {
    const { ctx } = this;
    if (name === 'lookup' && !ctx.lookups.has(literal)) {
      this.issue(at, 'unknown_lookup', `unknown lookup table '${literal}' (not under lookups:)${didYouMean(literal, ctx.lookups)}`);
    }
    if (name !== 'ref' && name !== 'refOrNull') return;
    const index = ctx.streams.indexOf(literal);
    if (index < 0) {
      this.issue(at, 'ref_unknown_stream', `$${name}() names unknown stream '${literal}'${didYouMean(literal, ctx.streams)}`);
    } else if (index > ctx.streamIndex) {
      this.issue(
        at,
        'ref_later_stream',
        `$${name}() names stream '${literal}', which runs after this one: move '${literal}' before '${ctx.streams[ctx.streamIndex] ?? '?'}' in streams:`,
      );
    }
  }

  /** `$options.name` names an option of the pipeline. */
  optionPath(steps: readonly AstNode[]): void {
    const [first, second] = steps;
    if (first?.type !== 'variable' || first.value !== 'options' || this.local.has('options') || second?.type !== 'name') return;
    const option = String(second.value);
    if (this.ctx.options.has(option)) return;
    const quoted = this.source[(second.position ?? 0) - 1] === '"' || this.source[(second.position ?? 0) - 1] === '`';
    const at = (second.position ?? 0) - option.length - (quoted ? 2 : 0);
    this.issue(at, 'unknown_option', `unknown option '${option}' (not under options:)${didYouMean(option, this.ctx.options)}`);
  }

  /**
   * `amount / 100` (or `* 0.01`): the usual way to get money wrong. Chargebee's minor unit depends on
   * the currency (JPY has none, KWD has three), so a fixed divisor is off by ten or a hundred for
   * some of them, and nothing downstream can tell: a warning. Time (`$toMillis(…) / 1000`) and rates
   * (`tax_rate / 100`) are left alone.
   */
  fixedMoneyDivisor(node: AstNode): void {
    const { lhs, rhs } = node as { lhs?: AstNode; rhs?: AstNode };
    if (!lhs || !rhs) return;
    const divisor = node.value === '/' && rhs.type === 'number' && DECIMAL_SHIFTS.has(Number(rhs.value)) ? Number(rhs.value) : undefined;
    const factor = node.value === '*' ? [lhs, rhs].find((side) => side.type === 'number' && DECIMAL_SHIFTS.has(1 / Number(side.value))) : undefined;
    if (divisor === undefined && factor === undefined) return;
    const other = divisor !== undefined ? lhs : factor === lhs ? rhs : lhs;
    if (isTimeOrRate(other)) return;
    const operation = divisor !== undefined ? `divides by ${divisor}` : `multiplies by ${String(factor!.value)}`;
    this.issue(
      (node.position ?? 1) - 1,
      'money_fixed_divisor',
      `${operation}: if this is an amount, Chargebee gives it in the currency's minor unit, which differs by currency (JPY has none, KWD has three); use $money(amount, currency_code), which converts with the currency's own exponent`,
      'warning',
    );
  }

  /** A variable the expression does not bind and the engine does not provide is always undefined: a warning. */
  variable(node: AstNode): void {
    if (this.calls.has(node)) return;
    const name = String(node.value);
    if (this.local.has(name) || knownNames.has(name)) return;
    this.issue(
      (node.position ?? 0) - name.length - 1,
      'unknown_variable',
      `unknown variable $${name}${didYouMean(name, knownNames, '$')}: it is always undefined`,
      'warning',
    );
  }
}

/** Divisors that move a decimal point: what minor units are wrongly converted with. */
const DECIMAL_SHIFTS: ReadonlySet<number> = new Set([10, 100, 1000]);
const TIME_FUNCTIONS: ReadonlySet<string> = new Set(['toMillis', 'millis', 'now']);

/** `$toMillis(…)` and the like, or a field or variable named as a rate or percentage. */
function isTimeOrRate(node: AstNode): boolean {
  if (node.type === 'function' && isNode(node['procedure']) && TIME_FUNCTIONS.has(String(node['procedure'].value))) return true;
  const last = node.type === 'path' && Array.isArray(node['steps']) ? (node['steps'] as AstNode[]).at(-1) : node;
  return (last?.type === 'name' || last?.type === 'variable') && /rate|percent|pct/i.test(String(last.value));
}

function stringLiteralStart(source: string, end: number, value: string): number {
  // The AST keeps the offset just past the closing quote; find the opening one.
  const quote = source[end - 1];
  const guess = end - value.length - 2;
  if ((quote !== '"' && quote !== "'") || source[guess] === quote) return Math.max(0, guess);
  const open = source.lastIndexOf(quote, end - 2);
  return open >= 0 ? open : Math.max(0, guess);
}

function isNode(value: unknown): value is AstNode {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function walk(node: unknown, visit: (node: AstNode) => void, seen = new Set<unknown>()): void {
  // jsonata's processed AST may share sub-objects (parent-operator slots); visit each once.
  if (node === null || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  if (Array.isArray(node)) {
    for (const child of node) walk(child, visit, seen);
    return;
  }
  visit(node as AstNode);
  for (const [key, child] of Object.entries(node)) {
    if (key !== 'position' && key !== 'value') walk(child, visit, seen);
  }
}

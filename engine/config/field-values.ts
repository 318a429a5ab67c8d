/**
 * Values a mapping can give a sink field whose accepted values the sink's descriptor declares
 * (`objects.<object>.fields.<field>.enum`). Found by walking the mapping's JSONata AST: where an
 * object constructor sets that field, the results the value expression can yield are collected:
 * string literals, and `$lookup("table", …)` calls (the table's values and default are checked by
 * the caller). Expressions whose result cannot be known statically are left alone.
 */
import type jsonata from 'jsonata';

/** What feeds one constrained field: literal values and lookup tables. */
export interface FieldFeed {
  field: string;
  literals: string[];
  tables: string[];
}

interface AstNode {
  type?: string;
  value?: unknown;
  [key: string]: unknown;
}

const isNode = (value: unknown): value is AstNode => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The leaves that can become the value of an expression: literals and lookup tables. */
function resultLeaves(node: unknown, feed: FieldFeed): void {
  if (!isNode(node)) return;
  switch (node.type) {
    case 'string':
      feed.literals.push(String(node.value));
      return;
    case 'condition':
      resultLeaves(node['then'], feed);
      resultLeaves(node['else'], feed);
      return;
    case 'block': {
      const expressions = node['expressions'];
      if (Array.isArray(expressions)) resultLeaves(expressions[expressions.length - 1], feed);
      return;
    }
    case 'bind':
      resultLeaves(node['rhs'], feed);
      return;
    case 'function': {
      const procedure = node['procedure'];
      const first = (node['arguments'] as unknown[] | undefined)?.[0];
      if (isNode(procedure) && procedure.type === 'variable' && procedure.value === 'lookup' && isNode(first) && first.type === 'string') {
        feed.tables.push(String(first.value));
      }
      return;
    }
  }
}

/** Object constructors' `[key, value]` pairs anywhere in the AST (each node visited once). */
function constructorPairs(node: unknown, visit: (key: AstNode, value: unknown) => void, seen = new Set<unknown>()): void {
  if (node === null || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  if (Array.isArray(node)) {
    for (const child of node) constructorPairs(child, visit, seen);
    return;
  }
  const n = node as AstNode;
  const pairs = n.type === 'unary' && n.value === '{' ? n['lhs'] : isNode(n['group']) ? n['group']['lhs'] : undefined;
  if (Array.isArray(pairs)) {
    for (const pair of pairs) {
      if (Array.isArray(pair) && isNode(pair[0])) visit(pair[0], pair[1]);
    }
  }
  for (const [key, child] of Object.entries(n)) if (key !== 'position' && key !== 'value') constructorPairs(child, visit, seen);
}

/** For each constrained field an object constructor of the expression sets: what can feed it. */
export function fieldFeeds(expression: jsonata.Expression, fields: ReadonlySet<string>): FieldFeed[] {
  const feeds = new Map<string, FieldFeed>();
  constructorPairs(expression.ast(), (key, value) => {
    if (key.type !== 'string' || !fields.has(String(key.value))) return;
    const field = String(key.value);
    const feed = feeds.get(field) ?? { field, literals: [], tables: [] };
    resultLeaves(value, feed);
    feeds.set(field, feed);
  });
  return [...feeds.values()];
}

/** What feeds a field mapped on its own (`mapping.fields.<field>: <expression>`). */
export function wholeExpressionFeed(expression: jsonata.Expression, field: string): FieldFeed {
  const feed: FieldFeed = { field, literals: [], tables: [] };
  resultLeaves(expression.ast(), feed);
  return feed;
}

/**
 * `target.key` names the field of the mapped record the sink finds the record by. A key the
 * mapping never sets means every record goes out without one (no look-up before create: a
 * duplicate on the second run of a sink that relies on it), so `validate` refuses it where the
 * mapping's output fields can be known: `fields:`, or an expression whose result is an object
 * constructor (also inside blocks, conditions and array fan-outs).
 */
import type jsonata from 'jsonata';

interface AstNode {
  type?: string;
  value?: unknown;
  [key: string]: unknown;
}

const isNode = (value: unknown): value is AstNode => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The top-level fields the expression's result can have, or undefined when they cannot be known statically. */
export function producedFields(node: unknown): Set<string> | undefined {
  if (!isNode(node)) return undefined;
  switch (node.type) {
    case 'unary': {
      if (node.value === '{') {
        const fields = new Set<string>();
        for (const pair of (node['lhs'] as unknown[] | undefined) ?? []) {
          const key = Array.isArray(pair) ? pair[0] : undefined;
          if (!isNode(key) || key.type !== 'string') return undefined;
          fields.add(String(key.value));
        }
        return fields;
      }
      if (node.value === '[') return union((node['expressions'] as unknown[] | undefined) ?? []);
      return undefined;
    }
    case 'block': {
      const expressions = node['expressions'];
      return Array.isArray(expressions) ? producedFields(expressions[expressions.length - 1]) : undefined;
    }
    case 'condition':
      // A branch without an else yields nothing (the record is not written): only the then-branch counts.
      return node['else'] === undefined ? producedFields(node['then']) : union([node['then'], node['else']]);
    default:
      return undefined;
  }
}

function union(nodes: readonly unknown[]): Set<string> | undefined {
  const all = new Set<string>();
  for (const n of nodes) {
    const fields = producedFields(n);
    if (!fields) return undefined;
    for (const f of fields) all.add(f);
  }
  return all;
}

/** The mapping's output fields: the names under `fields:`, or what the whole expression can produce. */
export function mappingFields(mapping: { expression?: jsonata.Expression | undefined; fields?: readonly string[] | undefined }): Set<string> | undefined {
  if (mapping.fields) return new Set(mapping.fields);
  return mapping.expression ? producedFields(mapping.expression.ast()) : undefined;
}

/** The message for a key the mapping never sets, or undefined when it may set it (or nobody can tell). */
export function missingKeyMessage(key: string, produced: ReadonlySet<string> | undefined): string | undefined {
  if (!produced) return undefined;
  const first = key.split('.')[0] ?? key;
  if (produced.has(first)) return undefined;
  const fields = [...produced].filter((f) => !f.startsWith('_'));
  return `target.key '${key}' is never set by the mapping, so no record would carry its key${fields.length ? ` (the mapping sets ${fields.join(', ')})` : ''}: name a field the mapping sets, or map '${first}'`;
}

/**
 * JSONata compilation with bounds. The compiler runs synchronously and cannot be interrupted, so
 * its time is bounded by what it is given: an expression of at most `maxLength` characters and
 * `maxNesting` brackets deep compiles in well under a second (it is close to linear). What the
 * compiler's recursion still cannot take (a chain of thousands of operators) is reported as an
 * expression too complex, never as a stack overflow.
 */
import { compileExpression, type Compiled } from './expressions.js';

export const EXPRESSION_LIMITS = {
  /** Characters in one expression; the largest real mappings are a few thousand. */
  maxLength: 50_000,
  /** Brackets `(`, `[`, `{` open at once. */
  maxNesting: 100,
  /**
   * Operators (`.`, `+`, `&`, `and`, `?`…) in one expression. The compiler recurses once per
   * operator of a chain (`a.b.c…`, `x + y + …`) and its stack gives out between 4 000 and 7 000
   * of them, depending on the thread; counting makes the limit the same everywhere, so a file
   * `validate` accepts (in a worker) is one `run` accepts.
   */
  maxOperators: 2000,
} as const;

export function compileBounded(source: string): Compiled {
  if (source.length > EXPRESSION_LIMITS.maxLength) {
    return tooComplex(
      EXPRESSION_LIMITS.maxLength,
      'jsonata_too_long',
      `expression is ${source.length} characters long, more than ${EXPRESSION_LIMITS.maxLength}: split it into fields, or move data into a lookup table`,
    );
  }
  const shape = scanExpression(source, EXPRESSION_LIMITS);
  if (shape.tooDeepAt !== undefined) {
    return tooComplex(shape.tooDeepAt, 'jsonata_too_deep', `expression nests brackets more than ${EXPRESSION_LIMITS.maxNesting} deep here: simplify it`);
  }
  if (shape.tooManyOperatorsAt !== undefined) {
    return tooComplex(
      shape.tooManyOperatorsAt,
      'jsonata_too_deep',
      `expression has more than ${EXPRESSION_LIMITS.maxOperators} operators (the one here is past the limit): split it into fields, or move data into a lookup table`,
    );
  }
  const compiled = compileExpression(source);
  if (!compiled.ok && /Maximum call stack size exceeded/.test(compiled.issue.message)) {
    return tooComplex(0, 'jsonata_too_deep', 'expression is too deeply nested, or chains too many operators, for JSONata to compile: split it');
  }
  return compiled;
}

function tooComplex(offset: number, code: string, message: string): Compiled {
  return { ok: false, issue: { offset, code, message, severity: 'error' } };
}

/** Where `source` first exceeds the nesting or operator limit, outside strings, quoted names and comments. */
export function scanExpression(source: string, limits: { maxNesting: number; maxOperators: number }): { tooDeepAt?: number; tooManyOperatorsAt?: number } {
  let depth = 0;
  let operators = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i] as string;
    if (c === '"' || c === "'" || c === '`') {
      // Strings and `quoted names` end at the same quote; a backslash escapes inside strings.
      for (i++; i < source.length && source[i] !== c; i++) if (source[i] === '\\' && c !== '`') i++;
    } else if (c === '/' && source[i + 1] === '*') {
      const end = source.indexOf('*/', i + 2);
      i = end < 0 ? source.length : end + 1;
    } else if (c === '(' || c === '[' || c === '{') {
      if (++depth > limits.maxNesting) return { tooDeepAt: i };
    } else if (c === ')' || c === ']' || c === '}') {
      depth = Math.max(0, depth - 1);
    } else if (isOperator(source, i) && ++operators > limits.maxOperators) {
      return { tooManyOperatorsAt: i };
    }
  }
  return {};
}

/** Offset of the first bracket opened beyond `limit` levels, outside strings, names and comments. */
export function nestingBeyond(source: string, limit: number): number | undefined {
  return scanExpression(source, { maxNesting: limit, maxOperators: Number.POSITIVE_INFINITY }).tooDeepAt;
}

function isOperator(source: string, i: number): boolean {
  const c = source[i] as string;
  // A decimal point is not the path operator.
  if (c === '.') return !(/[0-9]/.test(source[i - 1] ?? '') && /[0-9]/.test(source[i + 1] ?? ''));
  if ('+-*/%&=<>?:!~^|'.includes(c)) return true;
  // `and`, `or`, `in` as words.
  if ((c === 'a' || c === 'o' || c === 'i') && !/[A-Za-z0-9_$]/.test(source[i - 1] ?? '')) {
    const word = /^(and|or|in)(?![A-Za-z0-9_])/.exec(source.slice(i, i + 4))?.[1];
    return word !== undefined;
  }
  return false;
}

/**
 * JSONata's binary operators on already evaluated operands, with the interpreter's type errors:
 * T2001/T2002 (arithmetic on a non-number), T2009/T2010 (comparison), T2003/T2004/D2014 (range).
 */
import { toJsonataString } from './builtins.js';
import { isDeepEqual, isNumeric, jsonataError, type Sequence } from './runtime.js';

export type BinaryOperator = (lhs: unknown, rhs: unknown) => unknown;

function arithmetic(apply: (a: number, b: number) => number): BinaryOperator {
  return (lhs, rhs) => {
    if (lhs !== undefined && !isNumeric(lhs)) throw jsonataError('T2001', { value: lhs });
    if (rhs !== undefined && !isNumeric(rhs)) throw jsonataError('T2002', { value: rhs });
    if (lhs === undefined || rhs === undefined) return undefined;
    return apply(lhs, rhs);
  };
}

function comparison(apply: (a: string | number, b: string | number) => boolean): BinaryOperator {
  return (lhs, rhs) => {
    const ltype = typeof lhs;
    const rtype = typeof rhs;
    const lcomparable = ltype === 'undefined' || ltype === 'string' || ltype === 'number';
    const rcomparable = rtype === 'undefined' || rtype === 'string' || rtype === 'number';
    if (!lcomparable || !rcomparable) throw jsonataError('T2010', { value: !(ltype === 'string' || ltype === 'number') ? lhs : rhs });
    if (ltype === 'undefined' || rtype === 'undefined') return undefined;
    if (ltype !== rtype) throw jsonataError('T2009', { value: lhs, value2: rhs });
    return apply(lhs as string | number, rhs as string | number);
  };
}

function concat(lhs: unknown, rhs: unknown): string {
  const l = lhs === undefined ? '' : (toJsonataString(lhs) as string);
  const r = rhs === undefined ? '' : (toJsonataString(rhs) as string);
  return l.concat(r);
}

function range(lhs: unknown, rhs: unknown): unknown {
  if (lhs !== undefined && !Number.isInteger(lhs)) throw jsonataError('T2003', { value: lhs });
  if (rhs !== undefined && !Number.isInteger(rhs)) throw jsonataError('T2004', { value: rhs });
  if (lhs === undefined || rhs === undefined) return undefined;
  const from = lhs as number;
  const to = rhs as number;
  if (from > to) return undefined;
  const size = to - from + 1;
  // The interpreter's own limit on a range's size.
  if (size > 1e7) throw jsonataError('D2014', { value: size });
  const result: Sequence = new Array<unknown>(size);
  for (let item = from, index = 0; item <= to; item++, index++) result[index] = item;
  result.sequence = true;
  return result;
}

function includes(lhs: unknown, rhs: unknown): boolean {
  if (lhs === undefined || rhs === undefined) return false;
  const list = Array.isArray(rhs) ? rhs : [rhs];
  for (const item of list) if (item === lhs) return true;
  return false;
}

export const BINARY_OPERATORS: Readonly<Record<string, BinaryOperator>> = {
  '+': arithmetic((a, b) => a + b),
  '-': arithmetic((a, b) => a - b),
  '*': arithmetic((a, b) => a * b),
  '/': arithmetic((a, b) => a / b),
  '%': arithmetic((a, b) => a % b),
  '=': (lhs, rhs) => (lhs === undefined || rhs === undefined ? false : isDeepEqual(lhs, rhs)),
  '!=': (lhs, rhs) => (lhs === undefined || rhs === undefined ? false : !isDeepEqual(lhs, rhs)),
  '<': comparison((a, b) => a < b),
  '<=': comparison((a, b) => a <= b),
  '>': comparison((a, b) => a > b),
  '>=': comparison((a, b) => a >= b),
  '&': concat,
  '..': range,
  in: includes,
};

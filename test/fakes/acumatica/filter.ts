/**
 * The `$filter` subset of the contract-based API (OData v3 URI conventions, as Acumatica documents
 * them): `eq ne gt ge lt le`, `and or not`, parentheses, `substringof startswith endswith`, string
 * literals with `''` escapes, numbers, `true false null`, `datetimeoffset'…'`, `datetime'…'`,
 * `guid'…'`, and fields of linked entities (`MainContact/Email`). String comparisons are
 * case-insensitive because Acumatica's database collation is; filtering on detail collections is
 * refused (Acumatica documents its result as unpredictable).
 */
import { toUnits } from './decimal.js';
import { parseDateTime, type PlainValue, type ValueType } from './openapi.js';

export type Literal =
  | { kind: 'string'; value: string }
  | { kind: 'number'; text: string }
  | { kind: 'boolean'; value: boolean }
  | { kind: 'null' }
  | { kind: 'datetime'; ms: number; text: string }
  | { kind: 'guid'; value: string };

export type Operand = { kind: 'field'; path: string[] } | { kind: 'literal'; literal: Literal } | FunctionCall;
export interface FunctionCall {
  kind: 'call';
  name: 'substringof' | 'startswith' | 'endswith';
  args: Operand[];
}
export type ComparisonOperator = 'eq' | 'ne' | 'gt' | 'ge' | 'lt' | 'le';
export type FilterExpression =
  | { kind: 'and' | 'or'; left: FilterExpression; right: FilterExpression }
  | { kind: 'not'; operand: FilterExpression }
  | { kind: 'compare'; operator: ComparisonOperator; left: Operand; right: Operand }
  | FunctionCall;

export class FilterError extends Error {}

type Token = { type: 'word' | 'string' | 'number' | 'typed' | 'punct'; text: string; position: number; prefix?: string };

const COMPARISONS = new Set(['eq', 'ne', 'gt', 'ge', 'lt', 'le']);
const FUNCTIONS = new Set(['substringof', 'startswith', 'endswith']);

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const syntaxError = (at: number): never => {
    throw new FilterError(`Syntax error at position ${at} in '${text}'.`);
  };
  const quoted = (start: number): { value: string; end: number } => {
    let value = '';
    let j = start + 1;
    for (;;) {
      if (j >= text.length) syntaxError(start);
      if (text[j] === "'") {
        if (text[j + 1] === "'") {
          value += "'";
          j += 2;
          continue;
        }
        return { value, end: j + 1 };
      }
      value += text[j];
      j++;
    }
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      tokens.push({ type: 'punct', text: c, position: i });
      i++;
    } else if (c === "'") {
      const { value, end } = quoted(i);
      tokens.push({ type: 'string', text: value, position: i });
      i = end;
    } else if (/[-\d]/.test(c)) {
      const match = /^-?\d+(\.\d+)?([eE][-+]?\d+)?[mMdDfFlL]?/.exec(text.slice(i));
      if (!match) syntaxError(i);
      tokens.push({ type: 'number', text: match![0].replace(/[mMdDfFlL]$/, ''), position: i });
      i += match![0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_.]*(\/[A-Za-z_][A-Za-z0-9_]*)*/.exec(text.slice(i))!;
      const word = match[0];
      if (text[i + word.length] === "'" && ['datetimeoffset', 'datetime', 'guid'].includes(word)) {
        const { value, end } = quoted(i + word.length);
        tokens.push({ type: 'typed', prefix: word, text: value, position: i });
        i = end;
      } else {
        tokens.push({ type: 'word', text: word, position: i });
        i += word.length;
      }
    } else {
      syntaxError(i);
    }
  }
  return tokens;
}

/** Parses a `$filter` value; throws FilterError with an OData-style message. */
export function parseFilter(text: string): FilterExpression {
  const tokens = tokenize(text);
  let index = 0;
  const peek = (): Token | undefined => tokens[index];
  const fail = (token: Token | undefined): never => {
    throw new FilterError(`Syntax error at position ${token ? token.position : text.length} in '${text}'.`);
  };
  const expect = (punct: string): void => {
    const token = tokens[index];
    if (token?.type !== 'punct' || token.text !== punct) fail(token);
    index++;
  };

  function parseOr(): FilterExpression {
    let left = parseAnd();
    while (peek()?.type === 'word' && peek()!.text.toLowerCase() === 'or') {
      index++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  }
  function parseAnd(): FilterExpression {
    let left = parseNot();
    while (peek()?.type === 'word' && peek()!.text.toLowerCase() === 'and') {
      index++;
      left = { kind: 'and', left, right: parseNot() };
    }
    return left;
  }
  function parseNot(): FilterExpression {
    if (peek()?.type === 'word' && peek()!.text.toLowerCase() === 'not') {
      index++;
      return { kind: 'not', operand: parseNot() };
    }
    return parseComparison();
  }
  function parseComparison(): FilterExpression {
    const token = peek();
    if (token?.type === 'punct' && token.text === '(') {
      index++;
      const inner = parseOr();
      expect(')');
      return inner;
    }
    const left = parseOperand();
    const next = peek();
    if (next?.type === 'word' && COMPARISONS.has(next.text.toLowerCase())) {
      index++;
      return { kind: 'compare', operator: next.text.toLowerCase() as ComparisonOperator, left, right: parseOperand() };
    }
    if (left.kind === 'call') return left;
    return fail(next);
  }
  function parseOperand(): Operand {
    const token = tokens[index];
    if (!token) return fail(token);
    index++;
    switch (token.type) {
      case 'string':
        return { kind: 'literal', literal: { kind: 'string', value: token.text } };
      case 'number':
        return { kind: 'literal', literal: { kind: 'number', text: token.text } };
      case 'typed': {
        if (token.prefix === 'guid') return { kind: 'literal', literal: { kind: 'guid', value: token.text.toLowerCase() } };
        const ms = parseDateTime(token.text);
        if (ms === undefined)
          throw new FilterError(`Unrecognized '${token.prefix}' literal '${token.prefix}'${token.text}'' at '${token.position}' in '${text}'.`);
        return { kind: 'literal', literal: { kind: 'datetime', ms, text: token.text } };
      }
      case 'word': {
        const lower = token.text.toLowerCase();
        if (lower === 'true' || lower === 'false') return { kind: 'literal', literal: { kind: 'boolean', value: lower === 'true' } };
        if (lower === 'null') return { kind: 'literal', literal: { kind: 'null' } };
        if (peek()?.type === 'punct' && peek()!.text === '(') {
          if (!FUNCTIONS.has(lower)) throw new FilterError(`Unknown function '${token.text}' at position ${token.position} in '${text}'.`);
          index++;
          const args: Operand[] = [parseOperand()];
          while (peek()?.type === 'punct' && peek()!.text === ',') {
            index++;
            args.push(parseOperand());
          }
          expect(')');
          if (args.length !== 2) throw new FilterError(`No function signature for the function with name '${lower}' matches the specified arguments.`);
          return { kind: 'call', name: lower as FunctionCall['name'], args };
        }
        if (token.text.includes('.')) fail(token);
        return { kind: 'field', path: token.text.split('/') };
      }
      default:
        return fail(token);
    }
  }

  if (tokens.length === 0) throw new FilterError(`Syntax error: the filter '${text}' is empty.`);
  const expression = parseOr();
  if (index < tokens.length) fail(tokens[index]);
  return expression;
}

/** What the evaluator needs to know about a field path; a string is the reason the path is refused. */
export type FieldResolver = (path: string[]) => { type: ValueType; read: (record: unknown) => PlainValue } | string;

/** Checks every field of the expression once, before any record is read. */
export function checkFields(expression: FilterExpression | Operand, resolve: FieldResolver): void {
  switch (expression.kind) {
    case 'and':
    case 'or':
      checkFields(expression.left, resolve);
      checkFields(expression.right, resolve);
      return;
    case 'not':
      checkFields(expression.operand, resolve);
      return;
    case 'compare':
      checkFields(expression.left, resolve);
      checkFields(expression.right, resolve);
      return;
    case 'call':
      for (const arg of expression.args) checkFields(arg, resolve);
      return;
    case 'field': {
      const resolved = resolve(expression.path);
      if (typeof resolved === 'string') throw new FilterError(resolved);
      return;
    }
    case 'literal':
      return;
  }
}

type Typed = { type: ValueType | 'literal'; value: PlainValue; literal?: Literal };

export function matches(expression: FilterExpression, record: unknown, resolve: FieldResolver): boolean {
  switch (expression.kind) {
    case 'and':
      return matches(expression.left, record, resolve) && matches(expression.right, record, resolve);
    case 'or':
      return matches(expression.left, record, resolve) || matches(expression.right, record, resolve);
    case 'not':
      return !matches(expression.operand, record, resolve);
    case 'call':
      return callFunction(expression, record, resolve);
    case 'compare':
      return compare(expression.operator, operandValue(expression.left, record, resolve), operandValue(expression.right, record, resolve));
  }
}

function operandValue(operand: Operand, record: unknown, resolve: FieldResolver): Typed {
  if (operand.kind === 'literal') return { type: 'literal', value: null, literal: operand.literal };
  if (operand.kind === 'call') return { type: 'BooleanValue', value: callFunction(operand, record, resolve) };
  const resolved = resolve(operand.path) as Exclude<ReturnType<FieldResolver>, string>;
  return { type: resolved.type, value: resolved.read(record) };
}

function text(value: Typed): string | undefined {
  if (value.literal) return value.literal.kind === 'string' ? value.literal.value : undefined;
  return typeof value.value === 'string' ? value.value : undefined;
}

function callFunction(call: FunctionCall, record: unknown, resolve: FieldResolver): boolean {
  const [a, b] = call.args.map((arg) => text(operandValue(arg, record, resolve)));
  if (a === undefined || b === undefined) return false;
  const [x, y] = [a.toUpperCase(), b.toUpperCase()];
  if (call.name === 'substringof') return y.includes(x);
  if (call.name === 'startswith') return x.startsWith(y);
  return x.endsWith(y);
}

/** The comparable form of one side, or a FilterError when a literal does not fit the field's type. */
function comparable(side: Typed, fieldType: ValueType | undefined): string | number | bigint | boolean | null {
  if (!side.literal) {
    const value = side.value;
    if (value === null || value === undefined) return null;
    if (side.type === 'DateTimeValue') return parseDateTime(value as string)!;
    if (side.type === 'StringValue') return (value as string).toUpperCase();
    return value as number | bigint | boolean | string;
  }
  const literal = side.literal;
  if (literal.kind === 'null') return null;
  switch (fieldType) {
    case 'DateTimeValue':
      if (literal.kind !== 'datetime')
        throw new FilterError(`A binary operator with incompatible types was detected. Found operand types 'Edm.DateTimeOffset' and '${edmType(literal)}'.`);
      return literal.ms;
    case 'DecimalValue':
    case 'DoubleValue': {
      if (literal.kind !== 'number')
        throw new FilterError(`A binary operator with incompatible types was detected. Found operand types 'Edm.Decimal' and '${edmType(literal)}'.`);
      const parsed = toUnits(Number(literal.text));
      if (!parsed) throw new FilterError(`The literal '${literal.text}' is not a valid decimal.`);
      return parsed.units;
    }
    case 'IntValue':
    case 'ShortValue':
    case 'LongValue':
    case 'ByteValue':
      if (literal.kind !== 'number' || !/^-?\d+$/.test(literal.text))
        throw new FilterError(`A binary operator with incompatible types was detected. Found operand types 'Edm.Int32' and '${edmType(literal)}'.`);
      return Number(literal.text);
    case 'BooleanValue':
      if (literal.kind !== 'boolean')
        throw new FilterError(`A binary operator with incompatible types was detected. Found operand types 'Edm.Boolean' and '${edmType(literal)}'.`);
      return literal.value;
    case 'GuidValue':
      if (literal.kind !== 'guid' && literal.kind !== 'string')
        throw new FilterError(`A binary operator with incompatible types was detected. Found operand types 'Edm.Guid' and '${edmType(literal)}'.`);
      return literal.value.toLowerCase();
    default:
      if (literal.kind !== 'string')
        throw new FilterError(`A binary operator with incompatible types was detected. Found operand types 'Edm.String' and '${edmType(literal)}'.`);
      return literal.value.toUpperCase();
  }
}

function edmType(literal: Literal): string {
  return { string: 'Edm.String', number: 'Edm.Decimal', boolean: 'Edm.Boolean', null: 'null', datetime: 'Edm.DateTimeOffset', guid: 'Edm.Guid' }[literal.kind];
}

function compare(operator: ComparisonOperator, left: Typed, right: Typed): boolean {
  const fieldType = left.type !== 'literal' ? left.type : right.type !== 'literal' ? right.type : undefined;
  if (!fieldType) throw new FilterError('A comparison needs a field on at least one side.');
  const a = comparable(left, fieldType);
  const b = comparable(right, fieldType);
  const nullLiteral = left.literal?.kind === 'null' || right.literal?.kind === 'null';
  if (nullLiteral) {
    // `eq null` / `ne null` are IS NULL / IS NOT NULL.
    if (operator === 'eq') return a === b;
    if (operator === 'ne') return a !== b;
    return false;
  }
  // SQL semantics: a comparison with an empty field is unknown, so the record does not match.
  if (a === null || b === null) return false;
  const order = a < b ? -1 : a > b ? 1 : 0;
  switch (operator) {
    case 'eq':
      return order === 0;
    case 'ne':
      return order !== 0;
    case 'gt':
      return order > 0;
    case 'ge':
      return order >= 0;
    case 'lt':
      return order < 0;
    case 'le':
      return order <= 0;
  }
}

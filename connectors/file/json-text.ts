/**
 * A JSON parser (RFC 8259) that keeps what JSON.parse throws away: the text of every number, so an
 * amount is never read through a float, and the offset where each array element starts, so a record
 * can be named by the line it is on, and the fields an object names twice (a reader refuses to read
 * such a field rather than take the last one; a repeated field nobody reads is left alone).
 */

/** A JSON number as the file writes it (`12345678901234567.89`, `0.0000001`). */
export class JsonNumber {
  constructor(readonly text: string) {}
}

/** Invalid JSON, at `offset` (a UTF-16 index into the text given to the parser). */
export class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ParsedJson {
  /** Objects have no prototype (a `__proto__` field is data); numbers are `JsonNumber`s. */
  value: unknown;
  /** Where each element of an array of `value` starts. */
  elementOffsets(array: readonly unknown[]): readonly number[] | undefined;
  /** The fields an object of `value` names more than once: where the first and the second name start. */
  repeatedFields(object: object): ReadonlyMap<string, readonly [number, number]> | undefined;
}

/** Nesting deeper than this is refused rather than risk the stack; no export comes near it. */
export const MAX_JSON_DEPTH = 256;

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't']);
const WORDS = [
  ['true', true],
  ['false', false],
  ['null', null],
] as const;

/** Parses `text` from `from` to `to`: exactly one JSON value, with only whitespace around it. */
export function parseJson(text: string, from = 0, to = text.length): ParsedJson {
  const offsets = new WeakMap<readonly unknown[], number[]>();
  const repeated = new WeakMap<object, Map<string, readonly [number, number]>>();
  let at = from;

  /** The UTF-16 unit at `at`, or -1 past the end of what is parsed. */
  const peek = () => (at < to ? text.charCodeAt(at) : -1);
  const describe = (offset: number): string => {
    if (offset >= to) return to === text.length ? 'the end of the file' : 'the end of the line';
    const c = text.codePointAt(offset)!;
    return c < 0x20 ? `a control character (U+${c.toString(16).toUpperCase().padStart(4, '0')})` : `'${String.fromCodePoint(c)}'`;
  };
  const fail = (expected: string, offset = at): never => {
    throw new JsonSyntaxError(offset, `expected ${expected}, found ${describe(offset)}`);
  };
  const skipWhitespace = () => {
    for (;;) {
      const c = peek();
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      at++;
    }
  };

  const readString = (): string => {
    const start = at++;
    let escapes = false;
    while (at < to) {
      const c = text.charCodeAt(at);
      if (c === 0x22) {
        at++;
        // Every escape was checked below, so JSON.parse decodes the slice and cannot fail.
        return escapes ? (JSON.parse(text.slice(start, at)) as string) : text.slice(start + 1, at - 1);
      }
      if (c < 0x20) fail('a closing double quote (a line break inside a string must be written \\n)');
      if (c === 0x5c) {
        escapes = true;
        const escaped = at + 1 < to ? text[at + 1]! : '';
        if (escaped === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, Math.min(at + 6, to)))) fail('four hex digits after \\u', at + 2);
          at += 6;
        } else if (ESCAPES.has(escaped)) at += 2;
        else fail('an escape (\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX) after the backslash', at + 1);
      } else at++;
    }
    return fail('a closing double quote');
  };

  const readNumber = (): JsonNumber => {
    NUMBER.lastIndex = at;
    const match = NUMBER.exec(text);
    if (!match || NUMBER.lastIndex > to) return fail('a value');
    at = NUMBER.lastIndex;
    return new JsonNumber(match[0]);
  };

  const readObject = (depth: number): Record<string, unknown> => {
    const object = Object.create(null) as Record<string, unknown>;
    const keyOffsets = new Map<string, number>();
    at++;
    skipWhitespace();
    if (peek() === 0x7d) {
      at++;
      return object;
    }
    for (;;) {
      skipWhitespace();
      if (peek() !== 0x22) fail('a field name in double quotes');
      const keyOffset = at;
      const key = readString();
      const first = keyOffsets.get(key);
      if (first === undefined) keyOffsets.set(key, keyOffset);
      else {
        let fields = repeated.get(object);
        if (!fields) repeated.set(object, (fields = new Map()));
        if (!fields.has(key)) fields.set(key, [first, keyOffset]);
      }
      skipWhitespace();
      if (peek() !== 0x3a) fail(`':' after the field name ${JSON.stringify(key)}`);
      at++;
      object[key] = readValue(depth + 1);
      skipWhitespace();
      const next = peek();
      at++;
      if (next === 0x7d) return object;
      if (next !== 0x2c) fail("',' or '}' after a field's value", at - 1);
    }
  };

  const readArray = (depth: number): unknown[] => {
    const array: unknown[] = [];
    const starts: number[] = [];
    offsets.set(array, starts);
    at++;
    skipWhitespace();
    if (peek() === 0x5d) {
      at++;
      return array;
    }
    for (;;) {
      skipWhitespace();
      starts.push(at);
      array.push(readValue(depth + 1));
      skipWhitespace();
      const next = peek();
      at++;
      if (next === 0x5d) return array;
      if (next !== 0x2c) fail("',' or ']' after an element", at - 1);
    }
  };

  const readValue = (depth: number): unknown => {
    if (depth >= MAX_JSON_DEPTH) throw new JsonSyntaxError(at, `nests deeper than ${MAX_JSON_DEPTH} levels`);
    skipWhitespace();
    const c = peek();
    if (c === 0x7b) return readObject(depth);
    if (c === 0x5b) return readArray(depth);
    if (c === 0x22) return readString();
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return readNumber();
    for (const [word, value] of WORDS) {
      if (text.startsWith(word, at) && at + word.length <= to) {
        at += word.length;
        return value;
      }
    }
    return fail('a value');
  };

  const value = readValue(0);
  skipWhitespace();
  if (at < to) fail('nothing after the value');
  return { value, elementOffsets: (array) => offsets.get(array), repeatedFields: (object) => repeated.get(object) };
}

/**
 * Regular expressions in compiled expressions, as the interpreter makes them: a regex literal
 * evaluates to a matcher function `(str, fromIndex) → {match, start, end, groups, next}`, and
 * `$contains`, `$split`, `$replace` and `$match` walk its matches. jsonata implements those four
 * as async functions (a matcher may be a user function); these are their synchronous versions
 * for compiled matchers, with the same errors (D1004, D3010, D3011, D3012, D3020, D3040, T1010).
 */
import { createSequence, isFunction, jsonataError, NeedsInterpreter } from './runtime.js';

interface Match {
  match: string;
  start: number;
  end: number;
  groups: string[];
  next: () => Match | undefined;
}

type Matcher = (str: string, fromIndex?: number) => Match | undefined;

/** Matchers made by compiled regex literals: the only functions the synchronous versions accept. */
const compiledMatchers = new WeakSet<object>();

export const isCompiledMatcher = (value: unknown): boolean => typeof value === 'function' && compiledMatchers.has(value);

/** A fresh matcher per evaluation of the literal (its RegExp carries lastIndex), as in the interpreter. */
export function regexMatcher(literal: RegExp, position: number | undefined): Matcher {
  const re = new RegExp(literal);
  const matcher: Matcher = (str, fromIndex) => {
    re.lastIndex = fromIndex || 0;
    const found = re.exec(str);
    if (found === null) return undefined;
    const result: Match = {
      match: found[0],
      start: found.index,
      end: found.index + found[0].length,
      groups: found.slice(1) as string[],
      next: () => {
        if (re.lastIndex >= str.length) return undefined;
        const next = matcher(str, re.lastIndex);
        if (next && next.match === '') throw jsonataError('D1004', { position, value: literal.source });
        return next;
      },
    };
    return result;
  };
  compiledMatchers.add(matcher);
  return matcher;
}

function matcherOf(pattern: unknown, name: string): Matcher {
  if (!isCompiledMatcher(pattern)) throw new NeedsInterpreter(`${name} with a function as the pattern`);
  return pattern as Matcher;
}

/** jsonata's evaluateMatcher: call, then check the shape of what came back. */
function run(call: () => Match | undefined): Match | undefined {
  const result = call();
  if (result && !(typeof result.start === 'number' || Array.isArray(result.groups) || isFunction(result.next))) throw jsonataError('T1010');
  return result;
}

export function containsSync(str: unknown, token: unknown): unknown {
  if (str === undefined || token === undefined) return undefined;
  if (typeof token === 'string') return (str as string).indexOf(token) !== -1;
  return run(() => matcherOf(token, '$contains')(str as string)) !== undefined;
}

export function splitSync(str: unknown, separator: unknown, limit: unknown): unknown {
  if (str === undefined) return undefined;
  if ((limit as number) < 0) throw jsonataError('D3020', { value: limit, index: 3 });
  const text = str as string;
  const max = limit as number | undefined;
  if (max !== undefined && !(max > 0)) return [];
  if (typeof separator === 'string') return text.split(separator, max);
  const result: string[] = [];
  let count = 0;
  const matcher = matcherOf(separator, '$split');
  let matches = run(() => matcher(text));
  if (matches === undefined) return [text];
  let start = 0;
  while (matches !== undefined && (max === undefined || count < max)) {
    result.push(text.substring(start, matches.start));
    start = matches.end;
    matches = run(matches.next);
    count++;
  }
  if (max === undefined || count < max) result.push(text.substring(start));
  return result;
}

/** `$n` in a replacement string: the n-th group (as many digits as the group count needs), `$$` a dollar. */
function substitute(replacement: string, found: Match): string {
  let out = '';
  let position = 0;
  let index = replacement.indexOf('$', position);
  while (index !== -1 && position < replacement.length) {
    out += replacement.substring(position, index);
    position = index + 1;
    const dollar = replacement.charAt(position);
    if (dollar === '$') {
      out += '$';
      position++;
    } else if (dollar === '0') {
      out += found.match;
      position++;
    } else {
      const maxDigits = found.groups.length === 0 ? 1 : Math.floor(Math.log(found.groups.length) * Math.LOG10E) + 1;
      let group = Number.parseInt(replacement.substring(position, position + maxDigits), 10);
      if (maxDigits > 1 && group > found.groups.length) group = Number.parseInt(replacement.substring(position, position + maxDigits - 1), 10);
      if (Number.isNaN(group)) {
        out += '$';
      } else {
        if (found.groups.length > 0) {
          const sub = found.groups[group - 1];
          if (sub !== undefined) out += sub;
        }
        position += group.toString().length;
      }
    }
    index = replacement.indexOf('$', position);
  }
  return out + replacement.substring(position);
}

export function replaceSync(str: unknown, pattern: unknown, replacement: unknown, limit: unknown): unknown {
  if (str === undefined) return undefined;
  if (pattern === '') throw jsonataError('D3010', { value: pattern, index: 2 });
  if ((limit as number) < 0) throw jsonataError('D3011', { value: limit, index: 4 });
  const text = str as string;
  const max = limit as number | undefined;
  if (max !== undefined && !(max > 0)) return text;
  if (typeof replacement !== 'string') throw new NeedsInterpreter('$replace with a function as the replacement');
  let result = '';
  let position = 0;
  let count = 0;
  if (typeof pattern === 'string') {
    let index = text.indexOf(pattern, position);
    while (index !== -1 && (max === undefined || count < max)) {
      result += text.substring(position, index) + replacement;
      position = index + pattern.length;
      count++;
      index = text.indexOf(pattern, position);
    }
    return result + text.substring(position);
  }
  const matcher = matcherOf(pattern, '$replace');
  let matches = run(() => matcher(text));
  if (matches === undefined) return text;
  while (matches !== undefined && (max === undefined || count < max)) {
    result += text.substring(position, matches.start) + substitute(replacement, matches);
    position = matches.start + matches.match.length;
    count++;
    matches = run(matches.next);
  }
  return result + text.substring(position);
}

export function matchSync(str: unknown, regex: unknown, limit: unknown): unknown {
  if (str === undefined) return undefined;
  if ((limit as number) < 0) throw jsonataError('D3040', { value: limit, index: 3 });
  const result = createSequence();
  const max = limit as number | undefined;
  if (max !== undefined && !(max > 0)) return result;
  let count = 0;
  const matcher = matcherOf(regex, '$match');
  let matches = run(() => matcher(str as string));
  while (matches !== undefined && (max === undefined || count < max)) {
    result.push({ match: matches.match, index: matches.start, groups: matches.groups });
    matches = run(matches.next);
    count++;
  }
  return result;
}

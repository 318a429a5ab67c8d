/**
 * Maps each character of a YAML string scalar's value back to its offset in the file, so a
 * position inside the value (a JSONata syntax error, a `${VAR}`) is reported at the right
 * line and column whatever the scalar style: plain, quoted (escapes, folding) or block (`|`, `>`).
 *
 * Hand-written because no library gives this: the `yaml` package reports where a scalar starts
 * and ends, not where each character of its folded or unescaped value came from.
 */
import type { Scalar } from 'yaml';

/**
 * Offsets in `text` of every UTF-16 unit of `scalar.value`, plus one for the end of the value
 * (so an error "at the end of the expression" has a place). Falls back to the scalar's start
 * when the reconstruction does not reproduce the parsed value exactly.
 */
export function scalarValueOffsets(text: string, scalar: Scalar): number[] {
  const value = typeof scalar.value === 'string' ? scalar.value : String(scalar.value);
  const range = scalar.range;
  if (!range) return new Array<number>(value.length + 1).fill(0);
  const [start, valueEnd] = range;
  const rebuilt = rebuild(text, start, valueEnd, scalar.type);
  if (rebuilt?.value.startsWith(value) && /^\s*$/.test(rebuilt.value.slice(value.length))) {
    const offsets = rebuilt.offsets.slice(0, value.length);
    offsets.push(rebuilt.offsets[value.length] ?? valueEnd);
    return offsets;
  }
  return new Array<number>(value.length + 1).fill(start);
}

interface Rebuilt {
  value: string;
  offsets: number[];
}

function rebuild(text: string, start: number, end: number, type: Scalar['type']): Rebuilt | undefined {
  switch (type) {
    case 'PLAIN':
      return foldFlow(text, start, end, 'plain');
    case 'QUOTE_SINGLE':
      return foldFlow(text, start + 1, end - 1, 'single');
    case 'QUOTE_DOUBLE':
      return foldFlow(text, start + 1, end - 1, 'double');
    case 'BLOCK_LITERAL':
      return block(text, start, end, false);
    case 'BLOCK_FOLDED':
      return block(text, start, end, true);
    default:
      return undefined;
  }
}

const simpleEscapes: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
};
const hexEscapeLength: Record<string, number> = { x: 2, u: 4, U: 8 };

/** Flow scalars: line breaks fold to a space (n breaks to n-1 newlines), edge whitespace of inner lines is dropped. */
function foldFlow(text: string, start: number, end: number, kind: 'plain' | 'single' | 'double'): Rebuilt | undefined {
  let value = '';
  const offsets: number[] = [];
  const emit = (chars: string, offset: number) => {
    value += chars;
    for (let k = 0; k < chars.length; k++) offsets.push(offset);
  };
  let pendingSpace: Array<[string, number]> = [];
  const flushSpace = () => {
    for (const [c, o] of pendingSpace) emit(c, o);
    pendingSpace = [];
  };
  let i = start;
  while (i < end) {
    const c = text[i] as string;
    if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
      pendingSpace = [];
      const breakAt = i;
      let breaks = 0;
      while (i < end && /[ \t\r\n]/.test(text[i] as string)) {
        if (text[i] === '\n') breaks++;
        i++;
      }
      emit(breaks === 1 ? ' ' : '\n'.repeat(breaks - 1), breakAt);
      continue;
    }
    if (c === ' ' || c === '\t') {
      pendingSpace.push([c, i]);
      i++;
      continue;
    }
    flushSpace();
    if (kind === 'single' && c === "'" && text[i + 1] === "'") {
      emit("'", i);
      i += 2;
      continue;
    }
    if (kind === 'double' && c === '\\') {
      const next = text[i + 1] ?? '';
      if (next === '\n' || next === '\r') {
        i += next === '\r' && text[i + 2] === '\n' ? 3 : 2;
        while (i < end && (text[i] === ' ' || text[i] === '\t')) i++;
        continue;
      }
      const hexLength = hexEscapeLength[next];
      if (hexLength !== undefined) {
        const code = Number.parseInt(text.slice(i + 2, i + 2 + hexLength), 16);
        if (Number.isNaN(code)) return undefined;
        emit(String.fromCodePoint(code), i);
        i += 2 + hexLength;
        continue;
      }
      const escaped = simpleEscapes[next];
      if (escaped === undefined) return undefined;
      emit(escaped, i);
      i += 2;
      continue;
    }
    emit(c, i);
    i++;
  }
  flushSpace();
  offsets.push(end);
  return { value, offsets };
}

/** Block scalars: indentation stripped; `>` folds single breaks between normal lines into spaces. */
function block(text: string, start: number, end: number, folded: boolean): Rebuilt | undefined {
  const headerEnd = text.indexOf('\n', start);
  if (headerEnd < 0 || headerEnd >= end) return { value: '', offsets: [end] };
  const header = text.slice(start, headerEnd);
  // An explicit indentation indicator is relative to the parent's indentation, which we do not know here.
  if (/^[|>][-+]?[1-9]/.test(header)) return undefined;
  const lines: Array<{ start: number; end: number }> = [];
  let lineStart = headerEnd + 1;
  while (lineStart < end) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd < 0 || lineEnd > end) lineEnd = end;
    const contentEnd = text[lineEnd - 1] === '\r' ? lineEnd - 1 : lineEnd;
    lines.push({ start: lineStart, end: contentEnd });
    lineStart = lineEnd + 1;
  }
  const firstContent = lines.find((l) => text.slice(l.start, l.end).trim() !== '');
  if (!firstContent) return { value: '', offsets: [end] };
  const indent = /^ */.exec(text.slice(firstContent.start, firstContent.end))?.[0].length ?? 0;

  let value = '';
  const offsets: number[] = [];
  const emit = (chars: string, offset: number) => {
    value += chars;
    for (let k = 0; k < chars.length; k++) offsets.push(offset);
  };
  let emptyRun = 0;
  let previous: { kind: 'normal' | 'more'; end: number } | undefined;
  for (const line of lines) {
    const raw = text.slice(line.start, line.end);
    if (raw.trim() === '') {
      emptyRun++;
      continue;
    }
    const contentStart = line.start + indent;
    const kind = /^[ \t]/.test(text.slice(contentStart, line.end)) ? 'more' : 'normal';
    if (previous) {
      const breakAt = previous.end;
      if (!folded) emit('\n'.repeat(emptyRun + 1), breakAt);
      else if (previous.kind === 'normal' && kind === 'normal') emit(emptyRun === 0 ? ' ' : '\n'.repeat(emptyRun), breakAt);
      else emit('\n'.repeat(emptyRun + 1), breakAt);
    } else if (emptyRun > 0) {
      emit('\n'.repeat(emptyRun), line.start);
    }
    for (let o = contentStart; o < line.end; o++) emit(text[o] as string, o);
    emptyRun = 0;
    previous = { kind, end: line.end };
  }
  // Trailing newlines depend on chomping; the caller only needs the value as a prefix.
  emit('\n'.repeat(emptyRun + 1), previous ? previous.end : end);
  offsets.push(end);
  return { value, offsets };
}

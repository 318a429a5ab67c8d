/** Character positions inside YAML string values, for every scalar style, mapped back to the file. */
import { describe, expect, it } from 'vitest';
import { isMap, isScalar, parseDocument, type Scalar } from 'yaml';
import { interpolate } from '../../../engine/config/interpolate.js';
import { scalarValueOffsets } from '../../../engine/config/scalar-offsets.js';
import { parseYamlTree } from '../../../engine/config/yaml-tree.js';

function scalarOf(text: string): Scalar {
  const doc = parseDocument(text);
  if (!isMap(doc.contents)) throw new Error('expected a mapping');
  const value = doc.contents.items[0]?.value;
  if (!isScalar(value)) throw new Error('expected a scalar');
  return value;
}

/** For each character of the value that is not produced by folding or escapes, the file has it at the mapped offset. */
function expectFaithful(text: string, skip: (char: string) => boolean = () => false): { value: string; offsets: number[] } {
  const scalar = scalarOf(text);
  const value = String(scalar.value);
  const offsets = scalarValueOffsets(text, scalar);
  expect(offsets).toHaveLength(value.length + 1);
  for (let i = 0; i < value.length; i++) {
    const char = value[i] as string;
    if (skip(char)) continue;
    expect(text[offsets[i] as number], `character ${i} (${JSON.stringify(char)})`).toBe(char);
  }
  return { value, offsets };
}

describe('scalarValueOffsets', () => {
  it('plain, one line and folded over several', () => {
    expectFaithful('k: a + b\n');
    const { value, offsets } = expectFaithful('k: first line\n  second  line\n\n  third\n', (c) => c === ' ' || c === '\n');
    expect(value).toBe('first line second  line\nthird');
    expect(text('k: first line\n  second  line\n\n  third\n', offsets[value.indexOf('third')])).toBe('third');
  });

  it('single-quoted, with doubled quotes', () => {
    const { value } = expectFaithful("k: 'it''s a ''test'''\n", (c) => c === "'");
    expect(value).toBe("it's a 'test'");
    const source = "k: 'it''s a ''test'''\n";
    const offsets = scalarValueOffsets(source, scalarOf(source));
    expect(offsets[value.indexOf('t', 2)]).toBe(source.indexOf('test'));
  });

  it('double-quoted, with escapes and an escaped line break', () => {
    const source = 'k: "a\\tb \\"c\\" \\u00e9x\\\n    y"\n';
    const scalar = scalarOf(source);
    const value = String(scalar.value);
    expect(value).toBe('a\tb "c" éxy');
    const offsets = scalarValueOffsets(source, scalar);
    expect(offsets[value.indexOf('é')]).toBe(source.indexOf('\\u00e9'));
    expect(offsets[value.indexOf('x')]).toBe(source.indexOf('x'));
    expect(offsets[value.indexOf('y')]).toBe(source.indexOf('y'));
    expect(offsets[value.indexOf('c')]).toBe(source.indexOf('c'));
  });

  it('literal block, keep and strip chomping', () => {
    for (const header of ['|', '|-', '|+']) {
      const source = `k: ${header}\n  line one\n    indented\n\n  last\nnext: 1\n`;
      const { value } = expectFaithful(source, (c) => c === '\n');
      expect(value.startsWith('line one\n  indented\n\nlast')).toBe(true);
    }
  });

  it('folded block, with a more-indented line and an empty line', () => {
    const source = 'k: >\n  one\n  two\n    kept\n\n  three\n';
    const { value } = expectFaithful(source, (c) => c === ' ' || c === '\n');
    expect(value).toBe('one two\n  kept\n\nthree\n');
  });

  it('falls back to the start of the scalar for an explicit indentation indicator', () => {
    const source = 'k: |2\n   x\n';
    const offsets = scalarValueOffsets(source, scalarOf(source));
    expect(new Set(offsets)).toEqual(new Set([3]));
  });
});

function text(source: string, offset: number | undefined): string {
  return source.slice(offset, (offset ?? 0) + 5);
}

describe('interpolate', () => {
  it('substitutes variables and defaults and keeps an index back into the raw text', () => {
    const raw = 'https://${HOST:-example.com}/v${VERSION}/$${LITERAL}';
    const result = interpolate(raw, { VERSION: '2' }, (name) => `<${name}>`);
    expect(result.value).toBe('https://example.com/v2/${LITERAL}');
    expect(result.references.map((r) => [r.name, r.start, r.unset])).toEqual([
      ['HOST', 8, false],
      ['VERSION', 30, false],
    ]);
    expect(raw[result.rawIndex[result.value.indexOf('/v')] as number]).toBe('/');
    expect(result.rawIndex[result.value.indexOf('2')]).toBe(raw.indexOf('${VERSION}'));
    expect(result.whole).toBe(false);
  });

  it('takes the default when the variable is empty, like the shell', () => {
    expect(interpolate('${A:-x}', { A: '' }, () => '?').value).toBe('x');
    expect(interpolate('${A}', { A: '' }, () => '?').value).toBe('');
    expect(interpolate('${A:-}', {}, () => '?')).toMatchObject({ value: '', whole: true });
  });

  it('marks an unset variable without default and fills the placeholder', () => {
    const result = interpolate('key=${SECRET}', {}, (name) => `<${name}>`);
    expect(result.value).toBe('key=<SECRET>');
    expect(result.references).toEqual([{ name: 'SECRET', start: 4, unset: true }]);
  });

  it('leaves JSONata that merely contains a dollar and a brace alone', () => {
    const raw = '$.{ "a": $sum(x) }';
    expect(interpolate(raw, {}, () => '?')).toMatchObject({ value: raw, references: [] });
  });
});

describe('parseYamlTree', () => {
  it('maps a position inside an interpolated string to the file', () => {
    const source = 'a:\n  b: "${X} + ${Y:-yy} !"\n';
    const tree = parseYamlTree(source, 'f.yaml', { env: { X: 'xxxxxx' }, mode: 'run' });
    expect(tree.value).toEqual({ a: { b: 'xxxxxx + yy !' } });
    // '!' is at index 12 of the value; in the file it is on line 2, column 23.
    expect(tree.stringPosition('/a/b', 12)).toEqual({ line: 2, column: 23 });
    expect(tree.keyPosition('/a/b')).toEqual({ line: 2, column: 3 });
    expect(tree.valuePosition('/a/b')).toEqual({ line: 2, column: 6 });
    // A pointer that does not exist falls back to its nearest ancestor.
    expect(tree.valuePosition('/a/b/c/d')).toEqual({ line: 2, column: 6 });
  });

  it('applies YAML merge keys, the keys written beside them winning', () => {
    const source = 'defaults: &d\n  endpoint: invoices\n  lookback_seconds: 60\nstream:\n  <<: *d\n  lookback_seconds: 300\n';
    const tree = parseYamlTree(source, 'f.yaml', { env: {}, mode: 'run' });
    expect(tree.value).toEqual({ defaults: { endpoint: 'invoices', lookback_seconds: 60 }, stream: { lookback_seconds: 300, endpoint: 'invoices' } });
    // A merged value is located where it was written, in the anchored map.
    expect(tree.valuePosition('/stream/endpoint')).toEqual({ line: 2, column: 13 });
    expect(tree.valuePosition('/stream/lookback_seconds')).toEqual({ line: 6, column: 21 });
  });

  it('stops at an alias that contains itself', () => {
    const tree = parseYamlTree('a: &x\n  b: *x\n', 'f.yaml', { env: {}, mode: 'run' });
    expect(tree.problems.map((p) => [p.line, p.column, p.code])).toEqual([[2, 6, 'yaml_alias_cycle']]);
    expect(tree.value).toEqual({ a: { b: null } });
  });

  it('does not interpolate without options (descriptors)', () => {
    const tree = parseYamlTree('u: "{api_key} ${X}"\n', 'c.yaml');
    expect(tree.value).toEqual({ u: '{api_key} ${X}' });
  });
});

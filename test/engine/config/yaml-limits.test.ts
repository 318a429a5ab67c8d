/**
 * A pipeline file cannot hang or crash the loader: nesting, aliases and merge keys are bounded,
 * tags beyond JSON are refused, keys are kept as written and written once; each problem located.
 */
import { describe, expect, it } from 'vitest';
import { parseYamlTree, YAML_LIMITS } from '../../../engine/config/yaml-tree.js';

const parse = (text: string) => parseYamlTree(text, 'p.yaml', { env: {}, mode: 'validate' });
const located = (text: string) => parse(text).problems.map((p) => [p.line, p.column, p.code]);

/** Nine levels of ten maps, each merging the level below: 10^9 values once expanded. */
function mergeFanOut(): string {
  const keys = 'abcdefghij'.split('');
  const lines = [`l0: &l0 {${keys.map((k, i) => `${k}: ${i}`).join(', ')}}`];
  for (let level = 1; level <= 9; level++) lines.push(`l${level}: &l${level} {${keys.map((k) => `${k}: {<<: *l${level - 1}}`).join(', ')}}`);
  return lines.join('\n') + '\n';
}

describe('bounded expansion', () => {
  it('counts merge keys against the alias budget: a 1.4 kB merge fan-out stops at once, located', () => {
    const text = mergeFanOut();
    expect(text.length).toBeLessThan(1500);
    const started = performance.now();
    const tree = parse(text);
    expect(performance.now() - started).toBeLessThan(2000);
    const problems = tree.problems.filter((p) => p.code === 'yaml_alias_budget');
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toContain('billion laughs');
    expect(problems[0]?.line).toBeGreaterThan(1);
  });

  it('stops a classic alias "billion laughs" by the values it would materialise', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level <= 9; level++)
      lines.push(
        `${String.fromCharCode(97 + level)}: &${String.fromCharCode(97 + level)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + level)}`)
          .join(', ')}]`,
      );
    const started = performance.now();
    const tree = parse(lines.join('\n'));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(tree.problems.map((p) => p.code)).toEqual(['yaml_alias_budget']);
  });

  it('refuses a merge key that merges a mapping into itself, where it is written', () => {
    expect(located('a: &a\n  b:\n    <<: *a\n')).toEqual([[3, 9, 'yaml_merge_cycle']]);
    expect(located('a: &a\n  <<: *a\n  b: 1\n')).toEqual([[2, 7, 'yaml_merge_cycle']]);
  });

  it('merges the sources of a merged mapping too, first source winning', () => {
    const tree = parse('base: &base {x: 1, y: 1}\nmid: &mid {<<: *base, y: 2}\nother: &other {z: 3, x: 9}\nleaf:\n  <<: [*mid, *other]\n');
    expect(tree.problems).toEqual([]);
    expect(tree.value).toMatchObject({ leaf: { x: 9, y: 2, z: 3 } });
  });

  it('refuses a merge key whose value is not a mapping', () => {
    expect(located('a: 1\nb:\n  <<: [1]\n')).toEqual([[3, 8, 'yaml_merge']]);
  });
});

describe('bounded nesting', () => {
  it('stops a map nested 3000 deep at the first level too deep, without a stack overflow', () => {
    const text = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n') + ' 1\n';
    const tree = parse(text);
    expect(tree.problems.map((p) => p.code)).toEqual(['yaml_too_deep']);
    expect(tree.problems[0]?.message).toBe(
      `collections are nested more than ${YAML_LIMITS.maxDepth} levels deep here; a pipeline needs a handful: flatten this data`,
    );
    // The parser notices on the line after the first one too deep, at the `:` of its key.
    expect(tree.problems[0]?.line).toBe(YAML_LIMITS.maxDepth + 2);
    expect(tree.problems[0]?.column).toBe(YAML_LIMITS.maxDepth + 3);
  });

  it('stops flow collections nested 100 000 deep on their first line', () => {
    const tree = parse(`x: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    expect(tree.problems.map((p) => [p.line, p.code])).toEqual([[1, 'yaml_too_deep']]);
    expect(JSON.stringify(tree.problems)).not.toMatch(/call stack/i);
  });

  it('accepts nesting up to the limit', () => {
    const depth = YAML_LIMITS.maxDepth - 1;
    const tree = parse(`x: ${'['.repeat(depth)}1${']'.repeat(depth)}\n`);
    expect(tree.problems).toEqual([]);
  });

  it('counts depth through aliases too', () => {
    const lines = [
      `a0: &a0 ${'['.repeat(60)}1${']'.repeat(60)}`,
      'a1: &a1 [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[*a0]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
    ];
    expect(parse(lines.join('\n')).problems.map((p) => [p.line, p.code])).toEqual([[2, 'yaml_too_deep']]);
  });
});

describe('what a file may hold', () => {
  it('refuses !!binary, !!timestamp, !!set and custom tags at their place', () => {
    const text = 'options:\n  blob: !!binary aGVsbG8=\n  when: !!timestamp 2024-01-01\n  tags: !!set {a, b}\n  mine: !include other.yaml\n  fine: !!str 0042\n';
    const tree = parse(text);
    expect(tree.problems.map((p) => [p.line, p.column, p.code])).toEqual([
      [2, 9, 'yaml_tag'],
      [3, 9, 'yaml_tag'],
      [4, 9, 'yaml_tag'],
      [5, 9, 'yaml_tag'],
    ]);
    expect(tree.problems[0]?.message).toBe('!!binary is not allowed: a pipeline holds only text, numbers, true/false, null, lists and mappings (JSON values)');
    expect(tree.problems[3]?.message).toMatch(/^!include is not allowed/);
    expect(tree.value).toMatchObject({ options: { fine: '0042' } });
  });

  it('refuses .nan and .inf', () => {
    expect(located('a: .nan\nb: -.inf\nc: 1.5\n')).toEqual([
      [1, 4, 'yaml_value'],
      [2, 4, 'yaml_value'],
    ]);
  });

  it('reports an alias to an anchor that does not exist instead of reading null', () => {
    const tree = parse('a: 1\nb: *nowhere\nc:\n  <<: *neither\n');
    expect(tree.problems.map((p) => [p.line, p.column, p.code, p.message])).toEqual([
      [2, 4, 'yaml_alias_undefined', 'alias *nowhere names no anchor: define &nowhere before it, or remove the *'],
      [4, 7, 'yaml_alias_undefined', 'alias *neither names no anchor: define &neither before it, or remove the *'],
    ]);
  });

  it('refuses a key that is a list or a mapping', () => {
    expect(located('? [a, b]\n: 1\n')).toEqual([[1, 3, 'yaml_key']]);
  });

  it('keeps keys as written: 0042, 1.50 and 1e3 are not numbers', () => {
    const tree = parse('values:\n  0042: a\n  1.50: b\n  1e3: c\n  true: d\n  "7": e\n');
    expect(tree.problems).toEqual([]);
    expect(Object.keys((tree.value as { values: object }).values).sort()).toEqual(['0042', '1.50', '1e3', '7', 'true']);
  });

  it('keeps __proto__ and constructor as data', () => {
    const tree = parse('values:\n  __proto__: a\n  constructor: b\n');
    const values = (tree.value as { values: Record<string, unknown> }).values;
    expect(Object.getPrototypeOf(values)).toBe(Object.prototype);
    expect(Object.hasOwn(values, '__proto__')).toBe(true);
    expect(values['constructor']).toBe('b');
  });

  it('reports a duplicate key naming it and both lines, and goes on', () => {
    const tree = parse('lookups:\n  gl:\n    values:\n      SAAS: "1"\n      OTHER: "2"\n      SAAS: "3"\nname: x\nname: y\n');
    expect(tree.problems.map((p) => [p.line, p.column, p.code, p.message])).toEqual([
      [6, 7, 'yaml_duplicate_key', "duplicate key 'SAAS' (lines 4 and 6): a key appears once in a mapping; remove or rename one"],
      [8, 1, 'yaml_duplicate_key', "duplicate key 'name' (lines 7 and 8): a key appears once in a mapping; remove or rename one"],
    ]);
    expect(tree.broken).toBe(false);
    expect(tree.value).toMatchObject({ lookups: { gl: { values: { SAAS: '1', OTHER: '2' } } }, name: 'x' });
  });

  it('finds duplicates among 100 000 keys in linear time', () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => `  k${i}: v`);
    rows.push('  k5: again');
    const started = performance.now();
    const tree = parse(`values:\n${rows.join('\n')}\n`);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(tree.problems.map((p) => [p.line, p.code])).toEqual([[100_002, 'yaml_duplicate_key']]);
    expect(tree.problems[0]?.message).toContain("'k5' (lines 7 and 100002)");
  });

  it('reports a second document once, where it starts', () => {
    expect(located('a: 1\n---\nb: 2\n---\nc: 3\n')).toEqual([[2, 1, 'yaml_syntax']]);
  });

  it('flags a ${ that was meant as a variable but is not one', () => {
    const tree = parseYamlTree('a: ${API_KEY\nb: "${SITE-acme}"\nc: x ${OK:-1} $${LITERAL}\nd: "$.{ \\"a\\": 1 }"\n', 'p.yaml', { env: {}, mode: 'run' });
    expect(tree.problems.map((p) => [p.line, p.column, p.code, p.message])).toEqual([
      [1, 4, 'env_syntax', '${API_KEY is not closed: write ${API_KEY}'],
      [2, 5, 'env_syntax', '${SITE-…} is not supported: write ${SITE} or ${SITE:-default}'],
    ]);
  });
});

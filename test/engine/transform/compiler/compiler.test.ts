/**
 * The compiler's contract beyond the differential suite: what it declines and why, what it hands
 * back to the interpreter at run time, that helpers are called directly and synchronously, the
 * budget hook, and `validate --explain`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsonata from 'jsonata';
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../../../engine/config/load.js';
import { formatExpressionReports, validateFiles } from '../../../../engine/config/validate.js';
import { streamIsCompiled } from '../../../../engine/transform/mapper.js';
import { type AstNode, compileJsonata, NeedsInterpreter } from '../../../../engine/transform/compiler/index.js';
import type { EvaluationGuard } from '../../../../engine/transform/compiler/compile.js';

const CONNECTORS = join(import.meta.dirname, '..', '..', '..', '..', 'connectors');

const compile = (source: string, bindingNames: string[] = []) =>
  compileJsonata(jsonata(source).ast() as unknown as AstNode, { bindingNames: new Set(bindingNames) });

function compiled(source: string, bindingNames: string[] = []) {
  const result = compile(source, bindingNames);
  if (!result.ok) throw new Error(`${source} did not compile: ${result.reason}`);
  return result.evaluate;
}

describe('what the compiler declines, with the reason and where', () => {
  it.each([
    ['a.b.%.c', 'parent operator %', 3],
    ['items@$i.name', 'context variable binding @', 5],
    ['items#$i.name', 'positional variable binding #', 5],
    ['$eval("1 + 1")', '$eval (parses at run time)', 5],
    ['$shuffle([1, 2])', '$shuffle (nondeterministic)', 8],
    ['[$x := 1, $x]', 'an assignment inside an array constructor (the interpreter evaluates the items concurrently)', 6],
  ])('%s → %s', (source, reason, offset) => {
    expect(compile(source)).toEqual({ ok: false, reason, offset });
  });

  it('compiles a call to a built-in name the caller binds (the binding shadows the built-in)', () => {
    expect(compile('$eval(x)', ['eval']).ok).toBe(true);
    expect(compiled('$eval(x)', ['eval'])({ x: 2 }, { eval: (n: number) => n * 10 })).toBe(20);
  });
});

describe('evaluation', () => {
  it('orders by several terms, undefined last, stable, with T2007 on mixed types', () => {
    const evaluate = compiled('items^(>qty, name).name');
    const items = [{ name: 'b', qty: 1 }, { name: 'a', qty: 1 }, { name: 'c' }, { name: 'd', qty: 2 }];
    expect(JSON.parse(JSON.stringify(evaluate({ items }, {})))).toEqual(['d', 'a', 'b', 'c']);
    expect(() => evaluate({ items: [{ qty: 1 }, { qty: 'x' }] }, {})).toThrow(expect.objectContaining({ code: 'T2007' }));
  });

  it('applies transforms to a copy and partially applied functions', () => {
    const input = {
      order: {
        id: 'o1',
        lines: [
          { sku: 'a', tmp: 1 },
          { sku: 'b', tmp: 2 },
        ],
      },
    };
    const transformed = compiled('$ ~> |order.lines|{"qty": 1}, ["tmp"]|')(input, {});
    expect(JSON.parse(JSON.stringify(transformed))).toEqual({
      order: {
        id: 'o1',
        lines: [
          { sku: 'a', qty: 1 },
          { sku: 'b', qty: 1 },
        ],
      },
    });
    expect(input.order.lines[0]).toEqual({ sku: 'a', tmp: 1 });
    expect(compiled('($first3 := $substring(?, 0, 3); $first3(name))')({ name: 'Lovelace' }, {})).toBe('Lov');
    expect(compiled('($add := function($a, $b) { $a + $b }; $inc := $add(?, 1); $inc(41))')(undefined, {})).toBe(42);
  });

  it('matches, splits and replaces with regular expressions synchronously', () => {
    const evaluate = compiled(
      '{"digits": $replace(phone, /[^0-9]/, ""), "words": $split(name, /\\s+/), "vat": $contains(vat, /^GB/i), "m": $match(code, /([A-Z])(\\d)/).groups}',
    );
    const result = evaluate({ phone: '+44 (20) 7946-0000', name: 'Ada  King Lovelace', vat: 'gb123', code: 'x A1 B2' }, {});
    expect(JSON.parse(JSON.stringify(result))).toEqual({ digits: '442079460000', words: ['Ada', 'King', 'Lovelace'], vat: true, m: ['A', '1', 'B', '2'] });
  });

  it('calls the pipeline helpers directly and synchronously, with lambdas and $map in between', () => {
    const calls: unknown[][] = [];
    const money = (amount: unknown, currency: unknown) => {
      calls.push([amount, currency]);
      return `${String(amount)} ${String(currency)}`;
    };
    const evaluate = compiled('($m := function($a) { $money($a, currency) }; {"total": $m(total), "lines": $map(lines, function($l) { $m($l.amount) })})', [
      'money',
    ]);
    const result = evaluate({ currency: 'EUR', total: 300, lines: [{ amount: 100 }, { amount: 200 }] }, { money });
    expect(result).not.toBeInstanceOf(Promise);
    expect(JSON.parse(JSON.stringify(result))).toEqual({ total: '300 EUR', lines: ['100 EUR', '200 EUR'] });
    expect(calls).toEqual([
      [300, 'EUR'],
      [100, 'EUR'],
      [200, 'EUR'],
    ]);
  });

  it('throws JSONata’s own error codes', () => {
    const codeOf = (source: string, input: unknown) => {
      try {
        compiled(source)(input, {});
        return 'no error';
      } catch (error) {
        return (error as { code?: string }).code;
      }
    };
    expect(codeOf('a + 1', { a: 'x' })).toBe('T2001');
    expect(codeOf('1 + a', { a: 'x' })).toBe('T2002');
    expect(codeOf('a < 1', { a: 'x' })).toBe('T2009');
    expect(codeOf('$substring(a, "x")', { a: 'abc' })).toBe('T0410');
    expect(codeOf('$undefinedFunction(1)', {})).toBe('T1006');
  });

  it('runs deep tail recursion in a loop, not on the stack', () => {
    const evaluate = compiled('($count := function($n, $acc) { $n = 0 ? $acc : $count($n - 1, $acc + 1) }; $count(100000, 0))');
    expect(evaluate(undefined, {})).toBe(100000);
  });

  it('hands to the interpreter what only it does exactly: a function given to a built-in, a helper returning a promise, recursion past the stack', () => {
    expect(() => compiled('$string($sum)')(undefined, {})).toThrow(NeedsInterpreter);
    expect(() => compiled('$fetch(1)', ['fetch'])(undefined, { fetch: async () => 1 })).toThrow(NeedsInterpreter);
    const deep = compiled('($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(1000000))');
    expect(() => deep(undefined, {})).toThrow(NeedsInterpreter);
  });

  it("gives the guard every working node's value, around every function body and before a range is allocated", () => {
    const seen: string[] = [];
    let nodes = 0;
    const guard: EvaluationGuard = {
      value: (value) => {
        if (++nodes > 1000) throw new Error('budget exceeded');
        if (typeof value === 'number') seen.push(`value ${value}`);
      },
      enterFunction: () => void seen.push('enter'),
      exitFunction: () => void seen.push('exit'),
      allocate: (items) => void seen.push(`allocate ${items}`),
    };
    const compile = (expression: string) => {
      const result = compileJsonata(jsonata(expression).ast() as unknown as AstNode, { guard });
      if (!result.ok) throw new Error(result.reason);
      return result.evaluate;
    };
    // Two nodes that work: the path (a plain field walk counts once) and the sum; not the literal.
    expect(compile('a.b + 1')({ a: { b: 1 } }, {})).toBe(2);
    expect(nodes).toBe(2);
    expect(seen).toEqual(['value 1', 'value 2']);
    seen.length = 0;
    expect(compile('($f := function($n) { $n * 2 }; $count([1..$f(2)]))')(undefined, {})).toBe(4);
    expect(seen.filter((s) => !s.startsWith('value'))).toEqual(['enter', 'exit', 'allocate 4']);
    nodes = 0;
    expect(() => compile('($loop := function($n) { $loop($n + 1) }; $loop(0))')(undefined, {})).toThrow('budget exceeded');
  });
});

describe('validate --explain', () => {
  it('says per expression whether it runs compiled, or interpreted and why, at file:line:col', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledgersync-explain-'));
    const file = join(dir, 'pipeline.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'name: explain',
        'source: { connector: chargebee, site: x, api_key: "${CHARGEBEE_API_KEY}" }',
        'sink: { connector: jsonl, dir: out }',
        'streams:',
        '  - name: customers',
        '    endpoint: customers',
        '    target: { object: customers, key: id }',
        '    mapping:',
        '      fields:',
        '        id: id',
        '        total: $eval(formula)',
        '  - name: invoices',
        '    endpoint: invoices',
        '    target: { object: invoices, key: id }',
        '    mapping:',
        '      expression: |',
        '        { "id": id, "total": $money(total, currency_code) }',
        '',
      ].join('\n'),
    );
    const result = await validateFiles([file], { env: {}, connectorsDir: CONNECTORS });
    expect(result.problems).toEqual([]);
    expect(formatExpressionReports(result.expressions, 'text').split('\n')).toEqual([
      `${file}:11:13: compiled /streams/0/mapping/fields/id, but its stream runs interpreted (another expression is)`,
      `${file}:12:21: interpreted: $eval (parses at run time) (/streams/0/mapping/fields/total)`,
      `${file}:18:9: compiled /streams/1/mapping/expression`,
    ]);
    expect(result.expressions[1]).toMatchObject({ engine: 'interpreted', reason: '$eval (parses at run time)', streamEngine: 'interpreted' });
  });
});

describe('LEDGERSYNC_JSONATA', () => {
  const example = join(import.meta.dirname, '..', '..', '..', '..', 'pipelines', 'examples', 'chargebee-to-jsonl.yaml');

  it('=interpreter turns the compiler off for every expression, and says so', async () => {
    const { plan, problems } = await loadPipeline(example, { env: { LEDGERSYNC_JSONATA: 'interpreter' }, mode: 'validate', connectorsDir: CONNECTORS });
    expect(problems).toEqual([]);
    const expressions = plan!.streams.flatMap((s) => (s.mapping.kind === 'expression' ? [s.mapping.expression] : s.mapping.fields.map((f) => f.expression)));
    expect(expressions.length).toBeGreaterThan(0);
    for (const e of expressions) {
      expect(e.evaluateSync).toBeUndefined();
      expect(e.engine).toMatchObject({ kind: 'interpreted', reason: 'compiler turned off (LEDGERSYNC_JSONATA=interpreter)' });
    }
    for (const s of plan!.streams) expect(streamIsCompiled(s)).toBe(false);
  });

  it('compiles by default and refuses a value it does not know', async () => {
    const compiledPlan = await loadPipeline(example, { env: {}, mode: 'validate', connectorsDir: CONNECTORS });
    expect(compiledPlan.plan!.streams.every((s) => streamIsCompiled(s))).toBe(true);
    const typo = await loadPipeline(example, { env: { LEDGERSYNC_JSONATA: 'interpretted' }, mode: 'validate', connectorsDir: CONNECTORS });
    expect(typo.problems.map((p) => [p.code, p.line, p.column])).toEqual([['invalid_jsonata_engine', 1, 1]]);
  });
});

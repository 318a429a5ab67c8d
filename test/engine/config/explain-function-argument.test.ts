/**
 * `validate --explain` says "compiled" only for what the compiled closures map. A function literal
 * handed to a built-in that has no compiled version taking one (`$replace` with a replacement
 * function, `$string(function…)`) used to be reported compiled while every record was handed back to
 * the interpreter at run time (evaluated twice); it is now declined at load time, with the reason.
 */
import { describe, expect, it } from 'vitest';
import { expressionReports } from '../../../engine/config/expression-report.js';
import { mapRecord, streamIsCompiled } from '../../../engine/transform/mapper.js';
import { bindingsFor, oneStream } from '../../support/one-stream.js';

const record = { id: 'c1', deleted: false, data: { id: 'c1', name: 'Ann-Lee 2', tags: ['a', 'b'] } };

describe('validate --explain: a function literal passed to a built-in', () => {
  const declined: Array<[string, string, string]> = [
    ['{ "id": id, "name": $replace(name, /[^A-Za-z ]/, function($m) { "" }) }', '$replace', 'AnnLee '],
    ['{ "id": id, "name": name ~> $replace(/[0-9]/, function($m) { "#" }) }', '$replace', 'Ann-Lee #'],
    ['{ "id": id, "name": $string(function($x) { $x }) }', '$string', ''],
    ['{ "id": id, "name": $string($uppercase(?)) }', '$string', ''],
  ];
  for (const [expression, builtin, name] of declined) {
    it(`${expression}: interpreted, naming ${builtin}, and mapped by the interpreter`, async () => {
      const { stream, plan } = await oneStream(expression);
      const [report] = expressionReports(plan);
      expect(report).toMatchObject({ engine: 'interpreted', streamEngine: 'interpreted', reason: expect.stringContaining(`a function passed to ${builtin}`) });
      // The position is the function literal's, on the expression's line.
      expect(report!.column).toBeGreaterThan(expression.indexOf(builtin));
      expect(streamIsCompiled(stream)).toBe(false);
      const out = await mapRecord(stream, record, bindingsFor(plan));
      expect(out).toMatchObject({ kind: 'mapped', records: [{ data: { id: 'c1', name } }] });
    });
  }

  it('the higher-order built-ins and the expression’s own functions still compile', async () => {
    const { stream, plan } = await oneStream(
      '(\n  $twice := function($f, $x) { $f($f($x)) };\n  { "id": id, "tags": $map(tags, function($t) { $uppercase($t) }), "n": $twice(function($v) { $v + 1 }, 1), "s": $sort(tags, function($a, $b) { $a < $b }) }\n)',
    );
    expect(expressionReports(plan).map((r) => r.engine)).toEqual(['compiled']);
    expect(streamIsCompiled(stream)).toBe(true);
    expect(await mapRecord(stream, record, bindingsFor(plan))).toMatchObject({
      kind: 'mapped',
      records: [{ data: { tags: ['A', 'B'], n: 3, s: ['b', 'a'] } }],
    });
  });
});

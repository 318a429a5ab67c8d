import { describe, expect, it } from 'vitest';
import jsonata from 'jsonata';
import { checkReferences, compileExpression, JSONATA_BUILTINS, PIPELINE_BINDINGS } from '../../../engine/config/expressions.js';

const ctx = { lookups: new Set(['gl']), options: new Set(['flag']), streams: ['customers', 'invoices', 'payments'], streamIndex: 1 };

function issues(source: string) {
  const compiled = compileExpression(source);
  if (!compiled.ok) throw new Error(compiled.issue.message);
  return checkReferences(compiled.expression, source, ctx).map((i) => ({ at: source.slice(i.offset), code: i.code, severity: i.severity }));
}

describe('JSONata checks', () => {
  it('knows every JSONata built-in it lists, and binds the pipeline helpers', async () => {
    for (const name of JSONATA_BUILTINS) {
      expect(await jsonata(`$type($${name})`).evaluate({}), name).toBe('function');
    }
    expect([...PIPELINE_BINDINGS].sort()).toEqual([
      'date',
      'datetime',
      'deleted',
      'digest',
      'lookup',
      'money',
      'monthly',
      'now',
      'options',
      'ref',
      'refOrNull',
      'truncate',
    ]);
  });

  it('points a syntax error at the offending token, or at the end', () => {
    expect(compileExpression('a + )')).toMatchObject({ ok: false, issue: { offset: 4 } });
    expect(compileExpression('$sum(a')).toMatchObject({ ok: false, issue: { offset: 6 } });
    expect(compileExpression('"open')).toMatchObject({ ok: false, issue: { offset: 5, code: 'jsonata_syntax' } });
  });

  it('accepts names bound inside the expression: variables, lambdas, focus and index bindings', () => {
    expect(issues('($f := function($x) { $x * 2 }; $f(1) + $count(a#$i[$i > 0]) + $sum(b@$o.($o)))')).toEqual([]);
    expect(issues('$lookup("gl", code) & $options.flag & $ref("customers", id) & $refOrNull("invoices", id)')).toEqual([]);
    expect(issues('$money(total, currency_code) & $date(date) & $datetime(date) & $truncate(x, 3) & $now() & $deleted')).toEqual([]);
  });

  it('flags unknown tables, options, streams, later streams and functions at their offsets', () => {
    expect(issues('$lookup("gll", x) & $options.flagg & $ref("customer", id) & $ref("payments", id) & $uppercse(x)')).toEqual([
      { at: '"gll", x) & $options.flagg & $ref("customer", id) & $ref("payments", id) & $uppercse(x)', code: 'unknown_lookup', severity: 'error' },
      { at: 'flagg & $ref("customer", id) & $ref("payments", id) & $uppercse(x)', code: 'unknown_option', severity: 'error' },
      { at: '"customer", id) & $ref("payments", id) & $uppercse(x)', code: 'ref_unknown_stream', severity: 'error' },
      { at: '"payments", id) & $uppercse(x)', code: 'ref_later_stream', severity: 'error' },
      { at: '$uppercse(x)', code: 'unknown_function', severity: 'error' },
    ]);
  });

  it('warns about a variable that is never bound (always undefined)', () => {
    expect(issues('$optons.flag')).toEqual([{ at: '$optons.flag', code: 'unknown_variable', severity: 'warning' }]);
  });

  it('warns about an amount divided by a power of ten, at the operator; not about time or rates', () => {
    expect(issues('($m := function($minor) { $minor / 100 }; $m(total))')).toEqual([
      { at: '/ 100 }; $m(total))', code: 'money_fixed_divisor', severity: 'warning' },
    ]);
    expect(issues('line_items.(amount * 0.001)')).toEqual([{ at: '* 0.001)', code: 'money_fixed_divisor', severity: 'warning' }]);
    expect(issues('line_items@$l.($l.amount/1000)')).toEqual([{ at: '/1000)', code: 'money_fixed_divisor', severity: 'warning' }]);
    expect(issues('$toMillis(date) / 1000 & tax_rate / 100 & line_items@$l.($l.discount_percentage / 100) & total / 7 & $money(total, currency_code)')).toEqual(
      [],
    );
  });

  it('leaves references it cannot know statically alone', () => {
    expect(issues('$lookup(table_name, x) & $ref(stream_name, id) & $options[flag]')).toEqual([]);
  });
});

/** JSONata compilation bounded by what it is given: never a stack overflow, never minutes. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileBounded, EXPRESSION_LIMITS, nestingBeyond } from '../../../engine/config/expression-limits.js';
import { loadPipeline } from '../../../engine/config/load.js';

function timed<T>(run: () => T): T {
  const started = performance.now();
  const result = run();
  expect(performance.now() - started).toBeLessThan(2000);
  return result;
}

describe('compileBounded', () => {
  it('refuses brackets nested beyond the limit at the first one too deep', () => {
    const source = `${'('.repeat(5000)}1${')'.repeat(5000)}`;
    const compiled = timed(() => compileBounded(source));
    expect(compiled).toEqual({
      ok: false,
      issue: {
        offset: EXPRESSION_LIMITS.maxNesting,
        code: 'jsonata_too_deep',
        message: `expression nests brackets more than ${EXPRESSION_LIMITS.maxNesting} deep here: simplify it`,
        severity: 'error',
      },
    });
  });

  it('reports an operator chain the compiler cannot recurse through as too complex, not as a stack overflow', () => {
    const source = Array.from({ length: 7000 }, (_, i) => `a${i}`).join('.');
    expect(source.length).toBeLessThan(EXPRESSION_LIMITS.maxLength);
    const compiled = timed(() => compileBounded(source));
    expect(compiled.ok).toBe(false);
    if (compiled.ok) return;
    expect(compiled.issue.code).toBe('jsonata_too_deep');
    expect(compiled.issue.message).not.toMatch(/call stack/i);
  });

  it('allows as many operators as the limit, and no more, whatever the thread stack', () => {
    const chain = (n: number) => Array.from({ length: n + 1 }, (_, i) => `a${i}`).join('.');
    expect(timed(() => compileBounded(chain(EXPRESSION_LIMITS.maxOperators))).ok).toBe(true);
    const over = compileBounded(chain(EXPRESSION_LIMITS.maxOperators + 1));
    expect(over.ok ? undefined : [over.issue.code, over.issue.offset]).toEqual(['jsonata_too_deep', chain(EXPRESSION_LIMITS.maxOperators).length]);
    // Decimal points, operators inside strings and names inside words are not counted.
    expect(compileBounded(`[${Array.from({ length: 3000 }, (_, i) => `${i}.5`).join(', ')}]`).ok).toBe(true);
    expect(compileBounded(`"${'+'.repeat(5000)}" & $band & origin`).ok).toBe(true);
  });

  it('refuses an expression longer than the limit before compiling it', () => {
    const source = `"${'x'.repeat(EXPRESSION_LIMITS.maxLength)}"`;
    const compiled = timed(() => compileBounded(source));
    expect(compiled.ok ? undefined : compiled.issue.code).toBe('jsonata_too_long');
  });

  it('compiles what real mappings look like, and passes syntax errors through', () => {
    expect(compileBounded('{ "a": $sum(lines.(qty * price)), "b": [1, [2, [3]]] }').ok).toBe(true);
    const broken = compileBounded('$not(deleted))');
    expect(broken.ok ? undefined : broken.issue.code).toBe('jsonata_syntax');
  });

  it('counts brackets outside strings, quoted names and comments only', () => {
    const inside = `"${'('.repeat(200)}" & '${'['.repeat(200)}' & \`${'{'.repeat(200)}\` /* ${'('.repeat(200)} */`;
    expect(nestingBeyond(inside, 3)).toBeUndefined();
    expect(nestingBeyond('"\\"(" & ((((x))))', 3)).toBe(11);
  });
});

describe('a pipeline with a runaway expression', () => {
  it('reports it at its place in the file, and the other streams still compile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledgersync-expr-'));
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'name: deep',
        'source: { connector: billing, site: acme, api_key: "${BILLING_API_KEY}" }',
        'sink: { connector: ledger, company_id: c1, api_key: "${LEDGER_API_KEY}" }',
        'streams:',
        '  - name: customers',
        '    endpoint: customers',
        '    target: { object: customer }',
        '    mapping:',
        '      fields:',
        `        code: "${'('.repeat(3000)}id${')'.repeat(3000)}"`,
        '        name: "$oops("',
        '',
      ].join('\n'),
    );
    const { problems } = await loadPipeline(file, { mode: 'validate', env: {}, connectorsDir: 'test/fixtures/connectors' });
    expect(problems.map((p) => [p.line, p.column, p.code])).toEqual([
      [11, 16 + EXPRESSION_LIMITS.maxNesting, 'jsonata_too_deep'],
      [12, 22, 'jsonata_syntax'],
    ]);
  });
});

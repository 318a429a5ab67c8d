/**
 * The official JSONata test suite through the interpreter and the compiler: every case the
 * compiler claims (compiles without falling back) must give the same result or the same error
 * code. Prints claimed / fallback / disagreement counts and why the rest falls back.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { judge, loadSuite, type Verdict } from './jsonata-suite.js';

const cases = loadSuite();
const verdicts = new Map<string, Verdict>();

beforeAll(() => {
  // $now(), $millis() and $toMillis() with a partial picture read the clock: one instant for both sides.
  vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-03-01T12:34:56.789Z') });
});
afterAll(() => vi.useRealTimers());

describe('JSONata test suite: compiler vs interpreter', () => {
  const groups = [...new Set(cases.map((c) => c.id.split('/')[0]!))];
  for (const group of groups) {
    it(group, async () => {
      const disagreements: string[] = [];
      for (const c of cases.filter((x) => x.id.startsWith(`${group}/`))) {
        const verdict = await judge(c);
        verdicts.set(c.id, verdict);
        if (verdict.kind === 'disagreed') {
          disagreements.push(`${c.id}: ${c.expr}\n  interpreter ${JSON.stringify(verdict.interpreted)}\n  compiled    ${JSON.stringify(verdict.compiled)}`);
        }
      }
      expect(disagreements).toEqual([]);
    });
  }

  it('claims most of the suite, with no disagreement, and says why the rest falls back', () => {
    expect(verdicts.size).toBe(cases.length);
    const count = (kind: Verdict['kind']) => [...verdicts.values()].filter((v) => v.kind === kind).length;
    const reasons = new Map<string, number>();
    for (const v of verdicts.values())
      if (v.kind === 'fallback' || v.kind === 'deferred') reasons.set(`${v.kind}: ${v.reason}`, (reasons.get(`${v.kind}: ${v.reason}`) ?? 0) + 1);
    const claimed = count('agreed') + count('disagreed') + count('deferred');
    console.log(
      [
        `JSONata suite: ${cases.length} cases; claimed ${claimed} (agreed ${count('agreed')}, deferred to the interpreter at run time ${count('deferred')}), ` +
          `fallback ${count('fallback')}, parse errors ${count('parse_error')} (one parser for both), disagreements ${count('disagreed')}`,
        ...[...reasons.entries()].sort((a, b) => b[1] - a[1]).map(([reason, n]) => `  ${String(n).padStart(4)}  ${reason}`),
      ].join('\n'),
    );
    expect(count('disagreed')).toBe(0);
    // A floor, so that a change which makes the compiler decline more of the language shows here.
    expect(count('agreed')).toBeGreaterThanOrEqual(1505);
  });
});

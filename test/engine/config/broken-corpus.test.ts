/**
 * The broken-config corpus through `validate`: for every kind, an error (exit 2), no stack trace,
 * a `file:line:col` location on one line, an answer within seconds; and all of them checked in
 * one pass, no file hiding another's problems.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblem } from '../../../engine/errors.js';
import { loadPipeline } from '../../../engine/config/load.js';
import { formatProblems, validateFiles } from '../../../engine/config/validate.js';
import { committedKinds, generatedKinds, STACK_TRACE, type BrokenKind } from './corpus.js';
import { installedConnectors } from '../../../app/registry.js';

/** Generous for a loaded CI runner: every kind is answered in milliseconds to a few hundred. */
const TIME_BOUND_MS = 5000;

const generated = generatedKinds();
const kinds: BrokenKind[] = [...committedKinds(), ...generated.kinds];
afterAll(() => generated.cleanup());

describe('the broken-config corpus', () => {
  it('holds at least 85 kinds of broken file', () => {
    expect(kinds.length).toBeGreaterThanOrEqual(85);
    expect(new Set(kinds.map((k) => k.name)).size).toBe(kinds.length);
  });

  for (const kind of kinds) {
    it(`${kind.name}: a located one-line error, quickly`, async () => {
      const started = performance.now();
      const { plan, problems } = await loadPipeline(kind.path, { connectorsDir: installedConnectors.descriptorsDir, mode: kind.mode, env: {} });
      expect(performance.now() - started).toBeLessThan(TIME_BOUND_MS);
      expect(plan).toBeUndefined();
      const errors = problems.filter((p) => p.severity === 'error');
      expect(errors.length).toBeGreaterThan(0);
      for (const p of problems) {
        expect(p.line, p.message).toBeGreaterThanOrEqual(1);
        expect(p.column, p.message).toBeGreaterThanOrEqual(1);
        expect(p.message).not.toMatch(STACK_TRACE);
        expect(p.message).not.toContain('\n');
        expect(formatProblem(p)).toMatch(/^[^\n]+:\d+:\d+: \S/);
      }
      if (kind.expect) {
        const where = (p: (typeof problems)[number]) => (p.file === kind.path ? '' : `${p.file.slice(p.file.lastIndexOf('/broken/') + '/broken/'.length)}:`);
        expect(errors.map((p) => `${p.code} at ${where(p)}${p.line}:${p.column}`)).toEqual(kind.expect);
      }
    });
  }

  it('validates all of them in one pass: every file reported, the JSON one entry per problem', async () => {
    const checked = kinds.filter((k) => k.mode === 'validate');
    const result = await validateFiles(
      checked.map((k) => k.path),
      { connectorsDir: installedConnectors.descriptorsDir, env: {} },
    );
    const reported = new Set(result.problems.map((p) => `${p.file} ${p.code} at ${p.line}:${p.column}`));
    for (const kind of checked) {
      if (!kind.expect) {
        expect(
          result.problems.some((p) => p.file === kind.path),
          kind.name,
        ).toBe(true);
        continue;
      }
      for (const expected of kind.expect) {
        // `lookup_duplicate_key at lookups/x.csv:4:1` is in the lookup file; the others in the pipeline.
        const [, code, file, at] = /^(\S+) at (?:(.+):)?(\d+:\d+)$/.exec(expected) ?? [];
        const path = file ? `${kind.path.slice(0, kind.path.lastIndexOf('/'))}/${file}` : kind.path;
        expect(reported.has(`${path} ${code} at ${at}`), `${kind.name}: ${expected}`).toBe(true);
      }
    }
    const json = JSON.parse(formatProblems(result.problems, 'json')) as unknown[];
    expect(json).toHaveLength(result.problems.length);
    expect(formatProblems(result.problems, 'text').split('\n')).toHaveLength(result.problems.length);
  });
});

/**
 * The direction of dependencies: app/ composes engine/ and connectors/; the engine knows no
 * connector; nothing shipped reaches into test/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/helpers.js';
import { importsOf, sourceFiles, violations, type LayerRule } from './imports.js';

const rules: LayerRule[] = [
  { from: 'engine/', forbidden: ['connectors/', 'app/', 'test/'] },
  { from: 'domain/', forbidden: ['connectors/', 'app/', 'test/'] },
  { from: 'connectors/', forbidden: ['app/', 'test/'] },
  { from: 'app/', forbidden: ['test/'], except: { 'app/sandbox.ts': 'runs the fake vendors for npm start; left out of the published package' } },
];

describe('imports', () => {
  it('reads every form of import, and none in comments or strings', () => {
    const text = [
      "import a from './a.js';",
      "import type { B } from '../b.js';",
      "import './side-effect.js';",
      "export { c } from './c.js';",
      "export * from './d.js';",
      "import e = require('./e.js');",
      "const f = await import('./f.js');",
      "type G = import('./g.js').G;",
      "const h = require('./h.cjs');",
      'const i = await import(name);',
      "// import x from './comment.js';",
      'const s = "import y from \'./string.js\'";',
    ].join('\n');
    expect(importsOf('x.ts', text)).toEqual([
      { specifier: './a.js', line: 1 },
      { specifier: '../b.js', line: 2 },
      { specifier: './side-effect.js', line: 3 },
      { specifier: './c.js', line: 4 },
      { specifier: './d.js', line: 5 },
      { specifier: './e.js', line: 6 },
      { specifier: './f.js', line: 7 },
      { specifier: './g.js', line: 8 },
      { specifier: './h.cjs', line: 9 },
      { specifier: '<computed>', line: 10 },
    ]);
  });

  it('names the file, line and import of a violation', () => {
    const files: Record<string, string> = {
      'engine/run/runner.ts': "import { connectors } from '../../app/registry.js';\nimport { x } from '../errors.js';",
      'engine/cli.ts': "const { post } = await import('../connectors/dualentry/post.js');",
      'connectors/qbo/index.ts': "export type { Fake } from '../../test/fakes/qbo/index.js';",
      'domain/money/money.ts': "import { LedgersyncError } from '../../engine/errors.js';",
      'app/sandbox.ts': "import { startFakeQbo } from '../test/fakes/qbo/index.js';",
    };
    expect(violations('/repo', Object.keys(files), rules, (f) => files[f]!)).toEqual([
      { file: 'engine/run/runner.ts', line: 1, specifier: '../../app/registry.js', reason: 'engine/ must not import from app/' },
      { file: 'engine/cli.ts', line: 1, specifier: '../connectors/dualentry/post.js', reason: 'engine/ must not import from connectors/' },
      { file: 'connectors/qbo/index.ts', line: 1, specifier: '../../test/fakes/qbo/index.js', reason: 'connectors/ must not import from test/' },
    ]);
  });
});

describe('the source tree', () => {
  const files = ['app', 'domain', 'engine', 'connectors'].flatMap((dir) => sourceFiles(ROOT, dir));

  it('finds the source files', () => {
    expect(files).toContain('engine/run/runner.ts');
    expect(files).toContain('connectors/dualentry/post.ts');
    expect(files.length).toBeGreaterThan(80);
  });

  it('imports only in the allowed direction: engine and domain know no connector, app or test; connectors know no app or test', () => {
    const found = violations(ROOT, files, rules);
    expect(found.map((v) => `${v.file}:${v.line}: ${v.reason}: '${v.specifier}'`)).toEqual([]);
  });

  it('the one exception is still needed (else drop it from the rules)', () => {
    const sandbox = importsOf('app/sandbox.ts', readFileSync(join(ROOT, 'app/sandbox.ts'), 'utf8'));
    expect(sandbox.some((s) => s.specifier.startsWith('../test/fakes/'))).toBe(true);
  });
});

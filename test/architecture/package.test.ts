/**
 * What `npm pack` would publish: the engine, the connectors' descriptors, schemas and example
 * pipelines; never the fake vendors, the benchmark or the sandbox, and nothing that imports them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../e2e/helpers.js';
import { importsOf, resolveSpecifier } from './imports.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));

/** The published file list, without running prepack/prepare (they would rebuild dist/ under the other tests' feet). */
function packedFiles(): string[] {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path).sort();
}

/**
 * A build output whose source is gone is left in a working copy's dist/ by tsc; `npm pack` starts
 * from an empty dist/ (prepack), so such leftovers are not what would be published.
 */
const isLeftover = (path: string) =>
  path.startsWith('dist/') && /\.js(\.map)?$/.test(path) && !existsSync(join(ROOT, path.slice(5).replace(/\.js(\.map)?$/, '.ts')));

describe.skipIf(!built)('the published package', () => {
  const files = built ? packedFiles().filter((f) => !isLeftover(f)) : [];
  const shipped = new Set(files);

  it('holds the CLI, the engine, every connector descriptor, the schemas and the example pipelines', () => {
    for (const path of ['bin/ledgersync.js', 'dist/app/cli.js', 'dist/app/registry.js', 'dist/engine/run/runner.js', 'schemas/pipeline.schema.json']) {
      expect(files).toContain(path);
    }
    for (const connector of ['chargebee', 'dualentry', 'file', 'jsonl', 'quickbooks-online', 'sage-intacct']) {
      expect(files).toContain(`connectors/${connector}/connector.yaml`);
      expect(files).toContain(`dist/connectors/${connector}/index.js`);
    }
    expect(files).toContain('connectors/dualentry/revenue_recognition.schema.json');
    expect(files).toContain('pipelines/examples/chargebee-to-quickbooks.yaml');
  });

  it('holds no test code, fake vendor, benchmark or sandbox, and no TypeScript source', () => {
    expect(files.filter((f) => /(^|\/)test\//.test(f) || /sandbox/.test(f) || /(?<!\.d)\.ts$/.test(f))).toEqual([]);
  });

  it('every shipped module imports only shipped files, Node built-ins and runtime dependencies', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const builtins = new Set(builtinModules);
    const unresolved: string[] = [];
    for (const file of files.filter((f) => f.endsWith('.js'))) {
      for (const { specifier, line } of importsOf(file, readFileSync(join(ROOT, file), 'utf8'))) {
        const target = resolveSpecifier(ROOT, file, specifier);
        const packageName = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
        const ok =
          target !== undefined
            ? shipped.has(target)
            : specifier.startsWith('node:') || builtins.has(specifier) || Object.hasOwn(manifest.dependencies, packageName);
        if (!ok) unresolved.push(`${file}:${line}: '${specifier}'`);
      }
    }
    expect(unresolved).toEqual([]);
  });

  it('npm start still finds the sandbox in the build', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(manifest.scripts['start']).toBe('node dist/app/sandbox.js');
    expect(existsSync(join(ROOT, 'dist/app/sandbox.js'))).toBe(true);
    expect(existsSync(join(ROOT, 'dist/test/fakes/qbo/index.js'))).toBe(true);
  });
});

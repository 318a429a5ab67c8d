import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PRECOMPILED_VARIANTS, ajvOf, ownSchemaVariant, precompiledDir, precompiledValidator } from '../../../engine/config/ajv.js';
import { listConnectors } from '../../../engine/config/descriptors.js';
import { packageRoot } from '../../../engine/package-root.js';
import { compileSchemas, connectorVariants } from '../../../app/compile-schemas.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Inside the repository, so the generated code finds ajv's runtime in node_modules as an installed package does. */
function scratch(): string {
  const dir = mkdtempSync(join(packageRoot(), '.precompiled-test-'));
  dirs.push(dir);
  return dir;
}

const connectorsDir = join(packageRoot(), 'connectors');

const samples: Record<string, unknown[]> = {
  'pipeline-base': [
    {},
    { version: 1, name: 'ok', source: { connector: 'chargebee' }, sink: { connector: 'jsonl' }, streams: [] },
    { version: 2, name: 3, streams: 'x', lookups: { a: { values: 1 } } },
  ],
  connector: [{}, { name: 'x', roles: ['sink'], connection: { properties: {} } }, { name: 1, roles: 'sink', paging: { type: 'nope' } }],
  'mapping-cases': [[], [{ name: 'a', stream: 's', input: {}, expect: {} }], [{ name: 1, input: 'x' }]],
};

describe('JSON Schemas compiled ahead by the build', () => {
  it('each variant gives exactly the errors of the validator compiled at run time', () => {
    const dir = scratch();
    compileSchemas(dir);
    for (const [name, rootAdditional] of PRECOMPILED_VARIANTS) {
      const variant = ownSchemaVariant(name, rootAdditional);
      const ahead = precompiledValidator(variant, dir);
      expect(ahead, name).toBeTypeOf('function');
      expect(ahead!.schema, name).toEqual(variant.schema);
      const now = ajvOf('strict').compile(ownSchemaVariant(name, rootAdditional).schema);
      for (const sample of samples[name]!) {
        expect(ahead!(sample), `${name} ${JSON.stringify(sample)}`).toBe(now(sample));
        expect(JSON.stringify(ahead!.errors ?? null)).toBe(JSON.stringify(now.errors ?? null));
      }
    }
  });

  it('a validator made from another version of the schema is not used, nor is a missing one', () => {
    const dir = scratch();
    compileSchemas(dir);
    const variant = ownSchemaVariant('connector');
    const path = join(dir, variant.file);
    writeFileSync(path, readFileSync(path, 'utf8').replace(`// sha256:${variant.hash}`, `// sha256:${'0'.repeat(64)}`));
    expect(precompiledValidator(variant, dir)).toBeUndefined();
    rmSync(path);
    expect(precompiledValidator(variant, dir)).toBeUndefined();
  });

  it('each connector schema compiled ahead gives exactly the errors of its instance compiled at run time (lenient ones coerce alike)', () => {
    const dir = scratch();
    compileSchemas(dir);
    const variants = connectorVariants();
    // connection blocks of every connector, their settings and pipeline extensions
    expect(variants.length).toBeGreaterThanOrEqual(listConnectors(connectorsDir).length);
    expect(new Set(variants.map((v) => v.kind))).toEqual(new Set(['strict', 'lenient']));
    const samples: unknown[] = [{}, { realm_id: 123, base_url: 'http://127.0.0.1:1', dir: 'out' }, { unknown_key: true, timeout_ms: 'x' }, 'x'];
    for (const variant of variants) {
      const ahead = precompiledValidator(variant, dir);
      expect(ahead, variant.file).toBeTypeOf('function');
      const now = ajvOf(variant.kind, { code: { source: true } }).compile(variant.schema);
      for (const sample of samples) {
        const [a, b] = [structuredClone(sample), structuredClone(sample)];
        expect(ahead!(a), `${variant.file} ${JSON.stringify(sample)}`).toBe(now(b));
        expect(JSON.stringify(ahead!.errors ?? null)).toBe(JSON.stringify(now.errors ?? null));
        expect(a).toEqual(b);
      }
    }
  });

  it.skipIf(!existsSync(join(packageRoot(), 'dist')))('the build wrote every variant, current with the schemas and the descriptors', () => {
    for (const [name, rootAdditional] of PRECOMPILED_VARIANTS)
      expect(precompiledValidator(ownSchemaVariant(name, rootAdditional), precompiledDir()), name).toBeTypeOf('function');
    for (const variant of connectorVariants()) expect(precompiledValidator(variant, precompiledDir()), variant.file).toBeTypeOf('function');
  });
});

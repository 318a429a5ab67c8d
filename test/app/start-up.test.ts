/**
 * What a command loads decides how long it takes to start, and a scheduler starts one per customer
 * pipeline every few minutes. A run loads only what its pipeline uses: no PostgreSQL client, CSV or
 * XML parser for a Chargebee → JSONL run, and no JSON Schema compiler (the build compiled the
 * schemas); `--help` loads no engine at all.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { JSONL_PIPELINE, ROOT, chargebeeEnv, runCli, tempDir } from '../e2e/helpers.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));

let work: ReturnType<typeof tempDir>;
beforeEach(() => {
  work = tempDir();
});
afterEach(() => work.cleanup());

/** Runs the CLI with a preload that writes, at exit, every CommonJS file the process loaded. */
async function loadedBy(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; files: string[] }> {
  const preload = join(work.dir, 'record-loaded.cjs');
  const list = join(work.dir, 'loaded.json');
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(Object.keys(require.cache))));\n`);
  const result = await runCli(args, { ...env, NODE_OPTIONS: `--require ${preload}` });
  expect(result.stderr).not.toMatch(/error/i);
  return { code: result.code, files: JSON.parse(readFileSync(list, 'utf8')) as string[] };
}

const loads = (files: readonly string[], path: string) => files.some((f) => f.includes(`/node_modules/${path}`));

describe.skipIf(!built)('what a command loads', () => {
  let fake: FakeChargebee;
  beforeEach(async () => {
    fake = await startFakeChargebee({ customers: 12 });
  });
  afterEach(async () => fake.close());

  it('a Chargebee → JSONL run loads neither the pg, csv-parse, fast-xml-parser nor the ajv compiler', async () => {
    const { code, files } = await loadedBy(['run', JSONL_PIPELINE, '--state', join(work.dir, 'state.db'), '--json'], chargebeeEnv(fake, join(work.dir, 'out')));
    expect(code).toBe(0);
    // What the run does need, so the check below cannot pass by loading nothing.
    for (const needed of ['better-sqlite3/', 'jsonata/', 'undici/']) expect(loads(files, needed), needed).toBe(true);
    for (const unused of ['pg/', 'csv-parse/', 'fast-xml-parser/', 'ajv/dist/compile/', 'ajv-formats/dist/index.js'])
      expect(loads(files, unused), unused).toBe(false);
  });

  it('--help loads no engine: no SQLite, JSONata or HTTP client', async () => {
    const { code, files } = await loadedBy(['--help'], { PATH: process.env['PATH'] });
    expect(code).toBe(0);
    expect(loads(files, 'commander/')).toBe(true);
    for (const unused of ['better-sqlite3/', 'jsonata/', 'undici/', 'ajv/', 'pg/', 'pg-boss/']) expect(loads(files, unused), unused).toBe(false);
  });
});

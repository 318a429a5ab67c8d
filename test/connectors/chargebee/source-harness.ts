/** Chargebee sources built as a run builds them: from a pipeline file naming the fake's site, reading `streams` (endpoint = stream name). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import type { Source } from '../../../engine/connector/types.js';
import { loadPipeline } from '../../../engine/config/load.js';
import { silentLogger } from '../../../engine/log.js';
import { factoryInput } from '../../../engine/run/runner.js';
import { startFakeChargebee, type FakeChargebee, type FakeChargebeeOptions } from '../../fakes/chargebee/index.js';
import { tempDir } from '../../e2e/helpers.js';

/** Writes `file`: a pipeline reading `streams` (endpoint = stream name) from the fake into JSON Lines under `outDir`. */
export function writeChargebeeSourcePipeline(f: FakeChargebee, file: string, outDir: string, streams: readonly string[], name = 'chargebee-source'): string {
  writeFileSync(
    file,
    `version: 1
name: ${name}
source:
  connector: chargebee
  site: ${f.site}
  api_key: \${KEY}
  base_url: ${f.url}
sink:
  connector: jsonl
  dir: ${outDir}
streams:
${streams.map((s) => `  - { name: ${s}, endpoint: ${s}, target: { object: record }, mapping: { expression: $ } }`).join('\n')}
`,
  );
  return file;
}

export async function chargebeeSourceFor(f: FakeChargebee, dir: string, streams: readonly string[]): Promise<Source> {
  const file = writeChargebeeSourcePipeline(f, join(dir, 'p.yaml'), join(dir, 'out'), streams);
  const loaded = await loadPipeline(file, { connectorsDir: installedConnectors.descriptorsDir, env: { KEY: f.apiKey }, mode: 'run' });
  expect(loaded.problems.filter((p) => p.severity === 'error')).toEqual([]);
  return installedConnectors.modules['chargebee']!.createSource!(factoryInput(loaded.plan!, 'source', silentLogger, new AbortController().signal));
}

/** For a test file: a fake Chargebee per test and sources reading `streams` from it, closed and removed after each test. */
export function chargebeeSourceFixture(streams: readonly string[]): {
  start(options?: FakeChargebeeOptions): Promise<FakeChargebee>;
  source(f: FakeChargebee): Promise<Source>;
} {
  let fake: FakeChargebee | undefined;
  let work: ReturnType<typeof tempDir> | undefined;
  afterEach(async () => {
    await fake?.close();
    work?.cleanup();
    fake = undefined;
    work = undefined;
  });
  return {
    start: async (options) => (fake = await startFakeChargebee(options)),
    source: (f) => {
      work = tempDir();
      return chargebeeSourceFor(f, work.dir, streams);
    },
  };
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadsQuickly } from '../../../engine/config/load-in-worker.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function pipelineFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ledgersync-load-'));
  dirs.push(dir);
  const path = join(dir, 'pipeline.yaml');
  writeFileSync(path, text);
  return path;
}

describe('which pipelines load without a worker thread', () => {
  it('a small pipeline with its lookup tables inline loads in this thread', () => {
    expect(loadsQuickly(pipelineFile('name: a\nlookups:\n  accounts:\n    values: { a: 1 }\nsink: { profile: x }\n'))).toBe(true);
  });

  it('a lookup table read from a file, in block or flow style, sends the load to the worker: its size is not bounded by the pipeline', () => {
    expect(loadsQuickly(pipelineFile('lookups:\n  accounts:\n    file: lookups/accounts.csv\n'))).toBe(false);
    expect(loadsQuickly(pipelineFile('lookups: { accounts: { "file": lookups/accounts.csv } }\n'))).toBe(false);
  });

  it('a file over 256 KB, or one that cannot be read, goes to the worker', () => {
    expect(loadsQuickly(pipelineFile(`name: a\n# ${'x'.repeat(300 * 1024)}\n`))).toBe(false);
    expect(loadsQuickly('/nonexistent/pipeline.yaml')).toBe(false);
  });
});

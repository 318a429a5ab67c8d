/** Every example pipeline ships with mapping tests beside it, and they pass: they are what `init` hands out. */
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCasesFileName } from '../../engine/config/cases.js';
import { testMappings } from '../../engine/run/mapping-suite.js';
import { ROOT } from '../e2e/helpers.js';
import { installedConnectors } from '../../app/registry.js';

const examples = join(ROOT, 'pipelines', 'examples');
const pipelines = readdirSync(examples)
  .filter((f) => /\.ya?ml$/.test(f) && !isCasesFileName(f))
  .sort();

describe('example pipelines', () => {
  it('are found', () => expect(pipelines).toContain('chargebee-to-jsonl.yaml'));

  it.each(pipelines)('%s has a cases file beside it whose cases all pass', async (name) => {
    const cases = join(examples, name.replace(/\.ya?ml$/, '.cases.yaml'));
    expect(existsSync(cases), `${relative(ROOT, cases)} is missing`).toBe(true);
    let out = '';
    const sink = { write: (text: string) => (out += text) };
    const code = await testMappings({
      connectorsDir: installedConnectors.descriptorsDir,
      pipeline: join(examples, name),
      files: [cases],
      env: {},
      stdout: sink,
      stderr: sink,
    });
    expect(out).not.toContain('FAIL');
    expect(code, out).toBe(0);
    expect(out).toMatch(/^[1-9]\d* passed, 0 failed$/m);
  });
});

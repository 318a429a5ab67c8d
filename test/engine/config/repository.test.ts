/** Every connector descriptor and every pipeline committed to the repository is valid. */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ownSchemaValidator } from '../../../engine/config/ajv.js';
import { isCasesFileName } from '../../../engine/config/cases.js';
import { listConnectors, loadDescriptorFile } from '../../../engine/config/descriptors.js';
import { expandGlob } from '../../../engine/config/glob.js';
import { formatProblems, validateFiles } from '../../../engine/config/validate.js';
import { installedConnectors } from '../../../app/registry.js';

const connectors = listConnectors('connectors');
const pipelines = expandGlob('pipelines/**/*.{yaml,yml}');

describe('connector descriptors', () => {
  it('finds the connectors of the repository', () => {
    expect(connectors).toContain('chargebee');
  });

  for (const name of connectors) {
    it(`connectors/${name}/connector.yaml matches schemas/connector.schema.json`, () => {
      const loaded = loadDescriptorFile(join('connectors', name, 'connector.yaml'), name);
      expect(formatProblems(loaded.problems, 'text')).toBe('');
      expect(loaded.descriptor?.name).toBe(name);
    });
  }

  for (const name of ['billing', 'ledger']) {
    it(`test descriptor ${name} matches the schema too`, () => {
      expect(loadDescriptorFile(join('test/fixtures/connectors', name, 'connector.yaml'), name).problems).toEqual([]);
    });
  }
});

describe('pipelines', () => {
  it('finds the pipelines of the repository', () => {
    expect(pipelines).toContain('pipelines/examples/chargebee-to-jsonl.yaml');
  });

  it('every pipelines/**/*.yaml validates clean (no secrets needed)', async () => {
    const result = await validateFiles(['pipelines/**/*.{yaml,yml}'], { env: {}, connectorsDir: installedConnectors.descriptorsDir });
    expect(result.files).toEqual(pipelines);
    expect(formatProblems(result.problems, 'text')).toBe('');
  });

  // What an editor shows through the `# yaml-language-server: $schema=` line: the file as written,
  // against the schema file alone (mapping cases files have their own).
  for (const file of pipelines) {
    const schema = isCasesFileName(file) ? 'mapping-cases' : 'pipeline';
    it(`${file} shows no error in an editor using schemas/${schema}.schema.json`, () => {
      if (schema === 'mapping-cases')
        expect(readFileSync(file, 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../../schemas/mapping-cases.schema.json');
      const validate = ownSchemaValidator(schema);
      validate(parse(readFileSync(file, 'utf8')));
      expect(validate.errors ?? []).toEqual([]);
    });
  }
});

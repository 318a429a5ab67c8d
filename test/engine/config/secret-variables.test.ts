/** A variable that fills a secret connection property cannot be used anywhere else in the pipeline. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { loadPipeline } from '../../../engine/config/load.js';

const dir = mkdtempSync(join(tmpdir(), 'ledgersync-secret-vars-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function problemsOf(lines: string[], mode: 'run' | 'validate' = 'validate') {
  const file = join(dir, 'pipeline.yaml');
  writeFileSync(file, lines.join('\n') + '\n');
  const env = mode === 'run' ? { CHARGEBEE_API_KEY: 'live_key_0123456789', NOTE: 'n' } : {};
  const { problems } = await loadPipeline(file, { env, mode, connectorsDir: installedConnectors.descriptorsDir });
  return problems.map((p) => `${p.line}:${p.column} ${p.code}: ${p.message}`);
}

const head = [
  'version: 1',
  'name: secrets',
  'source: { connector: chargebee, site: acme-test, api_key: "${CHARGEBEE_API_KEY}" }',
  'sink: { connector: jsonl, dir: out }',
];

describe('a secret variable used outside its secret property', () => {
  it('in a mapping, an option and a lookup: refused at each place, naming the secret property', async () => {
    for (const mode of ['validate', 'run'] as const) {
      const problems = await problemsOf(
        [
          ...head,
          'options:',
          '  audit_key: "${CHARGEBEE_API_KEY}"',
          'lookups:',
          '  keys: { values: { a: "key ${CHARGEBEE_API_KEY}" } }',
          'streams:',
          '  - name: customers',
          '    endpoint: customers',
          '    target: { object: customers, key: id }',
          '    mapping:',
          '      fields:',
          '        id: id',
          '        note: \'"${CHARGEBEE_API_KEY}"\'',
        ],
        mode,
      );
      const holds = 'holds the secret source.api_key (line 3): it cannot also be used in';
      const where = 'where it would be written into records, logs or the state; give this value a variable of its own';
      expect(problems, mode).toEqual([
        `6:15 secret_variable_reused: \${CHARGEBEE_API_KEY} ${holds} options.audit_key, ${where}`,
        `8:29 secret_variable_reused: \${CHARGEBEE_API_KEY} ${holds} lookups.keys.values.a, ${where}`,
        `16:17 secret_variable_reused: \${CHARGEBEE_API_KEY} ${holds} streams[0].mapping.fields.note, ${where}`,
      ]);
    }
  });

  it('other variables are fine', async () => {
    const problems = await problemsOf([
      ...head,
      'options: { note: "${NOTE:-none}" }',
      'streams:',
      '  - name: customers',
      '    endpoint: customers',
      '    target: { object: customers, key: id }',
      '    mapping: { fields: { id: id, note: $options.note } }',
    ]);
    expect(problems).toEqual([]);
  });
});

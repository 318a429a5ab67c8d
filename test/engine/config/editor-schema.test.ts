/**
 * The editor's pipeline schema (schemas/pipeline.schema.json), composed from the connector
 * descriptors: committed up to date, it catches on its own, with ajv and no ledgersync code, the
 * mistakes a consultant makes in the connector blocks, and it agrees with `validate` over the
 * broken-config corpus, except where the test says why one of them cannot see a kind.
 */
import { readFileSync } from 'node:fs';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { editorSchemaText } from '../../../app/editor-schema.js';
import { installedConnectors } from '../../../app/registry.js';
import { loadPipeline } from '../../../engine/config/load.js';
import { parseYamlTree } from '../../../engine/config/yaml-tree.js';
import { committedKinds, generatedKinds } from './corpus.js';

const SCHEMA = 'schemas/pipeline.schema.json';
const QBO_EXAMPLE = 'pipelines/examples/chargebee-to-quickbooks.yaml';

let validate: ValidateFunction;
beforeAll(() => {
  // A plain ajv, as an editor would load the file: nothing of ledgersync's own.
  const Ajv = AjvModule.default;
  validate = new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(SCHEMA, 'utf8')) as object);
});

function errorsOf(value: unknown): ErrorObject[] {
  return validate(value) ? [] : [...(validate.errors ?? [])];
}

/** The example pipeline with one text replacement, which must be found. */
function example(from: string, to: string): unknown {
  const text = readFileSync(QBO_EXAMPLE, 'utf8');
  expect(text, `${from} in ${QBO_EXAMPLE}`).toContain(from);
  return parse(text.replace(from, to));
}

describe('schemas/pipeline.schema.json', () => {
  it('is what npm run schemas writes from the base schema and the descriptors', () => {
    const committed = JSON.parse(readFileSync(SCHEMA, 'utf8')) as unknown;
    expect(committed, 'run npm run schemas and commit schemas/pipeline.schema.json').toEqual(JSON.parse(editorSchemaText(installedConnectors)));
  });

  it('accepts the example pipeline as written', () => {
    expect(errorsOf(parse(readFileSync(QBO_EXAMPLE, 'utf8')))).toEqual([]);
  });

  const mistakes: Array<[string, string, string, (e: ErrorObject) => boolean]> = [
    ['lookup: for lookups:', '\nlookups:\n', '\nlookup:\n', (e) => e.instancePath === '' && e.params['additionalProperty'] === 'lookup'],
    [
      'realmid for realm_id',
      '  realm_id: ${QBO_REALM_ID}',
      '  realmid: ${QBO_REALM_ID}',
      (e) => e.instancePath === '/sink' && e.params['additionalProperty'] === 'realmid',
    ],
    ['endpoint: item_price', 'endpoint: item_prices', 'endpoint: item_price', (e) => e.instancePath === '/streams/1/endpoint' && e.keyword === 'enum'],
    ['object: Invoices', '{ object: Invoice, key', '{ object: Invoices, key', (e) => e.instancePath === '/streams/2/target/object' && e.keyword === 'enum'],
    ['a timezone typo', 'timezone: UTC', 'timezone: Europe/Pariss', (e) => e.instancePath === '/timezone'],
    [
      'a literal api_key',
      'api_key: ${CHARGEBEE_API_KEY}',
      'api_key: live_3b7f9c2d8e1a',
      (e) => e.instancePath === '/source/api_key' && e.keyword === 'pattern',
    ],
    ['environment: prod', 'environment: production ', 'environment: prod ', (e) => e.instancePath === '/sink/environment'],
  ];
  for (const [name, from, to, pointsAt] of mistakes) {
    it(`refuses ${name}, at its place`, () => {
      const errors = errorsOf(example(from, to));
      expect(errors.length, name).toBeGreaterThan(0);
      expect(errors.some(pointsAt), errors.map((e) => `${e.instancePath} ${e.keyword} ${e.message}`).join('; ')).toBe(true);
    });
  }

  it('takes ${VAR} wherever validate does: a number, an enum, a URL', () => {
    expect(errorsOf(example('environment: production ', 'environment: ${QBO_ENV} '))).toEqual([]);
    expect(errorsOf(example('timezone: UTC', 'timezone: ${TZ:-UTC}'))).toEqual([]);
    expect(errorsOf(example('  realm_id: ${QBO_REALM_ID}', '  realm_id: ${QBO_REALM_ID}\n  minor_version: ${QBO_MINOR_VERSION}'))).toEqual([]);
  });

  it('refuses a base_url that validate refuses, and a batch_size above what the object takes', () => {
    const withPassword = errorsOf(example('  base_url: ${QBO_BASE_URL:-}', '  base_url: https://user:pw@qbo.example.com'));
    expect(withPassword.some((e) => e.instancePath === '/sink/base_url')).toBe(true);
    expect(errorsOf(example('  base_url: ${QBO_BASE_URL:-}', '  base_url: http://127.0.0.1:8080'))).toEqual([]);
    const tooBig = errorsOf(example('    target: { object: Item, key: Name }', '    target: { object: Item, key: Name }\n    batch_size: 31'));
    expect(tooBig.some((e) => e.instancePath === '/streams/1/batch_size' && e.keyword === 'maximum')).toBe(true);
  });

  it('refuses a pipeline extension its connectors do not declare', () => {
    const errors = errorsOf(example('\nlookups:\n', '\nrevenue_recognition:\n  accounts: {}\nlookups:\n'));
    expect(errors.some((e) => e.instancePath === '/sink/connector')).toBe(true);
  });
});

/**
 * Kinds of the corpus the schema cannot see, by why. `validate` catches each; the schema sees the
 * file as written, before `${VAR}` is read, and none of what lies outside it (lookup files) or
 * inside the JSONata strings.
 */
const SCHEMA_CANNOT_SEE: Readonly<Record<string, string>> = {
  'duplicate-stream': 'stream names must be unique: JSON Schema compares whole array items, not one property across them',
  'env-boolean': 'the value comes from an environment variable, known only when the pipeline runs',
  'env-integer': 'the value comes from an environment variable, known only when the pipeline runs',
  'start-date-impossible': 'a calendar date (February 30) is shaped like a date; only a calendar can refuse it',
  'target-key-not-mapped': 'which fields a JSONata mapping produces is JSONata, inside a string',
  'lookup-one-argument': 'a JSONata call, inside a string',
  'unknown-function': 'a JSONata call, inside a string',
  'unknown-lookup': 'a JSONata reference to lookups:, inside a string',
  'unknown-option': 'a JSONata reference to options:, inside a string',
  'ref-later-stream': 'a JSONata $ref() to a stream, inside a string',
  'jsonata-ref-unknown-stream': 'a JSONata $ref() to a stream, inside a string',
};
const isJsonataKind = (name: string) => name.startsWith('jsonata-');
const isLookupFileKind = (name: string) => /^lookup-(csv|json|jsonl|file)-/.test(name);

describe('validate and the editor schema over the broken-config corpus', () => {
  const generated = generatedKinds();
  afterAll(() => generated.cleanup());
  const committed = committedKinds().filter((k) => k.mode === 'validate');

  it('flag the same files, except the kinds listed with the reason the schema cannot see them', async () => {
    const missed: string[] = [];
    const yamlLevel: string[] = [];
    for (const kind of committed) {
      const { problems } = await loadPipeline(kind.path, { connectorsDir: installedConnectors.descriptorsDir, mode: 'validate', env: {} });
      expect(
        problems.some((p) => p.severity === 'error'),
        `validate flags ${kind.name}`,
      ).toBe(true);
      const tree = parseYamlTree(readFileSync(kind.path, 'utf8'), kind.path);
      if (tree.problems.length) {
        // ledgersync's own YAML rules (syntax, duplicate keys, tags, alias limits): the editor's YAML
        // parser shows the syntax errors; a JSON Schema only ever sees the parsed value.
        yamlLevel.push(kind.name);
        continue;
      }
      if (errorsOf(tree.value).length === 0) missed.push(kind.name);
    }
    const explained = (name: string) => name in SCHEMA_CANNOT_SEE || isJsonataKind(name) || isLookupFileKind(name);
    expect(missed.filter((name) => !explained(name))).toEqual([]);
    // The list stays honest: a kind the schema learns to see leaves it.
    expect(Object.keys(SCHEMA_CANNOT_SEE).filter((name) => !missed.includes(name))).toEqual([]);
    expect(yamlLevel.every((name) => name.startsWith('yaml-') || name === 'bad-yaml')).toBe(true);
    // Most of the corpus is the schema's as well.
    expect(committed.length - missed.length - yamlLevel.length).toBeGreaterThanOrEqual(55);
  });

  it('leave the generated kinds (FIFO, device, encodings, size) to the file reader: no editor opens them as YAML', () => {
    expect(generated.kinds.every((k) => k.expect?.[0] && /^(file_|yaml_|jsonata_)/.test(k.expect[0]))).toBe(true);
  });

  it('accept the pipelines validate accepts', async () => {
    for (const file of [QBO_EXAMPLE, 'test/connectors/sql/chargebee-to-sql.yaml', 'test/fixtures/pipelines/e2e/strict-lookup.yaml']) {
      const { problems } = await loadPipeline(file, { connectorsDir: installedConnectors.descriptorsDir, mode: 'validate', env: {} });
      expect(problems.filter((p) => p.severity === 'error')).toEqual([]);
      expect(errorsOf(parse(readFileSync(file, 'utf8'))), file).toEqual([]);
    }
  });
});

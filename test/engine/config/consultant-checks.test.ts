/**
 * What `validate` catches for a consultant beyond the schema: a `$lookup` without its table, a
 * `target.key` the mapping never sets, a time-zone abbreviation, and the secret variable names
 * it suggests are the ones the README and the examples use.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { checkReferences, compileExpression } from '../../../engine/config/expressions.js';
import { loadPipeline } from '../../../engine/config/load.js';
import { producedFields } from '../../../engine/config/target-key.js';
import { timezoneAbbreviationProblem } from '../../../engine/config/time.js';
import { tempDir } from '../../e2e/helpers.js';

const ctx = { lookups: new Set(['payment_methods']), options: new Set<string>(), streams: ['customers', 'invoices'], streamIndex: 1 };

function codes(source: string): string[] {
  const compiled = compileExpression(source);
  if (!compiled.ok) throw new Error(compiled.issue.message);
  return checkReferences(compiled.expression, source, ctx).map((i) => `${i.code} at ${source.slice(i.offset, i.offset + 8)}`);
}

function fields(source: string): string[] | undefined {
  const compiled = compileExpression(source);
  if (!compiled.ok) throw new Error(compiled.issue.message);
  const produced = producedFields(compiled.expression.ast());
  return produced ? [...produced].sort() : undefined;
}

describe('the engine functions called with the wrong number of arguments', () => {
  it('are errors at the call', () => {
    expect(codes('$lookup(payment_method)')).toEqual(['wrong_argument_count at $lookup(']);
    expect(codes('$ref("customers")')).toEqual(['wrong_argument_count at $ref("cu']);
    expect(codes('$money(total)')).toEqual(['wrong_argument_count at $money(t']);
    expect(codes('$date(created_at, "UTC")')).toEqual(['wrong_argument_count at $date(cr']);
  });

  it('count the piped value of ~> and leave partial application alone', () => {
    expect(codes('"payment_methods" ~> $lookup(payment_method)')).toEqual([]);
    expect(codes('$map(items, $lookup("payment_methods", ?))')).toEqual([]);
    expect(codes('$lookup("payment_methods", payment_method)')).toEqual([]);
    // A local function of the same name is the user's own.
    expect(codes('($lookup := function($k) { $k }; $lookup(x))')).toEqual([]);
  });
});

describe('the fields a mapping expression produces', () => {
  it('are known for object constructors, through blocks, conditions and array fan-outs', () => {
    expect(fields('{ "id": id, "name": company }')).toEqual(['id', 'name']);
    expect(fields('($x := 1; { "id": id })')).toEqual(['id']);
    expect(fields('$deleted ? { "id": id, "_action": "delete" } : { "Name": name }')).toEqual(['Name', '_action', 'id']);
    expect(fields('[{ "id": id, "_part": "a" }, { "id": id, "_part": "b" }]')).toEqual(['_part', 'id']);
    expect(fields('amount > 0 ? { "id": id }')).toEqual(['id']);
  });

  it('are unknown where the result is computed', () => {
    expect(fields('$')).toBeUndefined();
    expect(fields('$merge([{ "id": id }, extra])')).toBeUndefined();
    expect(fields('{ key_name: value }')).toBeUndefined();
    expect(fields('$deleted ? { "id": id } : $')).toBeUndefined();
  });
});

describe('time-zone abbreviations', () => {
  it('are refused with the IANA zone meant, IANA zones are not', () => {
    expect(timezoneAbbreviationProblem('EST')).toMatch(/e\.g\. America\/New_York$/);
    expect(timezoneAbbreviationProblem('cet')).toMatch(/Europe\/Paris/);
    expect(timezoneAbbreviationProblem('BST')).toMatch(/Europe\/London$/);
    for (const zone of ['UTC', 'Europe/Paris', 'America/New_York', 'Etc/GMT+5']) expect(timezoneAbbreviationProblem(zone)).toBeUndefined();
  });
});

describe('validate on a whole pipeline', () => {
  let work: ReturnType<typeof tempDir>;
  beforeEach(() => {
    work = tempDir();
  });
  afterEach(() => work.cleanup());

  async function problems(yaml: string) {
    const file = join(work.dir, 'p.yaml');
    writeFileSync(file, yaml);
    const { problems } = await loadPipeline(file, { connectorsDir: installedConnectors.descriptorsDir, mode: 'validate', env: {} });
    return problems.map((p) => `${p.line}:${p.column} ${p.code}: ${p.message}`);
  }

  const qbo = (sink: string, target = '{ object: Customer, key: DisplayName }', mapping = 'fields: { DisplayName: company }') => `version: 1
name: acme
source: { connector: chargebee, site: acme, api_key: "\${CHARGEBEE_API_KEY}" }
sink:
  connector: quickbooks-online
${sink}
streams:
  - name: customers
    endpoint: customers
    target: ${target}
    mapping: { ${mapping} }
`;
  const secrets = '  realm_id: "123"\n  client_id: ${QBO_CLIENT_ID}\n  refresh_token: ${QBO_REFRESH_TOKEN}\n';

  it('suggests the secret variable names the README uses', async () => {
    expect(await problems(qbo(`${secrets}  client_secret: s3cr3t-value`))).toEqual([
      '9:18 secret_literal: client_secret must come from an environment variable, e.g. ${QBO_CLIENT_SECRET}; never write a secret in the file',
    ]);
  });

  it('refuses a target.key the fields never set, naming the fields', async () => {
    expect(await problems(qbo(`${secrets}  client_secret: \${QBO_CLIENT_SECRET}`, '{ object: Customer, key: Id }'))).toEqual([
      "13:38 target_key_not_mapped: target.key 'Id' is never set by the mapping, so no record would carry its key (the mapping sets DisplayName): name a field the mapping sets, or map 'Id'",
    ]);
  });

  it('takes a dotted key by its first field', async () => {
    expect(
      await problems(
        qbo(`${secrets}  client_secret: \${QBO_CLIENT_SECRET}`, '{ object: Customer, key: DisplayName.text }', 'fields: { DisplayName: company }'),
      ),
    ).toEqual([]);
  });
});

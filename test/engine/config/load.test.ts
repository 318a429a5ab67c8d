import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../../engine/config/load.js';
import { redact } from '../../../engine/log.js';
import { mapRecord } from '../../../engine/transform/mapper.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const connectorsDir = 'test/fixtures/connectors';
const full = 'test/fixtures/pipelines/valid/full.yaml';
const env = { BILLING_API_KEY: 'bk_secret_0001', LEDGER_API_KEY: 'lk_secret_0002', LEDGER_COMPANY: 'acme-co' };

/** A pipeline file written to a temporary folder, for cases that need only a few lines. */
function pipelineFile(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ledgersync-config-'));
  const file = join(dir, 'pipeline.yaml');
  writeFileSync(file, body);
  return file;
}

const minimal = (extra = '', source = '', sink = '') => `version: 1
name: minimal
source:
  connector: billing
  site: acme
  api_key: \${BILLING_API_KEY}${source}
sink:
  connector: ledger
  company_id: c1
  api_key: \${LEDGER_API_KEY}${sink}
${extra}streams:
  - name: customers
    endpoint: customers
    target: { object: customer }
    mapping:
      expression: '{ "code": id }'
`;

describe('loadPipeline: a valid pipeline', () => {
  it('compiles into a deeply frozen plan', async () => {
    const { plan, problems } = await loadPipeline(full, { mode: 'run', env, connectorsDir });
    expect(problems).toEqual([]);
    if (!plan) throw new Error('no plan');
    expect(plan.file).toBe(resolve(full));
    expect(plan.dir).toBe(resolve('test/fixtures/pipelines/valid'));
    expect(plan.name).toBe('full-example');
    expect(plan.timezone).toBe('America/New_York');
    // Midnight in New York (EST, UTC-5) on the day DST starts.
    expect(plan.startDate).toBe(Date.UTC(2024, 2, 10, 5) / 1000);
    expect(plan.source.descriptor.name).toBe('billing');
    expect(plan.sink.descriptor.objects?.['journal_entry']?.max_batch).toBe(50);
    expect(plan.options).toEqual({ use_customer_id_as_po: false, memo_prefix: 'Chargebee' });
    expect(plan.lookups['gl_accounts']).toMatchObject({ name: 'gl_accounts', default: '79', hasDefault: true, values: { SAAS: '80', '42': '81' } });
    expect(plan.lookups['gl_accounts']?.position).toEqual({ file: full, line: 26, column: 3 });
    expect(plan.lookups['methods']).toMatchObject({ hasDefault: false, description: '' });
    expect('default' in (plan.lookups['methods'] ?? {})).toBe(false);
    expect(plan.extensions).toEqual({ revenue_recognition: { deferred_revenue_account: '2400', period: 'month' } });

    const [customers, invoices] = plan.streams;
    expect(customers?.name).toBe('customers');
    expect(customers?.mapping.kind).toBe('fields');
    expect(customers?.filter?.path).toBe('/streams/0/filter');
    expect(customers?.filter?.position).toEqual({ file: full, line: 40, column: 13 });
    expect(customers?.target).toEqual({ object: 'customer', key: 'code' });
    expect(invoices?.params).toEqual({ 'status[is]': 'paid', limit_days: '30' });
    expect(invoices?.lookbackSeconds).toBe(300);
    expect(invoices?.batchSize).toBe(25);
    expect(invoices?.mapping.kind).toBe('expression');
    expect(invoices?.position).toEqual({ file: full, line: 47, column: 5 });

    expect(Object.isFrozen(plan)).toBe(true);
    expect(Object.isFrozen(plan.streams)).toBe(true);
    expect(Object.isFrozen(plan.streams[1]?.params)).toBe(true);
    expect(Object.isFrozen(plan.lookups['gl_accounts']?.values)).toBe(true);
    expect(Object.isFrozen(plan.source.config)).toBe(true);
    expect(Object.isFrozen(plan.sink.descriptor.objects)).toBe(true);
    expect(() => {
      (plan.options as Record<string, unknown>)['memo_prefix'] = 'changed';
    }).toThrow(TypeError);
  });

  it('interpolates variables, applies defaults, types plain scalars and drops empty ones', async () => {
    const { plan } = await loadPipeline(full, { mode: 'run', env: { ...env, BILLING_SITE: 'globex' }, connectorsDir });
    expect(plan?.source.config).toEqual({
      connector: 'billing',
      site: 'globex',
      api_key: 'bk_secret_0001',
      rate_limit: { requests: 1000, concurrency: 8 },
    });
    // `${BILLING_BASE_URL:-}` is empty: not set, so no override.
    expect(plan && 'base_url' in plan.source.config).toBe(false);
    // `${LEDGER_SANDBOX:-true}` is a plain scalar: a boolean, as `true` would be; a quoted one stays a string.
    expect(plan?.sink.config).toEqual({ connector: 'ledger', company_id: 'acme-co', api_key: 'lk_secret_0002', sandbox: true });
    const other = await loadPipeline(full, { mode: 'run', env: { ...env, BILLING_SITE: '', LOOKBACK: '60', LEDGER_COMPANY: '42' }, connectorsDir });
    expect(other.plan?.source.config['site']).toBe('acme-test');
    expect(other.plan?.streams[1]?.lookbackSeconds).toBe(60);
    expect(other.plan?.sink.config['company_id']).toBe('42');
  });

  it('registers secret values so no log line prints them', async () => {
    await loadPipeline(full, { mode: 'run', env: { ...env, BILLING_API_KEY: 'bk_never_printed_77' }, connectorsDir });
    expect(redact('key=bk_never_printed_77 company=acme-co')).toBe('key=*** company=acme-co');
  });

  it('warns, at the property and never with its value, of a secret too short to be masked', async () => {
    const file = pipelineFile(minimal());
    const { plan, problems } = await loadPipeline(file, { mode: 'run', env: { ...env, BILLING_API_KEY: 'k9z' }, connectorsDir });
    expect(plan).toBeDefined();
    expect(problems).toEqual([
      expect.objectContaining({
        code: 'secret_too_short',
        severity: 'warning',
        line: 6,
        message: expect.stringContaining('source.api_key is shorter than 4 characters'),
      }),
    ]);
    expect(JSON.stringify(problems)).not.toContain('k9z');
  });

  it('evaluates compiled expressions with the bindings the runner gives', async () => {
    const { plan } = await loadPipeline(full, { mode: 'run', env, connectorsDir });
    const invoices = plan?.streams[1];
    if (invoices?.mapping.kind !== 'expression') throw new Error('expected an expression mapping');
    const bindings = {
      options: plan?.options,
      deleted: false,
      ref: (stream: string, id: string) => `${stream}:${id}`,
      lookup: (table: string, key: string) => `${table}/${key}`,
      money: (amount: number, currency: string) => `${amount} ${currency}`,
    };
    const out = await invoices.mapping.expression.evaluate(
      { id: 'inv_1', customer_id: 'cus_9', currency_code: 'JPY', line_items: [{ entity_id: 'SAAS', amount: 1200 }] },
      bindings,
    );
    expect(out).toEqual({
      number: 'inv_1',
      customer: 'customers:cus_9',
      memo: 'Chargebee inv_1',
      lines: { account: 'gl_accounts/SAAS', amount: '1200 JPY' },
      _action: 'upsert',
    });
    const customers = plan?.streams[0];
    expect(await customers?.filter?.evaluate({}, { deleted: true })).toBe(false);
  });

  it('takes an ISO date-time start_date with or without offset', async () => {
    const zoned = await loadPipeline(pipelineFile(minimal('start_date: "2024-01-01T12:00:00+02:00"\n')), { mode: 'run', env, connectorsDir });
    expect(zoned.plan?.startDate).toBe(Date.UTC(2024, 0, 1, 10) / 1000);
    const local = await loadPipeline(pipelineFile(minimal('timezone: Asia/Tokyo\nstart_date: 2024-07-01T09:30\n')), { mode: 'run', env, connectorsDir });
    expect(local.plan?.startDate).toBe(Date.UTC(2024, 6, 1, 0, 30) / 1000);
    const utc = await loadPipeline(pipelineFile(minimal('start_date: 2024-02-29\n')), { mode: 'run', env, connectorsDir });
    expect(utc.plan?.startDate).toBe(Date.UTC(2024, 1, 29) / 1000);
    const impossible = await loadPipeline(pipelineFile(minimal('start_date: 2023-02-29\n')), { mode: 'run', env, connectorsDir });
    expect(impossible.problems.map((p) => [p.line, p.column, p.message])).toEqual([
      [11, 13, "start_date '2023-02-29' is not a real date (YYYY-MM-DD or an ISO 8601 date-time)"],
    ]);
  });
});

describe('loadPipeline: start_date on every path a record takes', () => {
  it('skips a record dated before start_date on the field its endpoint is filtered by, however it arrives', async () => {
    const invoices = minimal('start_date: 2024-02-01\n').replace('endpoint: customers', 'endpoint: invoices');
    const { plan } = await loadPipeline(pipelineFile(invoices), { mode: 'run', env, connectorsDir });
    const stream = plan!.streams[0]!;
    expect(stream.startsAt).toEqual({ field: 'date', seconds: Date.UTC(2024, 1, 1) / 1000 });
    const record = (date: number) => ({ id: 'inv_1', deleted: false, data: { id: 'inv_1', date } });
    expect(await mapRecord(stream, record(Date.UTC(2024, 0, 31) / 1000), {})).toEqual({ kind: 'filtered', beforeStart: true });
    expect(await mapRecord(stream, record(Date.UTC(2024, 1, 1) / 1000), {})).toMatchObject({ kind: 'mapped' });
    // An endpoint read without a start_date filter (customers) is not bounded by it.
    const customers = await loadPipeline(pipelineFile(minimal('start_date: 2024-02-01\n')), { mode: 'run', env, connectorsDir });
    expect(customers.plan!.streams[0]!.startsAt).toBeUndefined();
  });
});

describe('loadPipeline: connectors and extensions', () => {
  it('validates an extension block with the schema its connector declares', async () => {
    const file = pipelineFile(minimal('revenue_recognition:\n  period: week\n'));
    const { problems, plan } = await loadPipeline(file, { mode: 'run', env, connectorsDir });
    expect(plan).toBeUndefined();
    expect(problems.map((p) => [p.line, p.column, p.code, p.message])).toEqual([
      [11, 1, 'schema_required', 'revenue_recognition.deferred_revenue_account is required'],
      [12, 11, 'extension_schema', 'revenue_recognition.period must be one of "month", "quarter", not "week"'],
    ]);
  });

  it('rejects a top-level key that no connector of the pipeline declares', async () => {
    const file = pipelineFile(minimal('stream: []\nrevenue_recognitions: {}\n'));
    const { problems } = await loadPipeline(file, { mode: 'run', env, connectorsDir });
    expect(problems.map((p) => [p.line, p.column, p.message])).toEqual([
      [11, 1, "unknown property 'stream' in the pipeline (did you mean 'streams'?)"],
      [12, 1, "unknown property 'revenue_recognitions' in the pipeline (did you mean 'revenue_recognition'?)"],
    ]);
  });

  it('rejects a connector in a role it does not have, and a connection property it does not declare', async () => {
    const file = pipelineFile(
      minimal('', '\n  region: eu', '').replace('sink:\n  connector: ledger', 'sink:\n  connector: billing').replace('company_id: c1', 'site: other'),
    );
    const { problems } = await loadPipeline(file, { mode: 'run', env, connectorsDir });
    expect(problems.map((p) => [p.line, p.column, p.code, p.message])).toEqual([
      [7, 3, 'schema_unknown_property', "unknown property 'region' in source (billing connection)"],
      [9, 14, 'connector_role', "connector 'billing' cannot be a sink: it is a source connector"],
    ]);
  });

  it('checks target objects and batch sizes against the sink descriptor', async () => {
    const body = minimal().replace('target: { object: customer }', 'target: { object: journal_entries }\n    batch_size: 80');
    const { problems } = await loadPipeline(pipelineFile(body), { mode: 'run', env, connectorsDir });
    expect(problems.map((p) => [p.line, p.column, p.code, p.message])).toEqual([
      [14, 23, 'unknown_object', "unknown target object 'journal_entries' for sink connector 'ledger' (did you mean 'journal_entry'?)"],
    ]);
    const tooBig = minimal().replace('target: { object: customer }', 'target: { object: journal_entry }\n    batch_size: 80');
    const second = await loadPipeline(pipelineFile(tooBig), { mode: 'run', env, connectorsDir });
    expect(second.problems.map((p) => [p.line, p.column, p.code, p.message])).toEqual([
      [15, 17, 'batch_too_large', 'batch_size 80 is more than ledger accepts for journal_entry (at most 50)'],
    ]);
  });

  it('reports a broken descriptor in its own file, once, and the pipeline line that uses it', async () => {
    const body = minimal().replace('connector: billing\n  site: acme\n  api_key: ${BILLING_API_KEY}', 'connector: broken-descriptor\n  token: x');
    const file = pipelineFile(body);
    const { problems } = await loadPipeline(file, { mode: 'run', env, connectorsDir });
    const descriptor = 'test/fixtures/connectors/broken-descriptor/connector.yaml';
    expect(problems.map((p) => [p.file === file ? 'pipeline' : p.file, p.line, p.column, p.message])).toEqual([
      [
        'pipeline',
        4,
        14,
        "connector 'broken-descriptor' has an invalid descriptor (test/fixtures/connectors/broken-descriptor/connector.yaml); see the problems reported there",
      ],
      [descriptor, 7, 5, 'connection.properties.token.description is required'],
      [
        descriptor,
        10,
        9,
        'auth.type must be one of none, basic, api_key_header, bearer, oauth2_refresh_token, session, not "bearer_token" (did you mean \'bearer\'?)',
      ],
      [descriptor, 12, 1, 'paging.skip_param is required'],
      [descriptor, 12, 1, 'paging.page_size is required'],
      [descriptor, 16, 3, 'endpoints.things.description is required'],
    ]);
  });

  it('refuses a literal secret given through a default, and accepts an empty default', async () => {
    const literal = minimal().replace('api_key: ${BILLING_API_KEY}', 'api_key: ${BILLING_API_KEY:-bk_live_123}');
    const { problems } = await loadPipeline(pipelineFile(literal), { mode: 'run', env, connectorsDir });
    expect(problems.map((p) => [p.line, p.column, p.code])).toEqual([[6, 12, 'secret_literal']]);
    expect(problems[0]?.message).toBe('api_key must come from an environment variable, e.g. ${BILLING_API_KEY}; never write a secret in the file');
    const empty = minimal().replace('api_key: ${BILLING_API_KEY}', 'api_key: "${BILLING_API_KEY:-}"');
    const second = await loadPipeline(pipelineFile(empty), { mode: 'run', env, connectorsDir });
    expect(second.problems).toEqual([]);
  });

  it('in validate mode, does not call a property missing when an unset ${VAR:-} emptied it', async () => {
    const body = minimal().replace('site: acme', 'site: ${BILLING_SITE:-}');
    const validate = await loadPipeline(pipelineFile(body), { mode: 'validate', env: {}, connectorsDir });
    expect(validate.problems).toEqual([]);
    const run = await loadPipeline(pipelineFile(body), { mode: 'run', env, connectorsDir });
    expect(run.problems.map((p) => [p.line, p.column, p.message])).toEqual([[3, 1, 'source.site is required']]);
  });

  it('reports a missing file', async () => {
    const { problems } = await loadPipeline('test/fixtures/pipelines/nope.yaml', { mode: 'validate', env, connectorsDir });
    expect(problems).toEqual([
      {
        code: 'file_unreadable',
        file: 'test/fixtures/pipelines/nope.yaml',
        path: '',
        line: 1,
        column: 1,
        message: 'cannot read test/fixtures/pipelines/nope.yaml: no such file',
        severity: 'error',
      },
    ]);
  });
});

describe('loadPipeline: schema wording', () => {
  it('says which of expression or fields a mapping needs', async () => {
    const neither = minimal().replace(`expression: '{ "code": id }'`, 'field: {}');
    const a = await loadPipeline(pipelineFile(neither), { mode: 'run', env, connectorsDir });
    expect(a.problems.map((p) => [p.line, p.column, p.message])).toEqual([[15, 5, "streams[0].mapping needs 'expression' or 'fields'"]]);
    const both = minimal().replace(`expression: '{ "code": id }'`, `expression: 'id'\n      fields: { a: id }`);
    const b = await loadPipeline(pipelineFile(both), { mode: 'run', env, connectorsDir });
    expect(b.problems.map((p) => [p.line, p.column, p.message])).toEqual([[15, 5, "streams[0].mapping must have only one of 'expression' or 'fields'"]]);
    const badField = minimal().replace(`expression: '{ "code": id }'`, 'fields: { a: 12 }');
    const c = await loadPipeline(pipelineFile(badField), { mode: 'run', env, connectorsDir });
    expect(c.problems.map((p) => [p.line, p.column, p.message])).toEqual([[16, 20, 'streams[0].mapping.fields.a must be a string, not 12']]);
  });

  it('names the pipeline-level problems: version, missing blocks, empty streams', async () => {
    const file = pipelineFile('version: 2\nname: x\nstreams: []\n');
    const { problems } = await loadPipeline(file, { mode: 'run', env, connectorsDir });
    expect(problems.map((p) => [p.line, p.column, p.message])).toEqual([
      [1, 1, 'source is required'],
      [1, 1, 'sink is required'],
      [1, 10, 'version must be 1, not 2'],
      [3, 1, 'streams must have at least 1 item'],
    ]);
  });

  it('rejects a file that is not a mapping, or holds two documents', async () => {
    const list = await loadPipeline(pipelineFile('- a\n- b\n'), { mode: 'run', env, connectorsDir });
    expect(list.problems.map((p) => [p.line, p.column, p.message])).toEqual([
      [1, 1, 'a pipeline is a YAML mapping with version, name, source, sink and streams'],
    ]);
    const two = await loadPipeline(pipelineFile(minimal() + '---\nname: other\n'), { mode: 'run', env, connectorsDir });
    expect(two.problems.map((p) => [p.line, p.column, p.code])).toEqual([[17, 1, 'yaml_syntax']]);
  });
});

/** `ledgersync validate` on a pipeline writing to the sql sink: every mistake in the tables at its line and column. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblems, validateFiles } from '../../../engine/config/validate.js';
import { tempDir } from '../../e2e/helpers.js';
import { installedConnectors } from '../../../app/registry.js';

const work = tempDir('ledgersync-sql-validate-');
afterAll(() => work.cleanup());

function pipeline(tables: string, streams = ''): string {
  return `version: 1
name: metrics
source:
  connector: chargebee
  site: \${CHARGEBEE_SITE}
  api_key: \${CHARGEBEE_API_KEY}
sink:
  connector: sql
  url: \${METRICS_DATABASE_URL}
  tables:
${tables}
streams:
  - name: customers
    endpoint: customers
    target: { object: customers }
    mapping:
      fields: { id: id }
${streams}`;
}

const COLUMN_NAMES = '^(?!(deleted_at|tableoid|xmin|cmin|xmax|cmax|ctid)$)[a-z_][a-z0-9_]{0,62}$';

async function problems(text: string): Promise<string[]> {
  const file = join(work.dir, `p${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, text);
  const result = await validateFiles([file], { connectorsDir: installedConnectors.descriptorsDir, env: {} });
  return formatProblems(result.problems, 'text')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.slice(file.length + 1));
}

describe('validate: sql sink tables', () => {
  it('accepts a well-formed declaration', async () => {
    const ok = pipeline(`    customers:
      primary_key: [id]
      columns:
        id: { type: text }
        amount: { type: decimal, nullable: false }
      indexes: [[amount]]`);
    expect(await problems(ok)).toEqual([]);
  });

  it('reports each mistake at its line and column', async () => {
    const broken = pipeline(
      `    customers:
      primary_key: [idd]
      columns:
        id: { type: text }
        amount: { type: decimel }
        deleted_at: { type: timestamp }
        Name: { type: text }
      indexes: [[id, amout]]
    lines:
      columns:
        id: { type: text, nulable: true }`,
      `  - name: invoices
    endpoint: invoices
    target: { object: invoice }
    mapping:
      fields: { id: id }`,
    );
    expect(await problems(broken)).toEqual([
      "12:21: 'idd' is not a column declared in sink.tables.customers.columns (did you mean 'id'?)",
      '15:25: sink.tables.customers.columns.amount.type must be one of "text", "integer", "decimal", "boolean", "timestamp", "date", "json", not "decimel" (did you mean \'decimal\'?)',
      `16:9: 'deleted_at' is not a valid name in sink.tables.customers.columns (names must match ${COLUMN_NAMES})`,
      `17:9: 'Name' is not a valid name in sink.tables.customers.columns (names must match ${COLUMN_NAMES})`,
      "18:22: 'amout' is not a column declared in sink.tables.customers.columns (did you mean 'amount'?)",
      '19:5: sink.tables.lines.primary_key is required',
      "21:27: unknown property 'nulable' in sink.tables.lines.columns.id (did you mean 'nullable'?)",
      "30:23: unknown target object 'invoice' for sink connector 'sql' (not declared in sink.tables)",
    ]);
  });

  it('refuses names a database keeps for itself: sqlite_… tables, PostgreSQL system columns, pg_… schemas', async () => {
    const text = pipeline(
      `    customers:
      primary_key: [id]
      columns:
        id: { type: text }
        xmin: { type: integer }
        ctid: { type: text }
    sqlite_events:
      primary_key: [id]
      columns:
        id: { type: text }`,
    ).replace('  url: ${METRICS_DATABASE_URL}\n', '  url: ${METRICS_DATABASE_URL}\n  schema: pg_metrics\n');
    expect(await problems(text)).toEqual([
      '10:11: sink.schema "pg_metrics" does not match the pattern ^(?!pg_)[a-z_][a-z0-9_]{0,62}$',
      `16:9: 'xmin' is not a valid name in sink.tables.customers.columns (names must match ${COLUMN_NAMES})`,
      `17:9: 'ctid' is not a valid name in sink.tables.customers.columns (names must match ${COLUMN_NAMES})`,
      "18:5: 'sqlite_events' is not a valid name in sink.tables (names must match ^(?!sqlite_)[a-z][a-z0-9_]{0,62}$)",
    ]);
  });

  it('requires tables and refuses a literal database URL', async () => {
    const text = `version: 1
name: metrics
source:
  connector: chargebee
  site: acme
  api_key: \${CHARGEBEE_API_KEY}
sink:
  connector: sql
  url: postgres://u:hunter22@db:5432/m
streams:
  - { name: customers, endpoint: customers, target: { object: customers }, mapping: { fields: { id: id } } }
`;
    const found = await problems(text);
    expect(found).toEqual([
      '7:1: sink.tables is required',
      '9:8: url must come from an environment variable, e.g. ${METRICS_DATABASE_URL}; never write a secret in the file',
    ]);
    expect(found.join('\n')).not.toContain('hunter22');
  });
});

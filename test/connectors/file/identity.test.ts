/** What identifies a file source's record: declared columns or a group, never the row's position in the file. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { loadPipeline } from '../../../engine/config/load.js';
import { silentLogger } from '../../../engine/log.js';
import { runPipeline } from '../../../engine/run/runner.js';
import { readTypedRows, rowsToRecords, type FileEndpoint } from '../../../connectors/file/index.js';
import { startFakeDualEntry, type FakeDualEntry } from '../../fakes/dualentry/index.js';

const pipelineText = (name: string, exportFile: string, identity: string) => `version: 1
name: ${name}
timezone: UTC
source:
  connector: file
  files:
    journals:
      path: ${exportFile}
      format: csv
      columns:
        journal: { column: "Journal", required: true }
        date: { column: "Date", type: date, required: true }
        amount: { column: "Amount", type: decimal, required: true }
        description: { column: "Description" }
${identity}
sink:
  connector: dualentry
  api_key: \${DUALENTRY_API_KEY}
  company_id: "\${DUALENTRY_COMPANY_ID}"
  base_url: \${DUALENTRY_BASE_URL:-}
  record_status: draft
streams:
  - name: journals
    endpoint: journals
    target: { object: journal_entry, key: memo }
    mapping:
      expression: |
        {
          "date": date,
          "memo": "Export " & journal,
          "currency": "USD",
          "lines": [
            { "account_number": "2400", "debit": amount, "memo": description },
            { "account_number": "4000", "credit": amount, "memo": description }
          ]
        }
`;

let ledger: FakeDualEntry;
let dir: string;
beforeAll(async () => {
  ledger = await startFakeDualEntry();
  dir = mkdtempSync(join(tmpdir(), 'ledgersync-file-identity-'));
});
afterAll(async () => {
  await ledger.close();
});
const env = () => ({ DUALENTRY_API_KEY: ledger.apiKey, DUALENTRY_COMPANY_ID: String(ledger.companyId), DUALENTRY_BASE_URL: ledger.url });

/** Net amount in effect per journal memo: entries minus their reversals. */
function netPosted(): Record<string, number> {
  const net: Record<string, number> = {};
  for (const entry of ledger.state.entries) {
    const memo = entry.memo.replace(/ \[.*\]$/, '');
    const name = memo.replace(/^Reversal of /, '');
    net[name] = (net[name] ?? 0) + (memo.startsWith('Reversal of ') ? -1 : 1) * Number(entry.amount);
  }
  return net;
}

async function validate(name: string, identity: string, edit = (text: string) => text) {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, edit(pipelineText(name, 'journals.csv', identity)));
  const { problems } = await loadPipeline(path, { connectorsDir: installedConnectors.descriptorsDir, mode: 'validate', env: env() });
  return problems.filter((p) => p.severity === 'error').map((p) => `${p.line}:${p.column} ${p.code}: ${p.message}`);
}

describe('validate: a file declares what identifies its records', () => {
  it('refuses a file with neither id_columns nor group_by, at the file declaration', async () => {
    // `journals:` is on line 7, column 5.
    expect(await validate('no-identity', '')).toEqual(["7:5 schema_required: source.files.journals needs 'id_columns' or 'group_by'"]);
  });

  it('refuses both at once (the group value is the id), and an empty id_columns', async () => {
    expect(await validate('both', '      id_columns: [journal]\n      group_by: journal')).toEqual([
      "7:5 connection_schema: source.files.journals must have only one of 'id_columns' or 'group_by'",
    ]);
    expect(await validate('empty', '      id_columns: []')).toEqual(['15:7 connection_schema: source.files.journals.id_columns must have at least 1 item']);
  });

  it('reports any other mistake in the file declaration once, whichever identity it gives', async () => {
    expect(await validate('misspelt', '      id_columns: [journal]\n      delimter: ";"')).toEqual([
      "16:7 schema_unknown_property: unknown property 'delimter' in source.files.journals (did you mean 'delimiter'?)",
    ]);
    expect(await validate('no-format', '      group_by: journal', (text) => text.replace('      format: csv\n', ''))).toEqual([
      '7:5 schema_required: source.files.journals.format is required',
    ]);
  });

  it('accepts id_columns or group_by', async () => {
    expect(await validate('by-id', '      id_columns: [journal]')).toEqual([]);
    expect(await validate('by-group', '      group_by: journal')).toEqual([]);
  });
});

describe('rows identified by id_columns, the file edited between runs', () => {
  it('a run of a file that declares no identity stops with exit 2 before anything is posted', async () => {
    writeFileSync(join(dir, 'unidentified.csv'), 'Journal,Date,Amount,Description\nJ-X,2026-10-31,5.00,x\n');
    const pipeline = join(dir, 'unidentified.yaml');
    writeFileSync(pipeline, pipelineText('unidentified', 'unidentified.csv', ''));
    const posted = ledger.state.entries.length;
    const run = await runPipeline({
      connectors: installedConnectors,
      pipelinePath: pipeline,
      statePath: join(dir, 'unidentified.db'),
      env: env(),
      log: silentLogger,
    });
    // Before, the rows were posted under `row-2`, `row-3`…, ids a line added above them would move.
    expect(run.exitCode).toBe(2);
    expect(run.error?.message).toMatch(/unidentified\.yaml:7:5: source\.files\.journals needs 'id_columns' or 'group_by'/);
    expect(ledger.state.entries.length).toBe(posted);
  });

  it('a line break added inside a quoted field, then a blank line, post no journal twice', async () => {
    const file = join(dir, 'journals.csv');
    const header = 'Journal,Date,Amount,Description\n';
    writeFileSync(file, header + 'J-A,2026-10-31,100.00,Deferred revenue\nJ-B,2026-10-31,200.00,Subscriptions\nJ-C,2026-10-31,300.00,Services\n');
    const pipeline = join(dir, 'by-id-run.yaml');
    writeFileSync(pipeline, pipelineText('by-id-run', 'journals.csv', '      id_columns: [journal]'));
    const run = () => runPipeline({ connectors: installedConnectors, pipelinePath: pipeline, statePath: join(dir, 'by-id.db'), env: env(), log: silentLogger });

    expect((await run()).exitCode).toBe(0);
    writeFileSync(file, header + 'J-A,2026-10-31,100.00,"Deferred revenue\nOctober"\nJ-B,2026-10-31,200.00,Subscriptions\nJ-C,2026-10-31,300.00,Services\n');
    expect((await run()).exitCode).toBe(0);
    writeFileSync(
      file,
      header + '\nJ-A,2026-10-31,100.00,"Deferred revenue\nOctober"\n\nJ-B,2026-10-31,200.00,Subscriptions\nJ-C,2026-10-31,300.00,Services\n',
    );
    expect((await run()).exitCode).toBe(0);

    // Before, the rows were `row-2`, `row-3`, `row-4`: the line break moved J-B to row-4, so J-B was in effect twice (400).
    expect(netPosted()).toEqual({ 'Export J-A': 100, 'Export J-B': 200, 'Export J-C': 300 });
    // J-A's new description is the one correction posted: one reversal, one new entry.
    expect(ledger.state.entries.filter((e) => e.memo.startsWith('Reversal of ')).map((e) => e.memo.replace(/ \[.*\]$/, ''))).toEqual([
      'Reversal of Export J-A',
    ]);
  });
});

describe('record ids', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'ledgersync-file-ids-')), 'rows.csv');
  const endpoint = (extra: Partial<FileEndpoint>): FileEndpoint => ({
    path,
    format: 'csv',
    columns: { journal: { column: 'Journal' }, line: { column: 'Line', type: 'integer' }, amount: { column: 'Amount', type: 'decimal' } },
    ...extra,
  });
  const records = async (text: string, extra: Partial<FileEndpoint>) => {
    writeFileSync(path, text);
    return rowsToRecords(endpoint(extra), await readTypedRows(endpoint(extra), path));
  };

  it('are the id columns joined with ":", whatever line the row is on', async () => {
    const found = await records('Journal,Line,Amount\n\nJ-1,1,10.00\nJ-1,2,20.00\n', { id_columns: ['journal', 'line'] });
    expect(found.map((r) => [r.id, r.data['_line']])).toEqual([
      ['J-1:1', 3],
      ['J-1:2', 4],
    ]);
  });

  it('are never the row number: without id_columns or group_by the rows are refused', async () => {
    await expect(records('Journal,Line,Amount\nJ-1,1,10.00\n', {})).rejects.toThrowError(
      expect.objectContaining({
        code: 'invalid_file_source',
        message: `${path} declares neither id_columns nor group_by, and a row's position in the file is no identity (a line added above it would post it again)`,
      }),
    );
  });

  it('refuse a row whose id column is empty, or whose id repeats another row, naming both lines', async () => {
    await expect(records('Journal,Line,Amount\nJ-1,1,10.00\nJ-1,,20.00\n', { id_columns: ['journal', 'line'] })).rejects.toThrow(
      `${path}:3: the id column line is empty`,
    );
    await expect(records('Journal,Line,Amount\nJ-1,1,10.00\n"J-1",1,20.00\n', { id_columns: ['journal', 'line'] })).rejects.toThrow(
      `${path}:3: id "J-1:1" (from journal, line) repeats the row at line 2`,
    );
  });
});

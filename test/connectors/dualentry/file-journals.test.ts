/** A RevRec journal export (CSV or JSON) read by the file source and posted through the DualEntry sink. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../engine/log.js';
import { runPipeline } from '../../../engine/run/runner.js';
import { convertValue, readTypedRows, rowsToRecords } from '../../../connectors/file/index.js';
import { parseCsvRecords } from '../../../connectors/file/parse.js';
import { startFakeDualEntry, type FakeDualEntry } from '../../fakes/dualentry/index.js';
import { installedConnectors } from '../../../app/registry.js';

const HEADER = 'Journal ID,Posting Date,Account Number,Debit,Credit,Currency,Description\n';
const EXPORT =
  HEADER +
  'J-2026-10-1,2026-10-31,2400,1500.00,,USD,"Deferred revenue released, October"\n' +
  'J-2026-10-1,2026-10-31,4000,,1500.00,USD,Subscription revenue\n' +
  'J-2026-10-2,2026-10-31,4900,25.50,,USD,Discounts\r\n' +
  'J-2026-10-2,2026-10-31,2400,,25.50,USD,Discounts released\n' +
  'J-2026-10-3,2026-10-31,2400,10.00,,USD,Does not balance\n' +
  'J-2026-10-3,2026-10-31,4000,,9.99,USD,Does not balance\n';

const pipelineText = (exportFile: string) => `
version: 1
name: revrec-export-to-dualentry
timezone: UTC
source:
  connector: file
  files:
    journal_lines:
      path: ${exportFile}
      format: csv
      columns:
        journal: { column: "Journal ID", required: true }
        date: { column: "Posting Date", type: date, required: true }
        account: { column: "Account Number", required: true }
        debit: { column: "Debit", type: decimal }
        credit: { column: "Credit", type: decimal }
        currency: { column: "Currency", required: true }
        description: { column: "Description" }
      group_by: journal
sink:
  connector: dualentry
  api_key: \${DUALENTRY_API_KEY}
  company_id: "\${DUALENTRY_COMPANY_ID}"
  base_url: \${DUALENTRY_BASE_URL:-}
  record_status: draft
streams:
  - name: revrec_export
    endpoint: journal_lines
    target: { object: journal_entry, key: memo }
    mapping:
      expression: |
        {
          "date": lines[0].date,
          "memo": "Chargebee RevRec export " & journal,
          "currency": lines[0].currency,
          "lines": [lines.{ "account_number": account, "debit": debit, "credit": credit, "memo": description }]
        }
`;

let ledger: FakeDualEntry;
let dir: string;
beforeAll(async () => {
  ledger = await startFakeDualEntry();
  dir = mkdtempSync(join(tmpdir(), 'ledgersync-file-'));
});
afterAll(async () => {
  await ledger.close();
});
const env = () => ({ DUALENTRY_API_KEY: ledger.apiKey, DUALENTRY_COMPANY_ID: String(ledger.companyId), DUALENTRY_BASE_URL: ledger.url });

describe('file source', () => {
  it('parses RFC 4180 CSV: quotes, doubled quotes, embedded newlines, CRLF and a BOM', () => {
    const records = parseCsvRecords('\ufeffa,b\r\n"x, y","say ""hi"""\n"two\nlines",z');
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 3, fields: ['two\nlines', 'z'] },
    ]);
  });

  it('types values as declared and keeps decimals exact', () => {
    expect(convertValue(' 0012.50 ', 'decimal')).toBe('12.50');
    expect(convertValue(0.1, 'decimal')).toBe('0.1');
    expect(convertValue('2026-10-31T00:00:00Z', 'date')).toBe('2026-10-31');
    expect(() => convertValue('2026-02-30', 'date')).toThrow(/YYYY-MM-DD/);
    expect(() => convertValue('1,234.00', 'decimal')).toThrow(/decimal amount/);
    expect(convertValue('', 'integer')).toBeNull();
  });

  it('reads JSON under records_path and groups rows into one record per journal', async () => {
    const path = join(dir, 'export.json');
    writeFileSync(
      path,
      JSON.stringify({
        data: {
          lines: [
            { journal: 'A', amount: { value: '1.00' } },
            { journal: 'B', amount: { value: '2.00' } },
            { journal: 'A', amount: { value: '3.00' } },
          ],
        },
      }),
    );
    const endpoint = {
      path,
      format: 'json' as const,
      records_path: 'data.lines',
      columns: { journal: { column: 'journal' }, amount: { column: 'amount.value', type: 'decimal' as const } },
      group_by: 'journal',
    };
    const records = rowsToRecords(endpoint, await readTypedRows(endpoint, path));
    expect(records.map((r) => [r.id, (r.data['lines'] as Array<{ amount: string }>).map((l) => l.amount)])).toEqual([
      ['A', ['1.00', '3.00']],
      ['B', ['2.00']],
    ]);
  });

  it('names the file, line and column of a bad value', async () => {
    const path = join(dir, 'bad.csv');
    writeFileSync(path, HEADER + 'J-1,2026-10-31,2400,12.5x,,USD,x\n');
    const endpoint = { path, format: 'csv' as const, columns: { debit: { column: 'Debit', type: 'decimal' as const } } };
    await expect(readTypedRows(endpoint, path)).rejects.toThrow(`${path}:2: column "Debit": expected a decimal amount like 1234.56, found "12.5x"`);
    const missing = { ...endpoint, columns: { debit: { column: 'Amount' } } };
    await expect(readTypedRows(missing, path)).rejects.toThrow(/:1: the header has no column "Amount"/);
  });
});

describe('RevRec export → DualEntry', () => {
  it('posts each balanced journal once, dead-letters an unbalanced one, and reverses a changed one', async () => {
    writeFileSync(join(dir, 'revrec-export.csv'), EXPORT);
    const pipeline = join(dir, 'export.yaml');
    writeFileSync(pipeline, pipelineText('revrec-export.csv'));
    const statePath = join(dir, 'export.db');

    const first = await runPipeline({ connectors: installedConnectors, pipelinePath: pipeline, statePath, env: env(), log: silentLogger });
    expect(first.error).toBeUndefined();
    expect(first.exitCode).toBe(1);
    expect(first.streams['revrec_export']).toMatchObject({ read: 3, created: 2, failed: 1 });
    expect(ledger.state.entries.map((e) => [e.memo.replace(/ \[.*\]$/, ''), e.date, e.amount, e.record_status])).toEqual([
      ['Chargebee RevRec export J-2026-10-1', '2026-10-31', '1500.00', 'draft'],
      ['Chargebee RevRec export J-2026-10-2', '2026-10-31', '25.50', 'draft'],
    ]);
    expect(ledger.state.entries[0]!.items[0]!.memo).toBe('Deferred revenue released, October');

    const second = await runPipeline({ connectors: installedConnectors, pipelinePath: pipeline, statePath, env: env(), log: silentLogger });
    // The runner retries the dead letter and then reads the file again, so the bad journal fails twice.
    expect(second.streams['revrec_export']).toMatchObject({ created: 0, updated: 0, skipped: 2 });
    expect(second.exitCode).toBe(1);
    expect(ledger.state.entries).toHaveLength(2);

    writeFileSync(join(dir, 'revrec-export.csv'), EXPORT.replaceAll('1500.00', '1490.00').replace('9.99', '10.00'));
    const third = await runPipeline({ connectors: installedConnectors, pipelinePath: pipeline, statePath, env: env(), log: silentLogger });
    // The runner first retries the stale dead letter (the old, unbalanced J-3), then reads the corrected file.
    expect(third.streams['revrec_export']).toMatchObject({ created: 1, updated: 1 });
    expect(ledger.state.entries.map((e) => [e.memo.replace(/ \[.*\]$/, ''), e.amount])).toEqual([
      ['Chargebee RevRec export J-2026-10-1', '1500.00'],
      ['Chargebee RevRec export J-2026-10-2', '25.50'],
      ['Reversal of Chargebee RevRec export J-2026-10-1', '1500.00'],
      ['Chargebee RevRec export J-2026-10-1', '1490.00'],
      ['Chargebee RevRec export J-2026-10-3', '10.00'],
    ]);
    const fourth = await runPipeline({ connectors: installedConnectors, pipelinePath: pipeline, statePath, env: env(), log: silentLogger });
    expect(fourth).toMatchObject({ exitCode: 0, streams: { revrec_export: { created: 0, updated: 0, failed: 0 } } });
    expect(ledger.state.entries).toHaveLength(5);
  });

  it('a bad value in the export stops the run with exit 2 and the file position', async () => {
    writeFileSync(join(dir, 'broken.csv'), HEADER + 'J-1,2026-10-31,2400,1.234,,USD,x\nJ-1,2026-13-01,4000,,1.23,USD,x\n');
    const pipeline = join(dir, 'broken.yaml');
    writeFileSync(pipeline, pipelineText('broken.csv'));
    const summary = await runPipeline({
      connectors: installedConnectors,
      pipelinePath: pipeline,
      statePath: join(dir, 'broken.db'),
      env: env(),
      log: silentLogger,
    });
    expect(summary.exitCode).toBe(2);
    expect(summary.error!.message).toMatch(/broken\.csv:3: column "Posting Date": expected a date YYYY-MM-DD, found "2026-13-01"/);
  });
});

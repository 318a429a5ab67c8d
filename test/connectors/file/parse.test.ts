import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTypedRows, type FileEndpoint } from '../../../connectors/file/index.js';
import { csvRows, parseCsvRecords } from '../../../connectors/file/parse.js';

const dir = mkdtempSync(join(tmpdir(), 'ledgersync-csv-'));
function csvFile(name: string, text: string): { path: string; endpoint: FileEndpoint } {
  const path = join(dir, name);
  writeFileSync(path, text);
  return { path, endpoint: { path, format: 'csv', columns: { account: { column: 'Account' }, memo: { column: 'Memo' } } } };
}

describe('CSV records', () => {
  it('numbers each record by the line it starts on, over blank lines, quoted line breaks and every line ending', () => {
    const text = '\ufeff\r\nAccount,Memo\r\n4000,"two\r\nlines"\n\n4010,"a ""quoted"" word, and a comma"\r4020,last';
    expect(parseCsvRecords(text)).toEqual([
      { line: 2, fields: ['Account', 'Memo'] },
      { line: 3, fields: ['4000', 'two\r\nlines'] },
      { line: 6, fields: ['4010', 'a "quoted" word, and a comma'] },
      { line: 7, fields: ['4020', 'last'] },
    ]);
  });

  it('keeps a quote inside an unquoted field as text, skips a line holding only "", and splits on the declared delimiter', () => {
    expect(parseCsvRecords('Account;Memo\n4000;27" monitor\n""\n4010;"x;y"\n', ';')).toEqual([
      { line: 1, fields: ['Account', 'Memo'] },
      { line: 2, fields: ['4000', '27" monitor'] },
      { line: 4, fields: ['4010', 'x;y'] },
    ]);
  });

  it('trims header names, keeps values as written, and gives nothing for an empty file', () => {
    expect(csvRows(' Account , Memo \n 4000 ,x\n', ',')).toEqual({
      header: ['Account', 'Memo'],
      rows: [{ line: 2, values: { Account: ' 4000 ', Memo: 'x' } }],
    });
    expect(csvRows('', ',')).toEqual({ header: [], rows: [] });
  });
});

describe('malformed CSV stops the run at file:line', () => {
  it('an unclosed quote names the line its row starts on', async () => {
    const { path, endpoint } = csvFile('unclosed.csv', 'Account,Memo\n4000,fine\n\n4010,"never closed\n4020,x\n');
    await expect(readTypedRows(endpoint, path)).rejects.toThrowError(
      expect.objectContaining({ code: 'invalid_file_source', kind: 'config', message: `${path}:4: row has a quoted field that is not closed` }),
    );
  });

  it('a row with more or fewer fields than the header names its line and both counts', async () => {
    const { path, endpoint } = csvFile('ragged.csv', 'Account,Memo\n4000,"a\nb"\n4010,x,extra\n');
    await expect(readTypedRows(endpoint, path)).rejects.toThrow(`${path}:4: row has 3 fields, the header has 2`);
  });
});

describe('a CSV header naming a declared column twice', () => {
  it('is refused at the header line, naming the column and both fields, rather than read from the last one', async () => {
    // An export with the amount in transaction currency and again in base currency, both headed "Amount".
    const path = join(dir, 'repeated.csv');
    writeFileSync(path, '\ufeff\nJournal,Amount,Currency,Amount,Currency\nJ-1,100.00,EUR,-108.50,USD\n');
    const endpoint: FileEndpoint = { path, format: 'csv', columns: { journal: { column: 'Journal' }, amount: { column: 'Amount', type: 'decimal' } } };
    // Before, the row read { journal: 'J-1', amount: '-108.50' }: the base-currency amount, sign and currency wrong.
    await expect(readTypedRows(endpoint, path)).rejects.toThrowError(
      expect.objectContaining({
        code: 'invalid_file_source',
        message: `${path}:2: the header names "Amount" twice (fields 2 and 4, spreadsheet columns B and D): which one the pipeline's column "Amount" reads would be a guess`,
        fix: 'rename or drop, in the export, the one the pipeline must not read, so the header names the column once',
      }),
    );
  });

  it('is read when the repeated column is not one the pipeline declares', async () => {
    const path = join(dir, 'repeated-unused.csv');
    writeFileSync(path, 'Journal,Amount,Currency,Amount,Currency\nJ-1,100.00,EUR,-108.50,USD\n');
    const endpoint: FileEndpoint = { path, format: 'csv', columns: { journal: { column: 'Journal' } } };
    expect((await readTypedRows(endpoint, path)).map((r) => r.values)).toEqual([{ journal: 'J-1' }]);
  });

  it('names a field past Z as a spreadsheet does', () => {
    const header = [...Array.from({ length: 27 }, (_, i) => `c${i + 1}`), 'c2'].join(',');
    expect(() => csvRows(`${header}\n`, ',', ['c2'])).toThrow('fields 2 and 28, spreadsheet columns B and AB');
  });
});

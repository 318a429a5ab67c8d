/**
 * `ledgersync check` against the fake Sage Intacct: the GL accounts, locations and departments the
 * example pipeline names through its lookup tables and options, read by readByQuery with their STATUS.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { checkPipeline, problemLines } from '../../../engine/run/preflight.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

describe('ledgersync check on Sage Intacct', () => {
  it('a GL account that does not exist and an inactive department: exit 2, one line each at the line to edit; nothing written', async () => {
    const s = (sandbox = await startSandbox({ intacct: { inactive: { departments: ['CS'] } } }));
    s.edit([
      ['pro-USD-monthly: "4010"', 'pro-USD-monthly: "4999"'],
      ['  department_id: ""', '  department_id: CS'],
    ]);
    const report = await checkPipeline({
      connectors: installedConnectors,
      pipelinePath: s.pipelinePath,
      statePath: s.statePath,
      env: s.env,
      log: silentLogger,
    });
    expect(report.exitCode).toBe(2);
    expect(report.source).toMatchObject({ status: 'ok' });
    expect(report.sink).toMatchObject({ connector: 'sage-intacct', status: 'ok' });
    const lines = report.references.filter((r) => r.status !== 'ok').flatMap(problemLines);
    // The line of the file where each value is written.
    const text = readFileSync(s.pipelinePath, 'utf8').split('\n');
    const lineOf = (needle: string) => text.findIndex((l) => l.includes(needle)) + 1;
    expect(lines).toEqual([
      `${s.pipelinePath}:${lineOf('department_id: CS')}: options.department_id = "CS": DEPARTMENT CS is inactive in Sage Intacct ` +
        '(departmentid (stream invoices), departmentid (stream credit_notes), departmentid (stream refund_documents))',
      `${s.pipelinePath}:${lineOf('pro-USD-monthly: "4999"')}: lookups.gl_accounts.values["pro-USD-monthly"] = "4999": Sage Intacct has no GLACCOUNT with ACCOUNTNO 4999 ` +
        '(glaccountno (stream invoices), glaccountno (stream credit_notes))',
    ]);
    expect(report.references.filter((r) => r.status === 'ok').map((r) => `${r.kind} ${r.value}`)).toEqual(
      expect.arrayContaining(['GLACCOUNT 4000', 'LOCATION 200', 'ITEM PRO', 'CHECKINGACCOUNT BOA', 'VENDOR REFUNDS', 'TAXDETAIL VAT 20']),
    );
    // One session, one request of readByQuery functions; no document was written.
    expect(s.intacct.state.requests.flatMap((r) => r.functions).filter((f) => f !== 'readByQuery' && f !== 'getAPISession')).toEqual([]);
    expect(s.intacct.state.customers.size).toBe(0);
  });
});

/**
 * `ledgersync check` against the fake Acumatica tenant, with the example pipeline and the environment
 * a user sets: the sign-in, the endpoint version, and every GL account, subaccount, branch, tax, tax
 * category, payment method and cash account the pipeline names, read with GETs only; the session is
 * signed out afterwards.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { type CheckReport, checkPipeline, problemLines } from '../../../engine/run/preflight.js';
import { DEFAULT_SEED, type FakeAcumaticaOptions } from '../../fakes/acumatica/index.js';
import { type Sandbox, startSandbox } from './e2e-harness.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

function check(s: Sandbox, env: Record<string, string> = s.env): Promise<CheckReport> {
  return checkPipeline({ connectors: installedConnectors, pipelinePath: s.pipelinePath, statePath: s.statePath, env, log: silentLogger });
}

/** The 1-based line of the pipeline copy holding `needle`. */
function lineOf(s: Sandbox, needle: string): number {
  const line =
    readFileSync(s.pipelinePath, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes(needle)) + 1;
  expect(line, needle).toBeGreaterThan(0);
  return line;
}

const problems = (report: CheckReport) => report.references.filter((r) => r.status !== 'ok').flatMap(problemLines);

/** What reached the tenant besides reads: only the sign-in and sign-out a check makes. */
const nonReads = (s: Sandbox) => s.acu.state.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);

function expectSignedOutAndUnchanged(s: Sandbox): void {
  expect(s.acu.state.openSessions).toBe(0);
  expect(s.acu.state.writes).toEqual([]);
}

async function sandboxWith(seed: NonNullable<FakeAcumaticaOptions['seed']>): Promise<Sandbox> {
  return (sandbox = await startSandbox({ acumatica: { seed } }));
}

describe('ledgersync check on Acumatica', () => {
  it.each(['oauth2', 'cookie'] as const)(
    'all good (%s): exit 0, every reference the example names ok, one batched GET per entity, signed out, nothing written',
    async (auth) => {
      const s = (sandbox = await startSandbox({ auth }));
      const report = await check(s);
      expect(report.exitCode, JSON.stringify(report)).toBe(0);
      expect(report.source).toMatchObject({ status: 'ok' });
      expect(report.sink).toEqual({ connector: 'acumatica', status: 'ok', detail: 'credentials accepted' });
      expect(report.references.filter((r) => r.status !== 'ok')).toEqual([]);
      const byKind: Record<string, number> = {};
      for (const r of report.references) byKind[r.kind] = (byKind[r.kind] ?? 0) + 1;
      expect(byKind).toEqual({ Account: 9, Branch: 1, CashAccount: 3, PaymentMethod: 5, Subaccount: 1, Tax: 9, TaxCategory: 2 });
      const answer = (kind: string, value: string) => report.references.find((r) => r.kind === kind && r.value === value)?.answer;
      expect(answer('Account', '40000')).toBe('Account 40000 "Subscription Revenue"');
      expect(answer('Tax', 'NYSTATE')).toBe('Tax NYSTATE "New York State sales tax"');
      expect(answer('Branch', 'MAIN')).toBe('Branch MAIN "Head Office" (Branches of Ledger ACTUAL)');
      expect(answer('CashAccount', '10200')).toBe('CashAccount 10200 (AllowedCashAccounts of PaymentMethod ACH, PaymentMethod CHECK, PaymentMethod WIRE)');

      // The endpoint probe (Customer), then one GET per entity read: payment methods and their cash accounts together.
      const reads = s.acu.state.requests.filter((r) => r.method === 'GET');
      expect(reads.map((r) => r.entity).sort()).toEqual(['Account', 'Customer', 'Ledger', 'PaymentMethod', 'Subaccount', 'Tax', 'TaxCategory']);
      const accounts = reads.find((r) => r.entity === 'Account')!.query;
      expect(accounts['$filter']).toMatch(/^AccountCD eq '\d+'( or AccountCD eq '\d+'){8}$/);
      expect(accounts['$select']).toBe('AccountCD,Active,Description');
      expect(reads.find((r) => r.entity === 'PaymentMethod')!.query).toMatchObject({
        $expand: 'AllowedCashAccounts',
        $select: 'PaymentMethodID,Active,UseInAR,Description,AllowedCashAccounts/CashAccount,AllowedCashAccounts/UseInAR,AllowedCashAccounts/Description',
      });
      expect(nonReads(s)).toEqual(auth === 'cookie' ? ['POST /entity/auth/login', 'POST /entity/auth/logout'] : ['POST /entity/auth/logout']);
      expect(s.acu.state.sessionsClosed).toBe(1);
      expectSignedOutAndUnchanged(s);
    },
  );

  it.each([
    { what: 'a wrong password', auth: 'oauth2', env: { ACUMATICA_PASSWORD: 'not-the-password' }, code: 'acumatica_login_failed', fix: /ACUMATICA_PASSWORD/ },
    { what: 'a wrong password', auth: 'cookie', env: { ACUMATICA_PASSWORD: 'not-the-password' }, code: 'acumatica_login_failed', fix: /ACUMATICA_PASSWORD/ },
    {
      what: 'a wrong client secret',
      auth: 'oauth2',
      env: { ACUMATICA_CLIENT_SECRET: 'not-the-secret' },
      code: 'acumatica_invalid_client',
      fix: /ACUMATICA_CLIENT_SECRET/,
    },
  ] as const)('$what ($auth): exit 3, no reference answered, the error names the fix and no secret', async ({ auth, env, code, fix }) => {
    const s = (sandbox = await startSandbox({ auth }));
    const report = await check(s, { ...s.env, ...env });
    expect(report.exitCode, JSON.stringify(report)).toBe(3);
    expect(report.status).toBe('failed');
    expect(report.sink).toMatchObject({ connector: 'acumatica', status: 'failed', error: { code, kind: 'auth' } });
    expect(report.sink!.error!.fix).toMatch(fix);
    expect(report.references).toEqual([]);
    expect(s.acu.state.requests.filter((r) => r.entity !== undefined)).toEqual([]);
    const printed = JSON.stringify(report);
    for (const secret of [...Object.values(env), s.acu.password, s.acu.clientSecret]) expect(printed).not.toContain(secret);
    expectSignedOutAndUnchanged(s);
  });

  it('a wrong password after an earlier check stored a refresh token: exit 3 still; the check always uses the password grant', async () => {
    const s = (sandbox = await startSandbox());
    expect((await check(s)).exitCode).toBe(0);
    expect(s.acu.state.currentRefreshTokens).toHaveLength(1);
    const report = await check(s, { ...s.env, ACUMATICA_PASSWORD: 'changed-since' });
    expect(report.exitCode, JSON.stringify(report)).toBe(3);
    expect(report.sink).toMatchObject({ status: 'failed', error: { code: 'acumatica_login_failed' } });
    expect(s.acu.state.tokenRequests.map((t) => [t.grantType, t.ok])).toEqual([
      ['password', true],
      ['password', false],
    ]);
    expectSignedOutAndUnchanged(s);
  });

  it('an account missing and a payment method inactive in the tenant: exit 2, one file:line problem line each', async () => {
    const s = await sandboxWith({
      accounts: DEFAULT_SEED.accounts.filter((a) => a.AccountCD !== '40200'),
      paymentMethods: DEFAULT_SEED.paymentMethods.map((m) => (m.PaymentMethodID === 'WIRE' ? { ...m, Active: false } : m)),
    });
    const report = await check(s);
    expect(report.exitCode, JSON.stringify(report)).toBe(2);
    expect(report.status).toBe('problems');
    expect(report.sink).toMatchObject({ status: 'ok' });
    expect(problems(report)).toEqual([
      `${s.pipelinePath}:${lineOf(s, 'SERVICES: "40200"')}: lookups.gl_accounts.values["SERVICES"] = "40200": Acumatica has no Account with AccountCD 40200 ` +
        '(Account (stream invoices), Account (stream credit_notes))',
      `${s.pipelinePath}:${lineOf(s, 'bank_transfer: WIRE')}: lookups.payment_methods.values["bank_transfer"] = "WIRE": ` +
        'PaymentMethod WIRE "Bank transfer" is inactive in Acumatica (Active is false) (PaymentMethod (stream payments), PaymentMethod (stream refunds))',
    ]);
    // ACH and CHECK still allow the cash account WIRE did.
    expect(report.references.find((r) => r.kind === 'CashAccount' && r.value === '10200')).toMatchObject({ status: 'ok' });
    expect(nonReads(s)).toEqual(['POST /entity/auth/logout']);
    expectSignedOutAndUnchanged(s);
  });

  it('a tax past its Not Valid After date, an inactive branch, a cash account no named payment method allows: exit 2', async () => {
    const s = await sandboxWith({
      taxes: DEFAULT_SEED.taxes.map((t) => (t.TaxID === 'KWVAT' ? { ...t, NotValidAfter: '2020-12-31' } : t)),
      branches: [{ BranchID: 'MAIN', BranchName: 'Head Office', Active: false }],
      paymentMethods: DEFAULT_SEED.paymentMethods.map((m) =>
        m.PaymentMethodID === 'CASH' ? { ...m, AllowedCashAccounts: [{ CashAccount: '10200', ARDefault: true }] } : m,
      ),
    });
    const report = await check(s);
    expect(report.exitCode, JSON.stringify(report)).toBe(2);
    expect(problems(report)).toEqual([
      `${s.pipelinePath}:${lineOf(s, '"": MAIN')}: lookups.branches.values[""] = "MAIN": Branch MAIN "Head Office" is inactive in Acumatica ` +
        '(Active is false in Branches of Ledger ACTUAL) (BranchID (stream invoices), Branch (stream invoices), BranchID (stream credit_notes), Branch (stream credit_notes), ' +
        'BranchID (stream payments), Branch (stream payments), BranchID (stream refunds), Branch (stream refunds))',
      `${s.pipelinePath}:${lineOf(s, 'cash: "10100"')}: lookups.cash_accounts.values["cash"] = "10100": Acumatica has no CashAccount 10100: ` +
        'none of PaymentMethod ACH, CARD, CASH, CHECK, WIRE lists it in AllowedCashAccounts (CashAccount (stream payments), CashAccount (stream refunds))',
      `${s.pipelinePath}:${lineOf(s, 'KW VAT: KWVAT')}: lookups.tax_ids.values["KW VAT"] = "KWVAT": Tax KWVAT "Kuwait VAT" is inactive in Acumatica ` +
        '(NotValidAfter 2020-12-31) (TaxDetails.TaxID (stream invoices), TaxDetails.TaxID (stream credit_notes))',
    ]);
    expectSignedOutAndUnchanged(s);
  });

  it('an endpoint version the tenant does not serve: exit 2 naming the versions it serves, signed out', async () => {
    const s = (sandbox = await startSandbox());
    const report = await check(s, { ...s.env, ACUMATICA_ENDPOINT_VERSION: '23.200.001' });
    expect(report.exitCode, JSON.stringify(report)).toBe(2);
    expect(report.sink).toMatchObject({ status: 'failed', error: { code: 'acumatica_endpoint_not_found' } });
    expect(report.sink!.error!.message).toContain('it serves Default/24.200.001');
    expect(report.references).toEqual([]);
    expect(nonReads(s)).toEqual(['POST /entity/auth/logout']);
    expectSignedOutAndUnchanged(s);
  });
});

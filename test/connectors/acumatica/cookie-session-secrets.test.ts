/**
 * The cookie session's secrets are the cookies that authenticate (`.ASPXAUTH`, `ASP.NET_SessionId`)
 * and the Cookie header as sent; `CompanyID` (the tenant's name) and `Locale` are not. Registering
 * every cookie masked the tenant's name in every stored payload, keys included: a company customer's
 * `CompanyName` was stored as `***Name`, in the ledger and the audit trail.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { redact, registeredSecrets } from '../../../engine/secrets.js';
import { type Sandbox, startSandbox } from './e2e-harness.js';

let s: Sandbox;
beforeAll(async () => {
  s = await startSandbox({ auth: 'cookie' });
  const run = await s.run();
  expect(run.exitCode, JSON.stringify(run.error ?? null)).toBe(0);
}, 120_000);
afterAll(async () => {
  await s?.close();
});

function cookiesOf(header: string): Map<string, string> {
  return new Map(header.split('; ').map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
}

it('registers the authenticating cookies and the Cookie header, never CompanyID or Locale', () => {
  const header = registeredSecrets().find((secret) => secret.startsWith('.ASPXAUTH='));
  expect(header, 'the Cookie header is a secret').toBeDefined();
  const cookies = cookiesOf(header!);
  expect([...cookies.keys()].sort()).toEqual(['.ASPXAUTH', 'ASP.NET_SessionId', 'CompanyID', 'Locale']);
  expect(registeredSecrets()).toEqual(expect.arrayContaining([cookies.get('.ASPXAUTH'), cookies.get('ASP.NET_SessionId')]));
  expect(registeredSecrets()).not.toContain(cookies.get('CompanyID'));
  expect(registeredSecrets()).not.toContain(cookies.get('Locale'));
  expect(redact(`tenant ${s.acu.tenant}, CompanyName ${s.acu.tenant} Ltd`)).toBe(`tenant ${s.acu.tenant}, CompanyName ${s.acu.tenant} Ltd`);
  expect(redact(`cookie ${cookies.get('.ASPXAUTH')}`)).toBe('cookie ***');
});

it("keeps a company customer's payload intact in the ledger and the audit trail", () => {
  const company = s.cb.state.all('customers').find((c) => typeof c.company === 'string' && c.company !== '');
  expect(company).toBeDefined();
  const db = new Database(s.statePath, { readonly: true });
  try {
    const row = db.prepare("SELECT payload_json FROM ledger WHERE stream = 'customers' AND source_id = ?").get(company!.id) as { payload_json: string };
    expect(JSON.parse(row.payload_json).data.MainContact.CompanyName).toBe(company!.company);
    expect(db.prepare("SELECT count(*) AS n FROM ledger WHERE payload_json LIKE '%***%'").get()).toEqual({ n: 0 });
    expect(db.prepare("SELECT count(*) AS n FROM audit_log WHERE payload_json LIKE '%***%'").get()).toEqual({ n: 0 });
  } finally {
    db.close();
  }
});

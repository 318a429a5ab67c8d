/**
 * Changing a customer's mapping safely, end to end against the fake Chargebee and the fake
 * QuickBooks Online: `plan` shows exactly what a `run --full-refresh` then does (and writes
 * nothing), `check` proves the pipeline's references against the live company, tokens are never
 * spent by a run that cannot keep them, and `show` answers for one record. The commands go
 * through the built CLI where their exit codes and output are the point (`npm run build` first).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../app/registry.js';
import { silentLogger } from '../../engine/log.js';
import { planPipeline, type PlanReport } from '../../engine/run/change-plan.js';
import { StateStore } from '../../engine/state/store.js';
import { startSandbox, type Sandbox } from '../connectors/quickbooks-online/e2e-harness.js';
import { CLI, ROOT } from './helpers.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));

/** 86 seeded customers: exactly 50 have a company and a person's name that differ. */
const CUSTOMERS = 86;

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function open(customers = CUSTOMERS): Promise<Sandbox> {
  sandbox = await startSandbox({ customers });
  return sandbox;
}

function cli(s: Sandbox, args: string[], env: Record<string, string | undefined> = s.env): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: s.dir,
      env: { PATH: process.env['PATH'], LEDGERSYNC_STATE: s.statePath, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface PlanJson {
  pipeline: string;
  exit_code: number;
  streams: Record<string, Record<string, number>>;
  changes: Array<{ stream: string; source_id: string; action: string; target_id?: string; diff?: Array<{ path: string; before?: unknown; after?: unknown }> }>;
}

interface RunJson {
  exit_code: number;
  streams: Record<string, { created: number; updated: number; written: number; skipped: number; failed: number }>;
  mapping_changes?: Record<string, { documents: number; changed: string[] }>;
}

const writesOf = (s: Sandbox, from: number) => s.qbo.state.writes.slice(from);
const totals = (streams: RunJson['streams'], key: 'created' | 'updated' | 'written') => Object.values(streams).reduce((n, c) => n + c[key], 0);

describe.skipIf(!built)('changing a mapping: plan, then run --full-refresh', () => {
  it('an option that renames 50 customers: plan lists exactly those 50 updates with their diff and writes nothing; the run makes them, and only them; a second run writes nothing', async () => {
    const s = await open();
    expect((await s.run()).exitCode).toBe(0);
    const expected = s.cb.state
      .all('customers')
      .filter((c) => c.company && [c.first_name, c.last_name].filter(Boolean).join(' ').trim() && c.company !== [c.first_name, c.last_name].join(' ').trim())
      .map((c) => c.id)
      .sort();
    expect(expected).toHaveLength(50);

    s.edit([['customer_display_name: company_then_name', 'customer_display_name: name_then_company']]);
    const status = await cli(s, ['status', s.pipelinePath]);
    expect(status.stdout).toContain(`the mapping of stream customers changed (options.customer_display_name) since ${CUSTOMERS} document(s) were written`);

    const writesBefore = s.qbo.state.writes.length;
    const requestsBefore = s.qbo.state.requests.length;
    const stateBefore = snapshot(s);
    const planned = await cli(s, ['plan', s.pipelinePath, '--full-refresh', '--json']);
    expect(planned.code, planned.stderr).toBe(0);
    const plan = JSON.parse(planned.stdout) as PlanJson;
    expect(plan.streams['customers']).toEqual({ create: 0, update: 50, adopt: 0, void: 0, delete: 0, skip: CUSTOMERS - 50, fail: 0 });
    for (const [stream, counts] of Object.entries(plan.streams))
      if (stream !== 'customers') expect(counts, stream).toMatchObject({ create: 0, update: 0, fail: 0 });
    expect(plan.changes.map((c) => c.source_id).sort()).toEqual(expected);
    for (const change of plan.changes) {
      const customer = s.cb.state.get('customers', change.source_id)!;
      const target = s.qbo.state.company.get('Customer', change.target_id!)!;
      expect(change).toMatchObject({ stream: 'customers', action: 'update' });
      // Against what the mapping gave the sink last time (QuickBooks may hold it with " (<id>)" appended, a duplicate name).
      expect(change.diff).toEqual([{ path: 'DisplayName', before: customer.company, after: `${customer.first_name} ${customer.last_name}`.trim() }]);
      expect(String(target['Notes'])).toBe(change.source_id);
    }
    expect(writesOf(s, writesBefore)).toEqual([]);
    expect(s.qbo.state.requests.slice(requestsBefore).filter((r) => r.method === 'POST')).toEqual([]);
    // No checkpoint, ledger entry, dead letter or run was recorded.
    expect(snapshot(s)).toEqual(stateBefore);

    const applied = await cli(s, ['run', s.pipelinePath, '--full-refresh', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    const run = JSON.parse(applied.stdout) as RunJson;
    expect(run.streams['customers']).toMatchObject({ created: 0, updated: 50 });
    expect(totals(run.streams, 'created')).toBe(0);
    expect(totals(run.streams, 'written')).toBe(50);
    expect(run.mapping_changes?.['customers']).toEqual({ stream: 'customers', documents: CUSTOMERS, changed: ['options.customer_display_name'] });
    const updated = writesOf(s, writesBefore);
    expect(updated.every((w) => w.entity === 'Customer' && w.operation === 'update')).toBe(true);
    expect(updated.map((w) => w.id).sort()).toEqual(plan.changes.map((c) => c.target_id).sort());
    expect(s.qbo.state.entities('Customer')).toHaveLength(CUSTOMERS);

    const writesAfter = s.qbo.state.writes.length;
    const again = JSON.parse((await cli(s, ['run', s.pipelinePath, '--full-refresh', '--json'])).stdout) as RunJson;
    expect(totals(again.streams, 'written')).toBe(0);
    expect(again.mapping_changes).toBeUndefined();
    expect(writesOf(s, writesAfter)).toEqual([]);
    expect((await cli(s, ['status', s.pipelinePath])).stdout).not.toContain('the mapping of stream');
  });

  it('a lookup value the invoices read: the plan predicts every update, the run makes exactly those, and a plan after it finds nothing left', async () => {
    const s = await open();
    expect((await s.run()).exitCode).toBe(0);
    const taxed = s.cb.state
      .all('invoices')
      .filter((i) => !i.deleted && (i.taxes ?? []).some((t) => t.name === 'NY State Tax'))
      .map((i) => i.id)
      .sort();
    expect(taxed.length).toBeGreaterThan(0);

    s.edit([['NY State Tax: "4"', 'NY State Tax: "3"']]);
    const writesBefore = s.qbo.state.writes.length;
    const plan = await plan_(s, { streams: ['invoices'], fullRefresh: true });
    expect(plan.exitCode).toBe(0);
    expect(writesOf(s, writesBefore)).toEqual([]);
    const counts = plan.streams['invoices']!;
    expect(counts).toMatchObject({ create: 0, adopt: 0, delete: 0, fail: 0 });
    // Voided invoices are voided in QuickBooks already: their mapping changed, but a void is not sent twice.
    const voided = taxed.filter((id) => s.cb.state.get('invoices', id)!.status === 'voided');
    expect(voided.length).toBeGreaterThan(0);
    expect(counts.void).toBe(0);
    expect(plan.changes.map((c) => c.sourceId).sort()).toEqual(taxed.filter((id) => !voided.includes(id)));
    for (const change of plan.changes.filter((c) => c.action === 'update')) {
      expect(change.diff).toEqual([{ path: 'TxnTaxDetail.TaxLine[0].TaxLineDetail.TaxRateRef.value', before: '4', after: '3' }]);
    }

    const run = await s.run({ streams: ['invoices'], fullRefresh: true });
    expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
    expect(run.streams['invoices']).toMatchObject({ created: 0, updated: counts.update + counts.void, failed: 0 });
    const writes = writesOf(s, writesBefore);
    expect(writes.filter((w) => w.operation === 'create')).toEqual([]);
    expect(writes).toHaveLength(counts.update + counts.void);
    for (const id of taxed.filter((id) => s.cb.state.get('invoices', id)!.status !== 'voided')) {
      const invoice = s.qbo.state.entities('Invoice').find((i) => i['DocNumber'] === id)!;
      const lines = (invoice['TxnTaxDetail'] as { TaxLine: Array<{ TaxLineDetail: { TaxRateRef: { value: string } } }> }).TaxLine;
      expect(lines[0]!.TaxLineDetail.TaxRateRef.value, id).toBe('3');
    }

    const after = await plan_(s, { streams: ['invoices'], fullRefresh: true });
    expect(after.changes).toEqual([]);
    const writesAfter = s.qbo.state.writes.length;
    expect((await s.run({ streams: ['invoices'], fullRefresh: true })).streams['invoices']).toMatchObject({ written: 0 });
    expect(writesOf(s, writesAfter)).toEqual([]);
  });

  it('an incremental plan after the edit lists nothing for records already written, a plan of an unknown stream exits 2 naming the streams, and a target that refuses auth exits 3 with no token lost', async () => {
    const s = await open(12);
    expect((await s.run()).exitCode).toBe(0);
    s.edit([['customer_display_name: company_then_name', 'customer_display_name: name_then_company']]);
    const incremental = await plan_(s, {});
    expect(incremental.changes).toEqual([]);
    expect(incremental.notes).toEqual([
      'the mapping of stream customers changed since 12 document(s) were written (options.customer_display_name): this plan covers only what changed in the source since the last run; plan with --full-refresh to see its effect on what was written',
    ]);

    const unknown = await cli(s, ['plan', s.pipelinePath, '--stream', 'invoice']);
    expect(unknown.code).toBe(2);
    expect(unknown.stdout).toContain("pipeline chargebee-to-quickbooks has no stream 'invoice'");
    expect(unknown.stdout).toContain(
      'use one of: customers, items, invoices, voided_invoices, credit_notes, payments, refund_payouts, refund_applications, credit_note_allocations',
    );

    const refreshToken = s.qbo.state.currentRefreshToken;
    const stored = storedToken(s);
    s.qbo.faults.expireAccessTokens();
    const refused = await cli(s, ['plan', s.pipelinePath, '--full-refresh', '--json'], { ...s.env, QBO_CLIENT_SECRET: 'wrong' });
    expect(refused.code).toBe(3);
    expect(JSON.parse(refused.stdout)).toMatchObject({ status: 'failed', exit_code: 3, error: { code: 'qbo_invalid_client' } });
    expect(refused.stdout).not.toContain('wrong');
    expect(s.qbo.state.currentRefreshToken).toBe(refreshToken);
    expect(storedToken(s)).toBe(stored);
    expect(s.qbo.state.writes.filter((w) => w.operation !== 'create')).toEqual([]);
  });
});

describe.skipIf(!built)('ledgersync check against the live company', () => {
  it('a lookup naming an account QuickBooks does not have, and one naming an inactive account: exit 2, one line each with the table, key, value, answer and file:line; fixed: exit 0', async () => {
    const s = await open(12);
    s.edit([['SAAS-ENT: "80"', 'SAAS-ENT: "81"']]);
    s.qbo.state.company.touch('Account', '79', { Active: false });
    const bad = await cli(s, ['check', s.pipelinePath]);
    expect(bad.code, bad.stdout + bad.stderr).toBe(2);
    const lines = bad.stdout.split('\n');
    // The line each table row is on in the example, as the consultant opens it.
    const lineOf = (text: string) => readFileSync(s.pipelinePath, 'utf8').split('\n').indexOf(text) + 1;
    expect(lines).toContain(
      `chargebee-to-quickbooks.yaml:${lineOf('      SAAS-ENT: "81"')}: lookups.gl_accounts.values["SAAS-ENT"] = "81": QuickBooks has no Account with Id 81 (IncomeAccountRef.value (stream items))`,
    );
    expect(lines).toContain(
      `chargebee-to-quickbooks.yaml:${lineOf('      SUPPORT: "79"')}: lookups.gl_accounts.values["SUPPORT"] = "79": Account 79 "Sales of Product Income" is inactive in QuickBooks (IncomeAccountRef.value (stream items))`,
    );
    expect(lines).toContain('source chargebee: ok (credentials accepted)');
    expect(lines.filter((l) => l.includes(': lookups.') || l.includes(': options.'))).toHaveLength(3);

    s.edit([['SAAS-ENT: "81"', 'SAAS-ENT: "80"']]);
    s.qbo.state.company.touch('Account', '79', { Active: true });
    const good = await cli(s, ['check', s.pipelinePath, '--json']);
    expect(good.code, good.stdout).toBe(0);
    const report = JSON.parse(good.stdout) as { status: string; references: Array<{ kind: string; value: string; status: string }> };
    expect(report.status).toBe('ok');
    expect(report.references.map((r) => `${r.kind} ${r.value}`)).toEqual(
      expect.arrayContaining(['Account 80', 'Item 1', 'HomeCurrency USD', 'PaymentMethod 3', 'TaxRate 4', 'ReceivableAccount 841']),
    );
    expect(s.qbo.state.writes).toEqual([]);
    expect(s.qbo.state.tokenRequests.filter((t) => t.ok)).toHaveLength(1);
  });

  it('credentials the target refuses exit 3, naming the side', async () => {
    const s = await open(12);
    const refused = await cli(s, ['check', s.pipelinePath], { ...s.env, CHARGEBEE_API_KEY: 'not-the-key' });
    expect(refused.code).toBe(3);
    expect(refused.stdout).toMatch(/^source chargebee: FAILED \[chargebee_auth_failed\]/m);
  });
});

describe.skipIf(!built)('tokens are never spent by a run that cannot keep them', () => {
  it('without LEDGERSYNC_SECRET_KEY: exit 2 before the token endpoint is called; with it, the same refresh token works', async () => {
    const s = await open(12);
    const { LEDGERSYNC_SECRET_KEY: _key, ...withoutKey } = s.env;
    const refused = await cli(s, ['run', s.pipelinePath, '--json'], withoutKey);
    expect(refused.code).toBe(2);
    expect(JSON.parse(refused.stdout).error).toMatchObject({ code: 'secret_key_missing' });
    expect(s.qbo.state.tokenRequests).toEqual([]);
    expect(s.qbo.state.requests).toEqual([]);

    const refreshToken = s.qbo.state.currentRefreshToken;
    expect(refreshToken).toBe(s.qbo.refreshToken);
    const ran = await cli(s, ['run', s.pipelinePath, '--json']);
    expect(ran.code, ran.stdout).toBe(0);
    expect(s.qbo.state.tokenRequests).toEqual([expect.objectContaining({ grantType: 'refresh_token', ok: true })]);
  });

  it('a refresh token another state file already rotated: says what most likely happened and how to recover', async () => {
    const s = await open(12);
    expect((await s.run()).exitCode).toBe(0);
    const other = await s.run({ statePath: join(s.dir, 'other-state.db') });
    expect(other.exitCode).toBe(3);
    expect(other.error).toMatchObject({ code: 'qbo_refresh_token_rejected' });
    expect(other.error!.message).toContain('another deployment or another state file of this pipeline refreshed it');
    expect(other.error!.fix).toContain('run it from there only (or copy that state file here');
  });
});

describe.skipIf(!built)('ledgersync show', () => {
  it('what we wrote for one Chargebee invoice: its QuickBooks Id, version, time, hash, payload and operations', async () => {
    const s = await open(12);
    expect((await s.run()).exitCode).toBe(0);
    const invoice = s.cb.state.all('invoices').find((i) => !i.deleted && i.status !== 'voided')!;
    const qbo = s.qbo.state.entities('Invoice').find((i) => i['DocNumber'] === invoice.id)!;

    const text = await cli(s, ['show', s.pipelinePath, invoice.id]);
    expect(text.code, text.stdout).toBe(0);
    expect(text.stdout).toContain(`  ${invoice.id} → Invoice ${qbo.Id} (version ${qbo.SyncToken})`);
    expect(text.stdout).toContain('mapping: the current one');
    expect(text.stdout).toMatch(new RegExp(`run \\S+  ${invoice.id} upsert → created ${qbo.Id}`));

    const json = JSON.parse((await cli(s, ['show', s.pipelinePath, invoice.id, '--stream', 'invoices', '--json'])).stdout);
    const record = json.streams.invoices.records[0];
    expect(record).toMatchObject({
      source_id: invoice.id,
      target_object: 'Invoice',
      target_id: qbo.Id,
      source_version: invoice.resource_version === undefined ? null : String(invoice.resource_version),
      current_mapping: true,
      pending_write: false,
      action: 'upsert',
      payload: expect.objectContaining({ DocNumber: invoice.id }),
    });
    expect(record.written_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(record.content_hash).toMatch(/^[0-9a-f]{32}$/);
    expect(json.streams.invoices.operations).toEqual([
      expect.objectContaining({ action: 'upsert', status: 'succeeded', outcome: 'created', target_id: qbo.Id }),
    ]);
    expect(json.streams.invoices.dead_letter).toBeNull();

    const missing = await cli(s, ['show', s.pipelinePath, `${invoice.id}x`]);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toContain(`has no record '${invoice.id}x'`);
    expect(missing.stdout).toMatch(/invoices \(\d+ record\(s\); next to it: /);
    const stream = await cli(s, ['show', s.pipelinePath, invoice.id, '--stream', 'invoice']);
    expect(stream.code).toBe(2);
    expect(stream.stdout).toContain('use one of: customers, items, invoices');
  });
});

function plan_(s: Sandbox, options: { streams?: string[]; fullRefresh?: boolean }): Promise<PlanReport> {
  return planPipeline({ connectors: installedConnectors, pipelinePath: s.pipelinePath, statePath: s.statePath, env: s.env, log: silentLogger, ...options });
}

/** Everything a plan must leave as it was. */
function snapshot(s: Sandbox): unknown {
  const store = StateStore.open(s.statePath);
  try {
    const pipeline = 'chargebee-to-quickbooks';
    return {
      checkpoints: store.listCheckpoints(pipeline),
      runs: store.recentRuns(pipeline, 100).map((r) => r.id),
      deadLetters: store.deadLetters(pipeline),
      ledger: ['customers', 'invoices'].map((stream) => store.otherMappings(pipeline, stream, '')),
      history: s.cb.state
        .all('customers')
        .slice(0, 5)
        .map((c) => store.recordHistory(pipeline, c.id)),
    };
  } finally {
    store.close();
  }
}

function storedToken(s: Sandbox): string | undefined {
  const store = StateStore.open(s.statePath);
  try {
    return store.secretStore('chargebee-to-quickbooks', 'quickbooks-online', s.env['LEDGERSYNC_SECRET_KEY']).get('qbo_refresh_token');
  } finally {
    store.close();
  }
}

/**
 * End to end as a user runs it: the example pipeline (with a test rate limit), the runner, the fake
 * Chargebee and the fake DualEntry; then `ledgersync post` for an out-of-cycle post and a repost.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../engine/log.js';
import { runPipeline } from '../../../engine/run/runner.js';
import { showStatus } from '../../../engine/run/status.js';
import { StateStore } from '../../../engine/state/store.js';
import { startFakeChargebee, type FakeChargebee } from '../../fakes/chargebee/index.js';
import { startFakeDualEntry, type FakeDualEntry } from '../../fakes/dualentry/index.js';
import { installedConnectors } from '../../../app/registry.js';
import { postPeriod, revrecEnv, revrecPipelineCopy } from './revrec-harness.js';

let chargebee: FakeChargebee;
let ledger: FakeDualEntry;
let dir: string;
/** Months the first run posted, ascending: the later tests aim their faults at them. */
let months: string[] = [];
const env = () => revrecEnv(chargebee, ledger);
const pipelineCopy = revrecPipelineCopy;

beforeAll(async () => {
  chargebee = await startFakeChargebee({ customers: 12, seed: 7 });
  ledger = await startFakeDualEntry();
  dir = mkdtempSync(join(tmpdir(), 'ledgersync-revrec-'));
});
afterAll(async () => {
  await chargebee.close();
  await ledger.close();
});

const posts = () => ledger.state.requests.filter((r) => r.method === 'POST').length;

/** AR movement per currency that the Chargebee documents imply: what billing must have posted in all. */
function expectedReceivables(): Record<string, bigint> {
  const totals: Record<string, bigint> = {};
  const add = (documents: Array<Record<string, unknown>>, sign: bigint) => {
    for (const doc of documents) {
      if (doc['deleted'] || doc['status'] === 'voided' || doc['status'] === 'pending' || (doc['date'] as number) < Date.UTC(2023, 0, 1) / 1000) continue;
      const inclusive = doc['price_type'] === 'tax_inclusive';
      const currency = doc['currency_code'] as string;
      for (const line of doc['line_items'] as Array<Record<string, number>>) {
        const amount = BigInt(line['amount'] ?? 0) - BigInt(line['discount_amount'] ?? 0) + (inclusive ? 0n : BigInt(line['tax_amount'] ?? 0));
        totals[currency] = (totals[currency] ?? 0n) + sign * amount;
      }
      // The customer owes the total, Chargebee's cash rounding included.
      totals[currency] = (totals[currency] ?? 0n) + sign * BigInt((doc['round_off_amount'] as number | undefined) ?? 0);
    }
  };
  add(chargebee.state.all('invoices') as unknown as Array<Record<string, unknown>>, 1n);
  add(chargebee.state.all('credit_notes') as unknown as Array<Record<string, unknown>>, -1n);
  return totals;
}

function scaled(text: string, currency: string): bigint {
  const exponent = currency === 'JPY' ? 0 : currency === 'KWD' ? 3 : 2;
  const [whole = '0', fraction = ''] = text.split('.');
  return BigInt(whole + fraction.padEnd(exponent, '0'));
}

describe('Chargebee RevRec → DualEntry, end to end', () => {
  it('posts every closed month once, balanced, with the AR the documents imply; an idle re-run posts nothing', async () => {
    const pipeline = pipelineCopy(dir, 'revrec.yaml');
    const statePath = join(dir, 'state.db');
    const first = await runPipeline({ connectors: installedConnectors, pipelinePath: pipeline, statePath, env: env(), log: silentLogger });
    expect(first.error).toBeUndefined();
    expect(first.exitCode).toBe(0);
    expect(first.streams['invoices']!.created).toBeGreaterThan(10);
    const entries = [...ledger.state.entries];
    months = [...new Set(entries.map((e) => e.date.slice(0, 7)))].sort();
    // API calls: one company check per run, then per posted period one account check and one POST per currency.
    expect(ledger.state.requests.map((r) => `${r.method} ${r.path.split('/')[3]}`)).toEqual([
      'GET companies',
      ...months.flatMap((m) => ['GET accounts', ...entries.filter((e) => e.date.startsWith(m)).map(() => 'POST journal-entries')]),
    ]);
    expect(entries.length).toBeGreaterThan(12);

    // One entry per (period, currency), dated the month's last day.
    const keys = entries.map((e) => `${e.date.slice(0, 7)} ${e.currency_iso_4217_code}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const entry of entries) {
      const month = entry.date.slice(0, 7);
      const last = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0)).toISOString().slice(0, 10);
      expect(entry.date).toBe(last);
      expect(entry.memo).toMatch(new RegExp(`^Chargebee RevRec ${month} ${entry.currency_iso_4217_code} \\[ls-`));
    }

    const receivables: Record<string, bigint> = {};
    for (const entry of entries) {
      const currency = entry.currency_iso_4217_code;
      for (const item of entry.items.filter((i) => i.account_number === 1200)) {
        receivables[currency] = (receivables[currency] ?? 0n) + scaled(item.debit, currency) - scaled(item.credit, currency);
      }
    }
    expect(receivables).toEqual(expectedReceivables());

    const requestsBefore = ledger.state.requests.length;
    const postsBefore = posts();
    const second = await runPipeline({ connectors: installedConnectors, pipelinePath: pipeline, statePath, env: env(), log: silentLogger });
    expect(second.exitCode).toBe(0);
    expect(second.streams['invoices']!.created + second.streams['invoices']!.updated).toBe(0);
    expect(posts()).toBe(postsBefore);
    // Only the company check of open() reached DualEntry.
    expect(ledger.state.requests.length - requestsBefore).toBe(1);

    // An out-of-cycle post of the open month, then a repost after a mapping change.
    const invoice = (chargebee.state.all('invoices') as unknown as Array<Record<string, unknown>>).find(
      (i) => i['status'] === 'paid' && !i['deleted'] && (i['date'] as number) >= Date.UTC(2023, 0, 1) / 1000,
    )!;
    chargebee.state.touch('invoices', invoice['id'] as string, { status: 'voided' });
    const third = await runPipeline({ connectors: installedConnectors, pipelinePath: pipeline, statePath, env: env(), log: silentLogger });
    expect(third.exitCode).toBe(0);
    expect(third.streams['invoices'], JSON.stringify(third.streams)).toMatchObject({ updated: 1 });
    expect(posts()).toBe(postsBefore); // the change waits for the current month's close

    const now = new Date();
    const currentMonth = `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    const manual = await postPeriod({ pipelinePath: pipeline, statePath, period: currentMonth, env: env() });
    expect(manual).toMatchObject({ status: 'posted', exitCode: 0 });
    expect(manual.entries).toHaveLength(1);
    expect(ledger.state.entries.at(-1)!.items.find((i) => i.account_number === 1200)!.credit).not.toBe('0.00');
    expect(await postPeriod({ pipelinePath: pipeline, statePath, period: currentMonth, env: env() })).toMatchObject({
      status: 'already_posted',
      exitCode: 0,
      apiCalls: 0,
    });

    const remapped = pipelineCopy(dir, 'revrec.yaml', (t) => t.replace('      SAAS: "4000"\n', '      SAAS: "4020"\n'));
    const target = entries.find((e) => e.items.some((i) => i.account_number === 4000))!;
    const period = target.date.slice(0, 7);
    const before = ledger.state.entries.length;
    const repost = await postPeriod({ pipelinePath: remapped, statePath, period, repost: true, env: env() });
    expect(repost.status).toBe('reposted');
    expect(repost.entries.map((e) => e.kind).filter((k) => k === 'reversal')).toHaveLength(repost.entries.length / 2);
    const added = ledger.state.entries.slice(before);
    expect(added.every((e) => e.date === target.date)).toBe(true);
    expect(added.filter((e) => e.memo.startsWith('Reversal of')).length).toBe(added.length / 2);
    expect(added.some((e) => e.items.some((i) => i.account_number === 4020))).toBe(true);
    expect(await postPeriod({ pipelinePath: remapped, statePath, period, repost: true, env: env() })).toMatchObject({ status: 'unchanged' });

    // Every entry posted, by a run or by ledgersync post, is in the audit trail with DualEntry's number.
    const state = StateStore.open(statePath);
    const journals = state.audit.entries('chargebee-revrec-to-dualentry', { stream: 'revenue_recognition' });
    expect(journals.map((e) => e.targetId)).toEqual(ledger.state.entries.map((e) => String(e.number)));
    expect(new Set(journals.map((e) => e.trigger))).toEqual(new Set(['run', 'post']));
    expect(journals.every((e) => e.object === 'journal_entry' && e.outcome === 'created' && e.sourceId.startsWith('ls-'))).toBe(true);
    expect(journals.filter((e) => e.action === 'reversal')).toHaveLength(added.length / 2);
    expect(state.audit.verify('chargebee-revrec-to-dualentry').broken).toBeUndefined();
    state.close();
  });

  it('API key authentication failed: exit 3 with the fix', async () => {
    const summary = await runPipeline({
      connectors: installedConnectors,
      pipelinePath: pipelineCopy(dir, 'auth.yaml'),
      statePath: join(dir, 'auth.db'),
      env: { ...env(), DUALENTRY_API_KEY: 'rotated-away-key' },
      log: silentLogger,
    });
    expect(summary.exitCode).toBe(3);
    expect(summary.error).toMatchObject({ code: 'dualentry_auth_failed' });
    expect(summary.error!.fix).toMatch(/Settings → Developers → API Keys/);
    expect(JSON.stringify(summary)).not.toContain('rotated-away-key');
  });

  it('company not found: exit 2 naming the company and where to find its ID', async () => {
    const summary = await runPipeline({
      connectors: installedConnectors,
      pipelinePath: pipelineCopy(dir, 'company.yaml'),
      statePath: join(dir, 'company.db'),
      env: { ...env(), DUALENTRY_COMPANY_ID: '777' },
      log: silentLogger,
    });
    expect(summary.exitCode).toBe(2);
    expect(summary.error).toMatchObject({ code: 'dualentry_company_not_found' });
    expect(summary.error!.message).toMatch(/company 777 not found/);
    expect(summary.error!.fix).toMatch(/Companies/);
  });

  it('account not found names the mapping and code; the batch stays in retry until a fixed mapping posts it', async () => {
    const broken = pipelineCopy(dir, 'account.yaml', (t) =>
      t
        .replace('      SERVICES: "4010"\n', '      SERVICES: "4999"\n')
        .replace('    default: "4000"\n', '    default: "4999"\n')
        .replace('      SAAS: "4000"\n', '      SAAS: "4999"\n'),
    );
    const statePath = join(dir, 'account.db');
    const postsBefore = posts();
    const summary = await runPipeline({ connectors: installedConnectors, pipelinePath: broken, statePath, env: env(), log: silentLogger });
    expect(summary.exitCode).toBe(2);
    expect(summary.error).toMatchObject({ code: 'dualentry_account_not_found' });
    expect(summary.error!.message).toMatch(
      /DualEntry account 4999 not found .* lookups.revrec_revenue.values\["SAAS"\] \(revenue, Chargebee accounting code "SAAS"\)/,
    );
    expect(posts()).toBe(postsBefore);

    const state = StateStore.open(statePath);
    const retry = state.keyValue('chargebee-revrec-to-dualentry', 'dualentry').get<{ period: string; code: string }>('revrec:retry');
    state.close();
    expect(retry).toMatchObject({ code: 'dualentry_account_not_found' });
    expect(months).toContain(retry!.period);

    const fixed = pipelineCopy(dir, 'account.yaml');
    const post = await postPeriod({ pipelinePath: fixed, statePath, period: retry!.period, env: env() });
    expect(post).toMatchObject({ status: 'posted', exitCode: 0 });
  });

  it('period is locked: exit 1 (the rest of the run went through) naming the period, then posts once it is reopened', async () => {
    const pipeline = pipelineCopy(dir, 'locked.yaml');
    const statePath = join(dir, 'locked.db');
    // A fresh company so this pipeline's months are not mixed with the first test's entries.
    ledger.state.companies.set(5151, { ...ledger.state.companies.get(ledger.companyId)!, id: 5151, name: 'Acme EU' });
    ledger.state.apiKeys.get(ledger.apiKey)!.add(5151);
    for (const account of ledger.state.accounts.filter((a) => a.company_id === ledger.companyId))
      ledger.state.accounts.push({ ...account, id: account.id + 1000, company_id: 5151 });
    const locked = months[Math.floor(months.length / 2)]!;
    const lastDay = ledger.state.entries.find((e) => e.date.startsWith(locked))!.date;
    ledger.lockPeriod(locked, 5151);
    const lockedEnv = { ...env(), DUALENTRY_COMPANY_ID: '5151' };

    const summary = await runPipeline({ connectors: installedConnectors, pipelinePath: pipeline, statePath, env: lockedEnv, log: silentLogger });
    expect(summary.exitCode).toBe(1);
    expect(summary.status).toBe('partial');
    expect(summary.error).toBeUndefined();
    const [waiting] = summary.waiting ?? [];
    expect(waiting).toMatchObject({ subject: `DualEntry period ${locked}`, code: 'dualentry_period_locked' });
    expect(waiting!.message).toContain(`period ${locked} is locked: the entry dated ${lastDay}`);
    expect(waiting!.fix).toContain(`reopen ${locked} under Period locking`);
    const posted = ledger.state.entries.filter((e) => e.company_id === 5151).map((e) => e.date.slice(0, 7));
    expect(posted.length).toBeGreaterThan(0);
    expect(posted.every((m) => m < locked)).toBe(true);

    const out: string[] = [];
    const stream = { write: (chunk: string) => out.push(chunk) } as unknown as NodeJS.WritableStream;
    await showStatus({ connectors: installedConnectors, pipelinePath: pipeline, statePath, json: false, out: stream });
    expect(out.join('')).toContain(`RETRY ${locked}: [dualentry_period_locked] DualEntry period ${locked} is locked`);

    ledger.reopenPeriod(locked, 5151);
    const again = await runPipeline({ connectors: installedConnectors, pipelinePath: pipeline, statePath, env: lockedEnv, log: silentLogger });
    expect(again.exitCode).toBe(0);
    expect(ledger.state.entries.some((e) => e.company_id === 5151 && e.date === lastDay)).toBe(true);
    const state = StateStore.open(statePath);
    expect(state.keyValue('chargebee-revrec-to-dualentry', 'dualentry').get('revrec:retry')).toBeUndefined();
    state.close();
  });
});

/**
 * End to end: fake Chargebee → engine runner → QBO connector → fake QBO, with the example pipeline.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { money } from '../../../domain/money/money.js';
import { StateStore } from '../../../engine/state/store.js';
import type { Entity } from '../../fakes/qbo/index.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function open(...args: Parameters<typeof startSandbox>): Promise<Sandbox> {
  sandbox = await startSandbox(...args);
  return sandbox;
}

function byDocNumber(s: Sandbox, object: string, doc: string): Entity {
  const found = s.qbo.state.entities(object).filter((e) => e['DocNumber'] === doc);
  expect(found, `${object} ${doc} in QBO`).toHaveLength(1);
  return found[0]!;
}

function writesSince(s: Sandbox, index: number) {
  return s.qbo.state.writes.slice(index);
}

function posts(s: Sandbox, fromRequest: number): number {
  return s.qbo.state.requests.slice(fromRequest).filter((r) => r.method === 'POST' && !r.path.endsWith('/query')).length;
}

/** Every QBO document exactly once: no natural key twice, and one document per Chargebee record. */
function expectNoDuplicates(s: Sandbox): void {
  const dup = (values: unknown[]) => values.filter((v, i) => values.indexOf(v) !== i);
  expect(dup(s.qbo.state.entities('Customer').map((c) => c['Notes']))).toEqual([]);
  expect(dup(s.qbo.state.entities('Item').map((c) => c['Sku']))).toEqual([]);
  for (const object of ['Invoice', 'CreditMemo', 'JournalEntry']) expect(dup(s.qbo.state.entities(object).map((c) => c['DocNumber']))).toEqual([]);
  expect(dup(s.qbo.state.entities('Payment').map((c) => c['PaymentRefNum']))).toEqual([]);
}

describe('Chargebee → QuickBooks Online, end to end', () => {
  it('a first sync lands every document once with exact amounts; a second run posts nothing', async () => {
    const s = await open();
    const first = await s.run();
    expect(first.exitCode, JSON.stringify(first)).toBe(0);
    const cbInvoices = s.cb.state.all('invoices').filter((i) => !i.deleted);
    expect(s.qbo.state.entities('Customer')).toHaveLength(s.cb.state.all('customers').filter((c) => !c.deleted).length);
    expect(s.qbo.state.entities('Invoice')).toHaveLength(cbInvoices.length);
    expect(first.streams['invoices']!.created).toBe(cbInvoices.length);
    for (const inv of cbInvoices) {
      const q = byDocNumber(s, 'Invoice', inv.id);
      if (inv.status === 'voided') continue;
      expect(q['TotalAmt'], `invoice ${inv.id} ${inv.currency_code}`).toBe(Number(money(inv.total, inv.currency_code!)));
      expect((q['CurrencyRef'] as { value: string }).value).toBe(inv.currency_code);
    }
    expectNoDuplicates(s);

    const requestsBefore = s.qbo.state.requests.length;
    const writesBefore = s.qbo.state.writes.length;
    const second = await s.run();
    expect(second.exitCode).toBe(0);
    expect(writesSince(s, writesBefore)).toEqual([]);
    expect(posts(s, requestsBefore)).toBe(0);
    for (const counts of Object.values(second.streams)) expect(counts.written).toBe(0);
  });

  it('JPY invoices carry whole yen and KWD invoices three decimals, to the unit', async () => {
    const s = await open();
    expect((await s.run()).exitCode).toBe(0);
    const jpy = s.cb.state.all('invoices').filter((i) => i.currency_code === 'JPY' && !i.deleted && i.status !== 'voided');
    const kwd = s.cb.state.all('invoices').filter((i) => i.currency_code === 'KWD' && !i.deleted && i.status !== 'voided');
    expect(jpy.length).toBeGreaterThan(0);
    expect(kwd.length).toBeGreaterThan(0);
    for (const inv of jpy) {
      const q = byDocNumber(s, 'Invoice', inv.id);
      expect(q['TotalAmt']).toBe(inv.total);
      expect(Number.isInteger(q['TotalAmt'])).toBe(true);
      const lines = (q['Line'] as { Amount: string; DetailType: string }[]).filter((l) => l.DetailType === 'SalesItemLineDetail');
      expect(lines.every((l) => /^\d+$/.test(String(l.Amount)))).toBe(true);
    }
    for (const inv of kwd) {
      const q = byDocNumber(s, 'Invoice', inv.id);
      expect(String(q['TotalAmt'])).toBe(String(Number(money(inv.total, 'KWD'))));
      const lines = (q['Line'] as { Amount: string; DetailType: string }[]).filter((l) => l.DetailType === 'SalesItemLineDetail');
      // Never rounded to 2 decimals: at most KWD's 3 (the total above is Chargebee's to the fils).
      expect(lines.every((l) => /^\d+(\.\d{1,3})?$/.test(String(l.Amount)))).toBe(true);
      expect(q['ExchangeRate']).toBe(inv.exchange_rate);
    }
  });

  it('a US company gets tax-inclusive invoices and credit notes net of tax, each total equal to Chargebee’s; without us_sales_tax_codes they are refused, not posted with their tax twice', async () => {
    const s = await open({}, { country: 'US' });
    expect((await s.run()).exitCode).toBe(0);
    const inclusive = <D extends { price_type?: string; deleted?: boolean; status?: string }>(docs: D[]) =>
      docs.filter((d) => d.price_type === 'tax_inclusive' && !d.deleted && d.status !== 'voided');
    const invoices = inclusive(s.cb.state.all('invoices'));
    const notes = inclusive(s.cb.state.all('credit_notes'));
    const taxed = (d: { taxes?: unknown[] }) => (d.taxes ?? []).length > 0;
    expect(invoices.filter(taxed).length).toBeGreaterThan(0);
    expect(notes.filter(taxed).length).toBeGreaterThan(0);
    for (const inv of invoices) expect(byDocNumber(s, 'Invoice', inv.id)['TotalAmt'], inv.id).toBe(Number(money(inv.total, inv.currency_code!)));
    for (const cn of notes) expect(byDocNumber(s, 'CreditMemo', cn.id)['TotalAmt'], cn.id).toBe(Number(money(cn.total, cn.currency_code!)));

    const other = await startSandbox({}, { country: 'US' });
    try {
      other.edit([
        ['us_sales_tax_codes: true', 'us_sales_tax_codes: false'],
        [
          'listed is refused, not posted at a guessed rate.\n    values: {}',
          'listed is refused, not posted at a guessed rate.\n    default: "5"\n    values: { untaxed: "6" }',
        ],
      ]);
      expect((await other.run()).exitCode).toBe(1);
      const store = StateStore.open(other.statePath);
      const dead = store.deadLetters('chargebee-to-quickbooks', 'invoices');
      store.close();
      const refusedIds = inclusive(other.cb.state.all('invoices')).map((i) => i.id);
      const codes = new Map(dead.map((d) => [d.sourceId, d.errorCode]));
      for (const id of refusedIds) {
        expect(codes.get(id), id).toBe('qbo_tax_inclusive_us');
        expect(other.qbo.state.entities('Invoice').some((e) => e['DocNumber'] === id)).toBe(false);
      }
    } finally {
      await other.close();
    }
  });

  it('a changed invoice is updated in place with the SyncToken QBO expects; someone else’s edit in between is refetched', async () => {
    const s = await open();
    await s.run();
    const target = s.cb.state.all('invoices').find((i) => !i.deleted && i.status === 'payment_due')!;
    const before = byDocNumber(s, 'Invoice', target.id);
    s.qbo.state.company.touch('Invoice', before.Id, { CustomerMemo: { value: 'edited by the bookkeeper' } });
    s.cb.state.touch('invoices', target.id, { due_date: target.due_date! + 86_400 * 10 });
    const writesBefore = s.qbo.state.writes.length;
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(run.streams['invoices']).toMatchObject({ updated: 1, created: 0 });
    expect(writesSince(s, writesBefore)).toEqual([{ entity: 'Invoice', operation: 'update', id: before.Id }]);
    const after = byDocNumber(s, 'Invoice', target.id);
    expect(after.SyncToken).toBe(String(Number(before.SyncToken) + 2));
    expect(after['DueDate']).toBe(new Date((target.due_date! + 86_400 * 10) * 1000).toISOString().slice(0, 10));
    expect(after['CustomerMemo']).toEqual({ value: 'edited by the bookkeeper' });
  });

  it('a voided invoice is voided in QBO, or offset by a credit memo under sync_voided_invoice_as_credit_note', async () => {
    const s = await open();
    await s.run();
    const [a, b] = s.cb.state.all('invoices').filter((i) => !i.deleted && i.status === 'payment_due');
    s.cb.state.touch('invoices', a!.id, { status: 'voided', voided_at: a!.date! + 3600 });
    expect((await s.run()).exitCode).toBe(0);
    expect(byDocNumber(s, 'Invoice', a!.id)).toMatchObject({ TxnStatus: 'Voided', TotalAmt: 0 });

    s.edit([['sync_voided_invoice_as_credit_note: false', 'sync_voided_invoice_as_credit_note: true']]);
    s.cb.state.touch('invoices', b!.id, { status: 'voided', voided_at: b!.date! + 3600 });
    const run = await s.run();
    expect(run.exitCode, JSON.stringify(run)).toBe(0);
    const invoice = byDocNumber(s, 'Invoice', b!.id);
    expect(invoice['TxnStatus']).toBeUndefined();
    const memo = byDocNumber(s, 'CreditMemo', `VOID-${b!.id}`);
    expect(memo['TotalAmt']).toBe(invoice['TotalAmt']);
    expect(memo['CustomerRef']).toEqual(invoice['CustomerRef']);
  });

  it('credit notes become credit memos and refunds journal entries paying the customer out of A/R, with their customer and amounts', async () => {
    const s = await open();
    expect((await s.run()).exitCode).toBe(0);
    const customers = new Map(s.qbo.state.entities('Customer').map((c) => [c['Notes'], c.Id]));
    for (const cn of s.cb.state.all('credit_notes').filter((c) => !c.deleted)) {
      const memo = byDocNumber(s, 'CreditMemo', cn.id);
      expect(memo['TotalAmt']).toBe(cn.status === 'voided' ? 0 : Number(money(cn.total, cn.currency_code!)));
      expect((memo['CustomerRef'] as { value: string }).value).toBe(customers.get(cn.customer_id));
    }
    const refunds = s.cb.state.all('transactions').filter((t) => t.type === 'refund' && t.status === 'success' && !t.deleted);
    expect(refunds.length).toBeGreaterThan(0);
    for (const t of refunds) {
      const entry = byDocNumber(s, 'JournalEntry', t.id);
      expect(entry['TotalAmt']).toBe(Number(money(t.amount, t.currency_code!)));
      const [debit, credit] = entry['Line'] as { JournalEntryLineDetail: { AccountRef: { value: string }; Entity?: { EntityRef: { value: string } } } }[];
      expect(debit!.JournalEntryLineDetail.Entity?.EntityRef.value).toBe(customers.get(t.customer_id));
      expect(credit!.JournalEntryLineDetail.AccountRef.value).toBe(
        t.gateway === 'not_applicable' ? (t.payment_method === 'bank_transfer' ? '35' : '4') : ['stripe', 'braintree'].includes(t.gateway!) ? '36' : '4',
      );
    }
  });

  it('a payment is linked to the QBO invoice it pays, which is then settled', async () => {
    const s = await open();
    expect((await s.run()).exitCode).toBe(0);
    const payments = s.cb.state.all('transactions').filter((t) => t.type === 'payment' && t.status === 'success' && !t.deleted);
    expect(payments.length).toBeGreaterThan(0);
    for (const t of payments) {
      const [payment] = s.qbo.state.entities('Payment').filter((p) => p['PaymentRefNum'] === t.id);
      expect(payment, t.id).toBeDefined();
      expect(payment!['TotalAmt']).toBe(Number(money(t.amount, t.currency_code!)));
      const linked = (payment!['Line'] as { LinkedTxn: { TxnId: string; TxnType: string }[] }[]).flatMap((l) => l.LinkedTxn);
      expect(linked.map((l) => s.qbo.state.company.get('Invoice', l.TxnId)?.['DocNumber']).sort()).toEqual(
        (t.linked_invoices ?? []).map((l) => l.invoice_id).sort(),
      );
      expect(payment!['TxnDate']).toBe(new Date(((t.settled_at ?? t.date) as number) * 1000).toISOString().slice(0, 10));
    }
    for (const inv of s.cb.state.all('invoices').filter((i) => i.status === 'paid' && !i.deleted)) {
      expect(byDocNumber(s, 'Invoice', inv.id)['Balance'], inv.id).toBe(0);
    }
    failedPaymentsAreSkipped(s);
  });

  it('an access token expiring mid-run is refreshed, and the rotated refresh token is persisted encrypted for the next run', async () => {
    const s = await open();
    let writes = 0;
    s.qbo.faults.afterWrite = () => {
      if (++writes === 20) s.qbo.faults.expireAccessTokens();
    };
    const first = await s.run();
    expect(first.exitCode, JSON.stringify(first.error)).toBe(0);
    // Requests in flight when the token died may each refresh; at least one refresh happened mid-run.
    expect(s.qbo.state.tokenRequests.filter((t) => t.ok).length).toBeGreaterThanOrEqual(2);
    expect(s.qbo.state.requests.filter((r) => r.status === 401).length).toBeGreaterThan(0);
    expectNoDuplicates(s);

    // The configured token is dead (rotated twice); the next run works only from the stored one.
    const current = s.qbo.state.currentRefreshToken;
    expect(current).not.toBe(s.env['QBO_REFRESH_TOKEN']);
    const store = StateStore.open(s.statePath);
    expect(store.secretStore('chargebee-to-quickbooks', 'quickbooks-online', s.env['LEDGERSYNC_SECRET_KEY']).get('qbo_refresh_token')).toBe(current);
    store.close();
    expect(readFileSync(s.statePath).includes(Buffer.from(current))).toBe(false);
    s.qbo.faults.expireAccessTokens();
    const second = await s.run();
    expect(second.exitCode, JSON.stringify(second.error)).toBe(0);
    expect(s.qbo.state.tokenRequests.at(-1)).toMatchObject({ ok: true });
  });

  it('a revoked refresh token or wrong client credentials stop the run with exit 3 and a reconnect message', async () => {
    const s = await open();
    s.qbo.faults.revokeRefreshToken();
    const revoked = await s.run();
    expect(revoked.exitCode).toBe(3);
    expect(`${revoked.error!.message} ${revoked.error!.fix}`).toMatch(/reconnect/i);
    expect(s.qbo.state.writes).toEqual([]);
    const wrong = await s.run({ env: { ...s.env, QBO_CLIENT_SECRET: 'not-the-secret' } });
    expect(wrong.exitCode).toBe(3);
    expect(wrong.error!.code).toBe('qbo_invalid_client');
    expect(JSON.stringify(wrong)).not.toContain('not-the-secret');
  });

  it('throttling (429) under the real limits is waited out without a duplicate, never above 10 requests in flight', async () => {
    const s = await open({}, { latencyMs: 5 });
    s.edit([['  base_url: ${QBO_BASE_URL:-}', '  base_url: ${QBO_BASE_URL:-}\n  use_batch: false\n  retry: { base_delay_ms: 100, max_delay_ms: 1000 }']]);
    let writes = 0;
    s.qbo.faults.afterWrite = () => {
      if (++writes === 15) s.qbo.faults.throttleNext(4);
    };
    const run = await s.run();
    expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
    expect(s.qbo.state.throttled).toBe(4);
    expect(s.qbo.state.maxInFlight).toBeLessThanOrEqual(10);
    expect(s.qbo.state.maxInFlight).toBeGreaterThan(1);
    expectNoDuplicates(s);
  });

  it('bad input dead-letters the record with its id, the QBO fault and the fix; the run goes on and exits 1', async () => {
    const s = await open();
    // An unmapped GL account, an unknown currency, and a customer QBO rejects (its e-mail address).
    s.edit([['      SUPPORT: "79"\n', '']]);
    const customer = s.cb.state.create('customers', {
      id: 'cb_bad_email',
      first_name: 'Ann',
      last_name: 'Lee',
      email: 'ann.lee(at)example',
      preferred_currency_code: 'USD',
    });
    s.cb.state.create('customers', { id: 'cb_bad_currency', company: 'Dinar Ltd', preferred_currency_code: 'XTS' });
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    expect(run.status).toBe('partial');
    expect(run.streams['items']!.failed).toBeGreaterThan(0);
    expect(run.streams['invoices']!.created).toBeGreaterThan(0);
    const store = StateStore.open(s.statePath);
    const letters = store.deadLetters('chargebee-to-quickbooks');
    store.close();
    const item = letters.find((l) => l.stream === 'items' && l.sourceId.startsWith('priority-support'))!;
    expect(item).toMatchObject({ errorCode: 'lookup_missing' });
    expect(item.fix).toMatch(/gl_accounts/);
    const rejected = letters.find((l) => l.sourceId === customer.id)!;
    expect(rejected.message).toMatch(/QuickBooks rejected .*RFC 822/);
    expect(rejected.message).toContain(customer.id);
    expect(rejected.fix).toBeTruthy();
    const currency = letters.find((l) => l.sourceId === 'cb_bad_currency')!;
    expect(currency.message).toMatch(/XTS/);
    expect(currency.fix).toBeTruthy();
    // Invoices of those items wait as dead letters too, never posted with a wrong reference.
    const waiting = letters.filter((l) => l.stream === 'invoices');
    expect(waiting.every((l) => l.errorCode === 'reference_not_synced')).toBe(true);
    for (const l of waiting) expect(s.qbo.state.entities('Invoice').some((i) => i['DocNumber'] === l.sourceId)).toBe(false);
  });
});

function failedPaymentsAreSkipped(s: Sandbox): void {
  const failed = s.cb.state.all('transactions').filter((t) => t.type === 'payment' && t.status !== 'success');
  for (const t of failed) expect(s.qbo.state.entities('Payment').some((p) => p['PaymentRefNum'] === t.id)).toBe(false);
}

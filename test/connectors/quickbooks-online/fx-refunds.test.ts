/**
 * Refunds and credit in several currencies, end to end against the fake Chargebee and the fake
 * QuickBooks Online with the example pipeline:
 * - a refund in a currency `lookups.receivable_accounts` does not list is the record's
 *   `lookup_missing` dead letter, never a journal entry on another currency's A/R account (the table
 *   has no default);
 * - a void that frees an invoice's balance or a memo's credit runs before the allocation that
 *   spends it in the same sync (stream order), and where no order can (an allocation removed and
 *   its credit refunded at once) the refusal says the next run settles it, and it does;
 * - `ledgersync check` verifies each `receivable_accounts` value is the A/R account of its key's currency.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { LedgersyncError } from '../../../engine/errors.js';
import { silentLogger } from '../../../engine/log.js';
import { checkPipeline } from '../../../engine/run/preflight.js';
import { StateStore } from '../../../engine/state/store.js';
import { documentError } from '../../../connectors/quickbooks-online/faults.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const deadLetters = (sb: Sandbox, stream: string) => {
  const store = StateStore.open(sb.statePath);
  try {
    return store.deadLetters('chargebee-to-quickbooks', stream);
  } finally {
    store.close();
  }
};
const causes = (run: { deadLetterCauses?: { streams: string[]; message: string }[] }) =>
  (run.deadLetterCauses ?? []).map((c) => `${c.streams.join(',')}: ${c.message}`);

describe('QuickBooks: a refund in a currency receivable_accounts does not list', () => {
  it('is a lookup_missing dead letter naming the table and the currency; nothing is posted for it, and it lands once the A/R account is added', async () => {
    s = await startSandbox({ customers: 40 });
    s.edit([['      KWD: "844"\n', '']]);
    const refund = s.cb.state.all('transactions').find((t) => t.type === 'refund' && t.status === 'success' && !t.deleted && t.currency_code === 'KWD')!;
    expect(refund, 'the seeded site has a KWD refund').toBeDefined();

    const run = await s.run();
    expect(run.exitCode).toBe(1);
    expect(s.qbo.state.entities('JournalEntry').filter((j) => j['DocNumber'] === refund.id)).toEqual([]);
    const letter = deadLetters(s, 'refund_payouts').find((l) => l.sourceId === refund.id)!;
    expect(letter, causes(run).join('\n')).toBeDefined();
    expect(letter.errorCode).toBe('lookup_missing');
    expect(letter.fix).toContain("'KWD'");
    expect(letter.fix).toContain('lookups.receivable_accounts.values');

    s.edit([['      JPY: "843"\n', '      JPY: "843"\n      KWD: "844"\n']]);
    const again = await s.run();
    expect(again.exitCode, causes(again).join('\n')).toBe(0);
    const entry = s.qbo.state.entities('JournalEntry').find((j) => j['DocNumber'] === refund.id)!;
    expect((entry['Line'] as { JournalEntryLineDetail: { AccountRef: { value: string } } }[])[0]!.JournalEntryLineDetail.AccountRef.value).toBe('844');
  }, 180_000);
});

describe('QuickBooks: a void frees credit or balance before an allocation spends it in the same sync', () => {
  it("a refund failed late whose credit Chargebee re-applies to a new invoice: exit 0, the invoice's Balance and the memo's RemainingCredit equal Chargebee's", async () => {
    s = await startSandbox({ customers: 40 });
    expect((await s.run()).exitCode).toBe(0);
    const cb = s.cb.state;
    const refund = cb
      .all('transactions')
      .find((t) => t.type === 'refund' && t.status === 'success' && !t.deleted && t.currency_code === 'EUR' && (t.linked_credit_notes ?? []).length === 1)!;
    expect(refund).toBeDefined();
    const noteId = refund.linked_credit_notes![0]!.cn_id;
    const note = cb.all('credit_notes').find((n) => n.id === noteId)!;
    const source = cb.all('invoices').find((i) => i.id === note.reference_invoice_id)!;
    const total = note.total!;
    const now = Math.floor(Date.now() / 1000);
    const { id: _id, ...rest } = source as unknown as Record<string, unknown>;
    const invoice = cb.create('invoices', {
      ...rest,
      id: '29001',
      date: now,
      due_date: now,
      status: 'payment_due',
      amount_paid: 0,
      credits_applied: total,
      amount_due: (source.total as number) - total,
      linked_payments: [],
      applied_credits: [{ cn_id: noteId, applied_amount: total, applied_at: now, cn_status: 'adjusted' }],
    } as never);
    cb.touch('transactions', refund.id, { status: 'late_failure' } as never);
    cb.touch('credit_notes', noteId, {
      status: 'adjusted',
      amount_refunded: 0,
      amount_allocated: total,
      amount_available: 0,
      linked_refunds: [{ ...note.linked_refunds![0]!, txn_status: 'late_failure' }],
      allocations: [{ invoice_id: invoice.id, allocated_amount: total, allocated_at: now, invoice_status: 'payment_due' }],
    } as never);

    const run = await s.run();
    const memo = s.qbo.state.entities('CreditMemo').find((m) => m['DocNumber'] === noteId)!;
    const qboInvoice = s.qbo.state.entities('Invoice').find((i) => i['DocNumber'] === invoice.id)!;
    expect({ exitCode: run.exitCode, dead: causes(run), remainingCredit: memo['RemainingCredit'], balance: qboInvoice['Balance'] }).toEqual({
      exitCode: 0,
      dead: [],
      remainingCredit: 0,
      balance: ((source.total as number) - total) / 100,
    });
  }, 180_000);

  it("a payment failed late whose invoice Chargebee pays with the customer's available credit: exit 0, Balance and RemainingCredit equal Chargebee's", async () => {
    s = await startSandbox({ customers: 300 });
    expect((await s.run()).exitCode).toBe(0);
    const cb = s.cb.state;
    const pick = cb
      .all('credit_notes')
      .filter((n) => n.status === 'refund_due' && !n.deleted && (n.amount_available ?? 0) > 0 && n.currency_code === 'KWD')
      .flatMap((n) =>
        cb
          .all('invoices')
          .filter(
            (i) =>
              i.customer_id === n.customer_id &&
              i.status === 'paid' &&
              !i.deleted &&
              (i.linked_payments ?? []).length === 1 &&
              (i.total as number) > (n.amount_available as number),
          )
          .map((i) => ({ note: n, invoice: i })),
      )[0];
    expect(pick, 'a KWD customer with available credit and a paid invoice').toBeDefined();
    const { note, invoice } = pick!;
    const credit = note.amount_available as number;
    const now = Math.floor(Date.now() / 1000);
    cb.touch('transactions', invoice.linked_payments![0]!.txn_id, { status: 'late_failure' } as never);
    cb.touch('invoices', invoice.id, {
      status: 'payment_due',
      amount_paid: 0,
      credits_applied: credit,
      amount_due: (invoice.total as number) - credit,
      linked_payments: [{ ...invoice.linked_payments![0]!, txn_status: 'late_failure' }],
      applied_credits: [{ cn_id: note.id, applied_amount: credit, applied_at: now, cn_status: 'refund_due' }],
    } as never);
    cb.touch('credit_notes', note.id, {
      amount_allocated: credit,
      amount_available: 0,
      allocations: [{ invoice_id: invoice.id, allocated_amount: credit, allocated_at: now, invoice_status: 'payment_due' }],
    } as never);

    const run = await s.run();
    const memo = s.qbo.state.entities('CreditMemo').find((m) => m['DocNumber'] === note.id)!;
    const qboInvoice = s.qbo.state.entities('Invoice').find((i) => i['DocNumber'] === invoice.id)!;
    expect({ exitCode: run.exitCode, dead: causes(run), remainingCredit: memo['RemainingCredit'], balance: qboInvoice['Balance'] }).toEqual({
      exitCode: 0,
      dead: [],
      remainingCredit: 0,
      balance: ((invoice.total as number) - credit) / 1000,
    });
  }, 180_000);

  it('an allocation removed and its credit refunded in one sync (no order frees it first): the refund application waits for the next run, which settles it', async () => {
    s = await startSandbox({ customers: 40 });
    expect((await s.run()).exitCode).toBe(0);
    const cb = s.cb.state;
    const note = cb.all('credit_notes').find((n) => n.status === 'adjusted' && !n.deleted && (n.allocations ?? []).length === 1 && n.currency_code !== 'USD')!;
    expect(note, 'an adjustment credit note allocated to one invoice').toBeDefined();
    const allocation = note.allocations![0]!;
    const invoice = cb.all('invoices').find((i) => i.id === allocation.invoice_id)!;
    const payment = cb.all('transactions').find((t) => t.type === 'payment' && t.status === 'success' && t.currency_code === note.currency_code)!;
    const now = Math.floor(Date.now() / 1000);
    const total = note.total!;
    // The credit is taken off the invoice (remove_credit_note) and refunded to the customer.
    cb.touch('invoices', invoice.id, {
      status: 'payment_due',
      amount_adjusted: 0,
      amount_due: (invoice.amount_due ?? 0) + allocation.allocated_amount,
      adjustment_credit_notes: [],
    } as never);
    const refund = cb.create('transactions', {
      id: 'txn_fx_refund_1',
      customer_id: note.customer_id,
      type: 'refund',
      status: 'success',
      date: now,
      currency_code: note.currency_code,
      exchange_rate: payment.exchange_rate,
      amount: total,
      payment_method: payment.payment_method,
      gateway: payment.gateway,
      linked_invoices: [],
      linked_credit_notes: [{ cn_id: note.id, applied_amount: total, applied_at: now, cn_date: note.date, cn_total: total, cn_status: 'refunded' }],
      linked_refunds: [],
    } as never);
    cb.touch('credit_notes', note.id, {
      status: 'refunded',
      amount_allocated: 0,
      amount_refunded: total,
      amount_available: 0,
      allocations: [],
      linked_refunds: [{ txn_id: refund.id, applied_amount: total, applied_at: now, txn_status: 'success', txn_date: now, txn_amount: total }],
    } as never);

    const first = await s.run();
    expect(first.exitCode).toBe(1);
    const letter = deadLetters(s, 'refund_applications').find((l) => l.sourceId === refund.id)!;
    expect(letter, causes(first).join('\n')).toBeDefined();
    expect({ code: letter.errorCode, fix: letter.fix }).toMatchObject({ code: 'qbo_6000', fix: expect.stringMatching(/retried on the next run/) });

    const second = await s.run();
    expect(second.exitCode, causes(second).join('\n')).toBe(0);
    const memo = s.qbo.state.entities('CreditMemo').find((m) => m['DocNumber'] === note.id)!;
    expect(memo['RemainingCredit']).toBe(0);
    expect(deadLetters(s, 'refund_applications')).toEqual([]);
  }, 180_000);

  it('a refusal for more credit or balance than QuickBooks still holds says the next run retries it once the void lands', () => {
    const refused = (detail: string) =>
      documentError(
        {
          type: 'ValidationFault',
          errors: [{ code: '6000', message: 'A business validation error has occurred while processing your request', detail, element: '' }],
        },
        'the create of Payment',
      );
    for (const detail of [
      'Business Validation Error: Credit amount 42.8 exceeds the remaining credit of credit memo CN-1',
      'Payment amount 610.93 exceeds the open balance of invoice 20052',
    ]) {
      const error = refused(detail);
      expect(error).toBeInstanceOf(LedgersyncError);
      expect(error.code).toBe('qbo_6000');
      expect(error.fix).toMatch(/retried on the next run/);
    }
    expect(refused('Business Validation Error: You must set a transaction amount.').fix).toBe(
      'QuickBooks refused the document for a business rule (see the detail); correct the source record or the mapping',
    );
  });
});

describe('ledgersync check: receivable_accounts', () => {
  const check = (sb: Sandbox) =>
    checkPipeline({ connectors: installedConnectors, pipelinePath: sb.pipelinePath, statePath: sb.statePath, env: sb.env, log: silentLogger });
  const receivable = (report: Awaited<ReturnType<typeof check>>) => report.references.filter((r) => r.kind === 'ReceivableAccount');

  it('verifies every value is the A/R account of its key: all eight currencies ok as shipped', async () => {
    s = await startSandbox({ customers: 12 });
    const report = await check(s);
    expect(report.exitCode, JSON.stringify(report.references.filter((r) => r.status !== 'ok'))).toBe(0);
    expect(receivable(report).map((r) => `${r.value} ${r.status}`)).toEqual(['84 ok', '841 ok', '842 ok', '843 ok', '844 ok', '845 ok', '846 ok', '847 ok']);
    expect(receivable(report).find((r) => r.value === '841')!.answer).toBe('Account 841 "Accounts Receivable (A/R) - EUR", the A/R account of EUR');
  }, 60_000);

  it("an entry naming another currency's A/R account, or an account that is not A/R: exit 2, naming the lookup, the key, the account and its currency", async () => {
    s = await startSandbox({ customers: 12 });
    s.edit([
      ['      EUR: "841"\n', '      EUR: "842"\n'],
      ['      JPY: "843"\n', '      JPY: "80"\n'],
    ]);
    const report = await check(s);
    expect(report.exitCode).toBe(2);
    const wrong = receivable(report).filter((r) => r.status !== 'ok');
    expect(wrong.map((r) => ({ value: r.value, status: r.status, answer: r.answer, where: r.origins.map((o) => o.where) }))).toEqual([
      {
        value: '80',
        status: 'missing',
        answer:
          'Account 80 "Subscription Revenue" is of AccountType Income, not Accounts Receivable, but lookups.receivable_accounts maps JPY to it: set JPY to the JPY A/R account ("Accounts Receivable (A/R) - JPY")',
        where: ['lookups.receivable_accounts.values["JPY"]'],
      },
      {
        value: '842',
        status: 'missing',
        answer:
          'Account 842 "Accounts Receivable (A/R) - GBP" is the A/R account of GBP, but lookups.receivable_accounts maps EUR to it: set EUR to the EUR A/R account ("Accounts Receivable (A/R) - EUR")',
        where: ['lookups.receivable_accounts.values["EUR"]', 'lookups.receivable_accounts.values["GBP"]'],
      },
    ]);
    expect(s.qbo.state.writes).toEqual([]);
  }, 60_000);
});
